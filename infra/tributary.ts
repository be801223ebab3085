import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '#config/env.ts';
import { tributaryConfig } from '#config/queues.ts';
import { routes, sweeperEntry, type RouteSpec } from '#config/routes.ts';
import { INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from '#config/table.ts';
import { checkTributaryProps, TributaryPropsError } from './check-tributary-props.ts';
import { FunctionWithLogGroup } from './function-with-log-group.ts';
import { TributaryAlarms } from './tributary-alarms.ts';
import type { TributaryAuthorization, TributaryProps, TributaryQueueProps } from './tributary-props.ts';

export type { TributaryAuthorization, TributaryProps, TributaryQueueProps, TributaryThrottle } from './tributary-props.ts';

/**
 * Routes whose handler touches neither the table nor a queue, so their role
 * gets no data access. Every id here must exist in the route table (checked).
 */
const ROUTES_WITHOUT_DATA_ACCESS: ReadonlySet<string> = new Set(['Health']);

/**
 * DynamoDB actions of the API handlers and the sweeper: exactly what the
 * adapters call (transactions are authorized per item as PutItem, UpdateItem
 * and ConditionCheckItem). No Scan, no delete, no table management. A test
 * compares this with the commands in shared/ and functions/.
 */
const TABLE_DATA_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

/** What a worker does with its queue: receive, delete, extend the lease, and read depth. */
const WORKER_QUEUE_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'];

/**
 * Tributary's serverless backend: the DynamoDB table, the work queues with
 * their DLQs, one Lambda function per HTTP route, the IAM-authorized HTTP API,
 * the scheduled sweeper and the alarms. Routes, queues and table indexes come
 * from `#config/*`, the same tables the local stack reads.
 *
 * One function per route (not per handler module): each route gets its own
 * log group, metrics and alarms, at the cost of one more function where two
 * routes share a module.
 *
 * @example
 * const tributary = new Tributary(this, 'Tributary', { alarmTopic });
 * tributary.grantWorker(workerTaskRole, ['default']);
 * tributary.addLambdaWorker('default', myWorkerFunction);
 */
export class Tributary extends Construct {
  public readonly table: dynamodb.Table;
  /** Work queues by name. */
  public readonly queues: Readonly<Record<string, sqs.Queue>>;
  /** Dead-letter queues by work queue name. */
  public readonly dlqs: Readonly<Record<string, sqs.Queue>>;
  public readonly api: apigw.HttpApi;
  /** The `$default` stage, with throttling and access logging. */
  public readonly stage: apigw.HttpStage;
  /** Base URL of the API, ending in `/`. */
  public readonly apiUrl: string;
  public readonly accessLogGroup: logs.LogGroup;
  /** API handler functions by route id. */
  public readonly functions: Readonly<Record<string, lambda.Function>>;
  public readonly sweeper: lambda.Function;
  public readonly alarms: TributaryAlarms;

  private readonly queueSettings: Readonly<Record<string, TributaryQueueProps>>;

  constructor(scope: Construct, id: string, props: TributaryProps = {}) {
    super(scope, id);
    checkTributaryProps(props);
    for (const routeId of ROUTES_WITHOUT_DATA_ACCESS) {
      if (!routes.some((r) => r.id === routeId)) throw new TributaryPropsError(`route "${routeId}" is not in the route table`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.queueSettings = props.queues ?? queuesFromConfig();

    this.table = this.createTable(removalPolicy);
    const queues: Record<string, sqs.Queue> = {};
    const dlqs: Record<string, sqs.Queue> = {};
    for (const [name, settings] of Object.entries(this.queueSettings)) {
      [queues[name], dlqs[name]] = this.createQueue(name, settings, removalPolicy);
    }
    this.queues = queues;
    this.dlqs = dlqs;

    const environment = {
      [ENV.tableName]: this.table.tableName,
      // A JSON object of tokens: toJsonString resolves them at deploy time.
      [ENV.queueUrls]: Stack.of(this).toJsonString(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.queueUrl]))),
      [ENV.retentionDays]: String((props.processRetention ?? Duration.days(30)).toDays()),
    };
    const fnProps = { environment, logRetention, removalPolicy, codeFactory: props.codeFactory };

    const functions: Record<string, lambda.Function> = {};
    for (const route of routes) {
      const fn = new FunctionWithLogGroup(this, `${route.id}Handler`, {
        ...fnProps,
        entry: route.entry,
        description: `Tributary ${route.method} ${route.path}`,
        // HTTP API waits at most 30 s for an integration.
        timeout: Duration.seconds(10),
      }).function;
      if (!ROUTES_WITHOUT_DATA_ACCESS.has(route.id)) this.grantDataAccess(fn);
      functions[route.id] = fn;
    }
    this.functions = functions;

    this.sweeper = new FunctionWithLogGroup(this, 'Sweeper', {
      ...fnProps,
      entry: sweeperEntry,
      description: 'Tributary sweeper: sends owed messages, expires leases, schedules children',
      timeout: Duration.seconds(60),
      // The next tick sweeps again; a retry would only overlap with it.
      retryAttempts: 0,
    }).function;
    this.grantDataAccess(this.sweeper);
    new events.Rule(this, 'SweeperSchedule', {
      description: 'Runs the Tributary sweeper',
      schedule: events.Schedule.rate(props.sweeperInterval ?? Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.sweeper, { retryAttempts: 0 })],
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy });
    this.api = new apigw.HttpApi(this, 'Api', {
      description: 'Tributary workflow API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer(props.authorization ?? { mode: 'iam' }),
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(this.accessLogGroup), format: accessLogFormat() },
    });
    this.apiUrl = this.stage.url;
    for (const route of routes) {
      this.api.addRoutes({
        path: route.path,
        methods: [apigw.HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, functions[route.id]!),
      });
    }

    this.alarms = new TributaryAlarms(this, 'Alarms', {
      queues,
      dlqs,
      functions: [...Object.values(functions), this.sweeper],
      alarmTopic: props.alarmTopic,
      oldestMessageThreshold: props.oldestMessageAlarmThreshold ?? Duration.minutes(15),
    });
  }

  /**
   * Lets a worker (an ECS task role, an EC2 instance role, a Lambda function)
   * consume the given queues and call exactly the worker routes (claim,
   * heartbeat, complete, fail) with SigV4. Nothing else: no table access, no
   * other route, no sending. With JWT authorization the Invoke permission has
   * no effect (API Gateway checks the token instead), the queue permissions do.
   *
   * @param queueNames queues the worker consumes; @default all work queues
   * @throws {@link TributaryPropsError} for an unknown queue name
   */
  public grantWorker(grantee: iam.IGrantable, queueNames: readonly string[] = Object.keys(this.queues)): iam.Grant {
    const queues = queueNames.map((name) => this.queue(name));
    const grants = queues.map((queue) => queue.grant(grantee, ...WORKER_QUEUE_ACTIONS));
    const invoke = iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: routes.filter((r) => r.worker === true).map((r) => this.routeArn(r)),
    });
    return grants.reduce((all, g) => all.combine(g), invoke);
  }

  /**
   * Runs `fn` as a worker of one queue: an SQS event source with partial batch
   * failures, `grantWorker` for that queue, and `TRIBUTARY_API_URL` in its
   * environment.
   *
   * @throws {@link TributaryPropsError} for an unknown queue, or when the
   * queue's visibility timeout is shorter than the function's timeout (Lambda
   * refuses such an event source, and messages would be handed out twice).
   */
  public addLambdaWorker(queueName: string, fn: lambda.Function): void {
    const queue = this.queue(queueName);
    const visibility = this.queueSettings[queueName]!.visibilityTimeout;
    const timeout = fn.timeout ?? Duration.seconds(3);
    if (!timeout.isUnresolved() && visibility.toSeconds() < timeout.toSeconds()) {
      throw new TributaryPropsError(
        `queue "${queueName}" has a visibility timeout of ${visibility.toSeconds()}s, shorter than the ${timeout.toSeconds()}s timeout of worker ${fn.node.path}`,
      );
    }
    fn.addEventSource(new SqsEventSource(queue, { reportBatchItemFailures: true }));
    this.grantWorker(fn, [queueName]);
    fn.addEnvironment(ENV.apiUrl, this.apiUrl);
  }

  private queue(name: string): sqs.Queue {
    const queue = this.queues[name];
    if (queue === undefined) {
      throw new TributaryPropsError(`unknown queue "${name}"; configured queues: ${Object.keys(this.queues).join(', ')}`);
    }
    return queue;
  }

  /** The execute-api ARN of one route on the `$default` stage; `{param}` segments match any value. */
  private routeArn(route: RouteSpec): string {
    return this.api.arnForExecuteApi(route.method, route.path.replace(/\{[^}]+\}/g, '*'), this.stage.stageName);
  }

  /** Read/write on the table and its declared indexes (by name, no `index/*`), and send to every work queue. */
  private grantDataAccess(fn: lambda.Function): void {
    iam.Grant.addToPrincipal({
      grantee: fn,
      actions: TABLE_DATA_ACTIONS,
      resourceArns: [this.table.tableArn, ...INDEXES.map((i) => `${this.table.tableArn}/index/${i.indexName}`)],
    });
    for (const queue of Object.values(this.queues)) queue.grantSendMessages(fn);
  }

  private createTable(removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });
    for (const index of INDEXES) {
      table.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: index.sortKeyType === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING },
        ...(index.include.length === 0
          ? { projectionType: dynamodb.ProjectionType.KEYS_ONLY }
          : { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }),
      });
    }
    return table;
  }

  private createQueue(name: string, settings: TributaryQueueProps, removalPolicy: RemovalPolicy): [sqs.Queue, sqs.Queue] {
    const secure = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy, retentionPeriod: Duration.days(14) };
    const dlq = new sqs.Queue(this, `Dlq-${name}`, secure);
    const queue = new sqs.Queue(this, `Queue-${name}`, {
      ...secure,
      visibilityTimeout: settings.visibilityTimeout,
      deadLetterQueue: { queue: dlq, maxReceiveCount: settings.maxReceiveCount },
    });
    return [queue, dlq];
  }
}

/** The queues of tributary.config.json, as construct props. */
function queuesFromConfig(): Record<string, TributaryQueueProps> {
  return Object.fromEntries(
    Object.entries(tributaryConfig.queues).map(([name, q]) => [
      name,
      { visibilityTimeout: Duration.seconds(q.visibilityTimeoutSeconds), maxReceiveCount: q.maxReceiveCount },
    ]),
  );
}

function authorizer(auth: TributaryAuthorization): apigw.IHttpRouteAuthorizer {
  return auth.mode === 'jwt'
    ? new HttpJwtAuthorizer('JwtAuthorizer', auth.issuer, { jwtAudience: [...auth.audience] })
    : new HttpIamAuthorizer();
}

/** One JSON line per request, with the caller's identity (IAM) for audit. */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      caller: '$context.identity.caller',
      user: '$context.identity.user',
      userArn: '$context.identity.userArn',
      requestTime: '$context.requestTime',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      integrationError: '$context.integrationErrorMessage',
    }),
  );
}
