import { Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '#config/env.ts';
import { groupEntries, IAM_WORKER_PREFIX, ROUTE_GROUPS, routes, schedulerEntry, startQueueEntry, sweeperEntry, type RouteGroup, type RouteSpec } from '#config/routes.ts';
import { DEFAULT_SWEEP_SHARDS, INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from '#config/table.ts';
import { DEFAULT_METRICS_NAMESPACE } from '#observability/metric-names.ts';
import { checkEnvironmentSize, queueUrlsWorstCaseBytes } from './check-environment-size.ts';
import { checkTributaryProps, TributaryPropsError } from './check-tributary-props.ts';
import { FUNCTION_ACCESS, MAP_ITEM_READERS, type FunctionAccessName } from './function-access.ts';
import { FunctionWithLogGroup } from './function-with-log-group.ts';
import { grantMapItemReads } from './grant-map-items.ts';
import { TributaryAlarms } from './tributary-alarms.ts';
import { TributaryDashboard } from './tributary-dashboard.ts';
import { ACCESS_LOG_FORMAT, accessLogDestination, addTributaryRoutes } from './tributary-routes.ts';
import type { TributaryAuthorization, TributaryProps, TributaryQueueProps } from './tributary-props.ts';

export { DEFAULT_JWT_SCOPES } from './tributary-routes.ts';
export type {
  TributaryAlarmThresholds,
  TributaryAuthorization,
  TributaryJwtScopes,
  TributaryLogLevel,
  TributaryProps,
  TributaryQueueProps,
  TributaryThrottle,
} from './tributary-props.ts';

/** What a worker does with its queue: receive, delete, extend the lease, and read depth. */
const WORKER_QUEUE_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'];

/** The queues when none are given: one queue named `default`. */
const DEFAULT_QUEUES: Readonly<Record<string, TributaryQueueProps>> = {
  default: { visibilityTimeout: Duration.seconds(60), maxReceiveCount: 5 },
};

/**
 * Tributary's serverless backend: the DynamoDB table, the work queues with
 * their DLQs, the HTTP API served by one Lambda function per privilege group
 * (health, read, control, worker), the scheduled sweeper, alarms with an SNS
 * topic, and a dashboard.
 *
 * Each group's function gets exactly the IAM actions its routes use: the read
 * function cannot write, health touches nothing. Under JWT authorization each
 * group's routes require a scope.
 *
 * @example
 * import { Tributary } from 'tributary/cdk';
 * const tributary = new Tributary(this, 'Tributary', {
 *   queues: { default: { visibilityTimeout: Duration.minutes(5), maxReceiveCount: 5 } },
 * });
 * tributary.alarmTopic.addSubscription(new EmailSubscription('ops@example.com'));
 * tributary.grantWorker(workerTaskRole, ['default']);
 * tributary.addLambdaWorker('default', myWorkerFunction);
 */
export class Tributary extends Construct {
  public readonly table: dynamodb.Table;
  /** Work queues by name. */
  public readonly queues: Readonly<Record<string, sqs.Queue>>;
  /** Dead-letter queues by work queue name. */
  public readonly dlqs: Readonly<Record<string, sqs.Queue>>;
  /** The queue of tasks whose definition names none. */
  public readonly defaultQueue: string;
  public readonly api: apigw.HttpApi;
  /** The `$default` stage, with throttling and access logging. */
  public readonly stage: apigw.HttpStage;
  /** Base URL of the API, ending in `/`. */
  public readonly apiUrl: string;
  /**
   * Base URL for workers that sign requests with SigV4: the API itself under
   * IAM authorization, the IAM-authorized copies of the worker routes (under
   * `/iam`) under JWT authorization.
   */
  public readonly workerApiUrl: string;
  public readonly accessLogGroup: logs.LogGroup;
  /** API functions by privilege group. */
  public readonly functions: Readonly<Record<RouteGroup, lambda.Function>>;
  public readonly sweeper: lambda.Function;
  /** The schedules' scheduler, run once a minute by an EventBridge rule: fires what is due. */
  public readonly scheduler: lambda.Function;
  /**
   * The start queue: a message `{definition, version?, input?, idempotencyKey?}` starts a process (exactly once
   * per idempotency key). Target it from an EventBridge rule, an S3 notification or another account
   * (`grantSendMessages`).
   */
  public readonly startQueue: sqs.Queue;
  /** Where refused start messages go, each with a `reason` message attribute; an alarm watches it. */
  public readonly startDlq: sqs.Queue;
  /** Consumes the start queue (batch item failures). */
  public readonly startQueueConsumer: lambda.Function;
  /** The topic every alarm notifies: the `alarmTopic` prop, or one created here. */
  public readonly alarmTopic: sns.ITopic;
  public readonly alarms: TributaryAlarms;
  public readonly dashboard: TributaryDashboard;
  /** Namespace and `service` dimension of the custom metrics. */
  public readonly metricsNamespace: string;
  public readonly serviceName: string;

  private readonly queueSettings: Readonly<Record<string, TributaryQueueProps>>;
  private readonly authorization: TributaryAuthorization;
  /** Buckets already granted, so that a bucket named twice is granted (and acknowledged) once. */
  private readonly mapItemBuckets = new Set<s3.IBucket>();

  constructor(scope: Construct, id: string, props: TributaryProps = {}) {
    super(scope, id);
    checkTributaryProps(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    this.queueSettings = props.queues ?? DEFAULT_QUEUES;
    this.defaultQueue = props.defaultQueue ?? 'default';
    this.authorization = props.authorization ?? { mode: 'iam' };
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    // One service dimension per construct, so that two deployments in one account keep their metrics apart.
    this.serviceName = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });

    this.table = this.createTable(removalPolicy);
    const queues: Record<string, sqs.Queue> = {};
    const dlqs: Record<string, sqs.Queue> = {};
    for (const [name, settings] of Object.entries(this.queueSettings)) {
      [queues[name], dlqs[name]] = this.createQueue(name, settings, removalPolicy);
    }
    this.queues = queues;
    this.dlqs = dlqs;

    const secureQueue = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, removalPolicy, retentionPeriod: Duration.days(14) };
    this.startDlq = new sqs.Queue(this, 'StartDlq', secureQueue);
    this.startQueue = new sqs.Queue(this, 'StartQueue', {
      ...secureQueue,
      // Six times the consumer's timeout, as AWS advises for event source mappings.
      visibilityTimeout: Duration.seconds(180),
      deadLetterQueue: { queue: this.startDlq, maxReceiveCount: 5 },
    });

    const observability: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: this.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    };
    const dataEnvironment: Record<string, string> = {
      ...observability,
      [ENV.tableName]: this.table.tableName,
      // A JSON object of tokens: toJsonString resolves them at deploy time.
      [ENV.queueUrls]: Stack.of(this).toJsonString(Object.fromEntries(Object.entries(queues).map(([n, q]) => [n, q.queueUrl]))),
      [ENV.retentionDays]: String((props.processRetention ?? Duration.days(30)).toDays()),
      [ENV.defaultQueue]: this.defaultQueue,
      [ENV.sweepShards]: String(props.sweepShards ?? DEFAULT_SWEEP_SHARDS),
    };
    const worstCase = { [ENV.queueUrls]: queueUrlsWorstCaseBytes(Object.keys(queues)) };
    const fnProps = { logRetention, removalPolicy, codeFactory: props.codeFactory, sourceMaps: props.enableSourceMaps === true };
    const newFunction = (fnId: string, entry: string, description: string, timeout: Duration, access: FunctionAccessName, retryAttempts?: number): lambda.Function => {
      const environment = FUNCTION_ACCESS[access].tableActions.length === 0 ? observability : dataEnvironment;
      const withNodeOptions = props.enableSourceMaps === true ? { ...environment, NODE_OPTIONS: '--enable-source-maps' } : environment;
      checkEnvironmentSize(`${this.node.path}/${fnId}`, withNodeOptions, worstCase);
      const fn = new FunctionWithLogGroup(this, fnId, { ...fnProps, entry, description, timeout, environment, retryAttempts }).function;
      this.grantAccess(fn, access);
      return fn;
    };

    const functions = {} as Record<RouteGroup, lambda.Function>;
    for (const group of ROUTE_GROUPS) {
      const served = routes.filter((r) => r.group === group).map((r) => `${r.method} ${r.path}`);
      // HTTP API waits at most 30 s for an integration.
      functions[group] = newFunction(`${pascal(group)}Handler`, groupEntries[group], `Tributary ${group}: ${served.join(', ')}`.slice(0, 256), Duration.seconds(10), group);
    }
    this.functions = functions;

    // The next tick sweeps again; a retry would only overlap with it.
    this.sweeper = newFunction('Sweeper', sweeperEntry, 'Tributary sweeper: sends owed messages, expires leases, schedules children', Duration.seconds(60), 'sweeper', 0);
    const sweeperInterval = props.sweeperInterval ?? Duration.minutes(1);
    new events.Rule(this, 'SweeperSchedule', {
      description: 'Runs the Tributary sweeper',
      schedule: events.Schedule.rate(sweeperInterval),
      targets: [new targets.LambdaFunction(this.sweeper, { retryAttempts: 0 })],
    });
    for (const bucket of props.mapItemBuckets ?? []) this.grantMapItems(bucket);
    // Once a minute, as the scheduler's own cadence assumes (catch-up windows of at least 60 s); no retry: the next
    // tick redoes a failed step, and its fire records make the redo start nothing twice.
    this.scheduler = newFunction('Scheduler', schedulerEntry, 'Tributary scheduler: fires due schedules exactly once per scheduled time', Duration.seconds(60), 'scheduler', 0);
    new events.Rule(this, 'SchedulerSchedule', {
      description: 'Runs the Tributary schedules scheduler',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.scheduler, { retryAttempts: 0 })],
    });
    this.startQueueConsumer = newFunction('StartQueueConsumer', startQueueEntry, 'Tributary start queue: starts a process per message, refused ones to the DLQ with a reason', Duration.seconds(30), 'startQueue');
    this.startQueueConsumer.addEnvironment(ENV.startDlqUrl, this.startDlq.queueUrl);
    // It sends refused messages to the DLQ itself, with the reason: SQS's redrive keeps none.
    this.startDlq.grantSendMessages(this.startQueueConsumer);
    this.startQueueConsumer.addEventSource(new SqsEventSource(this.startQueue, { batchSize: 10, reportBatchItemFailures: true }));

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy });
    this.api = new apigw.HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-${id}`,
      description: `Tributary workflow API (${this.node.path})`,
      createDefaultStage: false,
      defaultAuthorizer: this.authorization.mode === 'jwt' ? new HttpJwtAuthorizer('JwtAuthorizer', this.authorization.issuer, { jwtAudience: [...this.authorization.audience] }) : new HttpIamAuthorizer(),
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 100, burstLimit: 200 },
      accessLogSettings: { destination: accessLogDestination(this.accessLogGroup), format: ACCESS_LOG_FORMAT },
    });
    this.apiUrl = this.stage.url;
    addTributaryRoutes(this.api, this.functions, this.authorization);
    this.workerApiUrl = this.authorization.mode === 'jwt' ? `${this.apiUrl}${IAM_WORKER_PREFIX.slice(1)}` : this.apiUrl;

    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      const topic = new sns.Topic(this, 'AlarmTopic', { displayName: `Tributary alarms (${this.node.path})`, enforceSSL: true });
      Validations.of(topic).acknowledge({
        id: 'AwsSolutions-SNS2',
        reason:
          'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key (its policy cannot grant CloudWatch kms:GenerateDataKey); alarm notifications carry no sensitive data. Pass alarmTopic for a topic with a customer managed key.',
      });
      this.alarmTopic = topic;
    }
    this.alarms = new TributaryAlarms(this, 'Alarms', {
      queues,
      dlqs,
      functions: [...Object.values(functions), this.sweeper, this.scheduler, this.startQueueConsumer],
      startDlq: this.startDlq,
      stage: this.stage,
      table: this.table,
      metricsNamespace: this.metricsNamespace,
      serviceName: this.serviceName,
      sweeperInterval,
      alarmTopic: this.alarmTopic,
      oldestMessageThreshold: props.oldestMessageAlarmThreshold ?? Duration.minutes(15),
      thresholds: props.alarmThresholds,
    });
    this.dashboard = new TributaryDashboard(this, 'Dashboard', {
      alarms: this.alarms,
      stage: this.stage,
      table: this.table,
      functions: { ...functions, sweeper: this.sweeper, scheduler: this.scheduler, startQueue: this.startQueueConsumer },
      queues,
      dlqs,
    });
  }

  /**
   * Lets maps read their items (`itemsFrom`) from `bucket`: `s3:GetObject` on its objects, and `kms:Decrypt` on
   * its key when it has one, for every function whose code may expand a map (the control and worker route
   * functions and the sweeper). Read only: no list, no write. The same as naming the bucket in `mapItemBuckets`.
   *
   * @example
   * tributary.grantMapItems(s3.Bucket.fromBucketName(this, 'Exports', 'acme-exports'));
   */
  public grantMapItems(bucket: s3.IBucket): void {
    if (this.mapItemBuckets.has(bucket)) return;
    this.mapItemBuckets.add(bucket);
    grantMapItemReads(
      bucket,
      MAP_ITEM_READERS.map((access) => (access === 'sweeper' ? this.sweeper : this.functions[access])),
    );
  }

  /**
   * Lets a worker (an ECS task role, an EC2 instance role, a Lambda function)
   * consume the given queues and call exactly the worker routes (claim,
   * heartbeat, complete, fail) with SigV4: at `apiUrl` under IAM
   * authorization, at `workerApiUrl` (the `/iam` copies) under JWT. Nothing
   * else: no table access, no other route, no sending.
   *
   * @param queueNames queues the worker consumes; @default all work queues
   * @throws {@link TributaryPropsError} for an unknown queue name
   */
  public grantWorker(grantee: iam.IGrantable, queueNames: readonly string[] = Object.keys(this.queues)): iam.Grant {
    const queues = queueNames.map((name) => this.queue(name));
    const grants = queues.map((queue) => queue.grant(grantee, ...WORKER_QUEUE_ACTIONS));
    const prefix = this.authorization.mode === 'jwt' ? IAM_WORKER_PREFIX : '';
    const invoke = iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: routes.filter((r) => r.group === 'worker').map((r) => this.routeArn(r, prefix)),
    });
    return grants.reduce((all, g) => all.combine(g), invoke);
  }

  /**
   * Runs `fn` as a worker of one queue: an SQS event source with partial batch
   * failures, `grantWorker` for that queue, and `TRIBUTARY_API_URL` in its
   * environment (`workerApiUrl`). The worker signs its calls with SigV4 in
   * both authorization modes: under JWT, the worker routes are also served
   * with IAM authorization under `/iam`, so a Lambda worker needs no token.
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
    fn.addEnvironment(ENV.apiUrl, this.workerApiUrl);
  }

  private queue(name: string): sqs.Queue {
    const queue = this.queues[name];
    if (queue === undefined) {
      throw new TributaryPropsError(`unknown queue "${name}"; configured queues: ${Object.keys(this.queues).join(', ')}`);
    }
    return queue;
  }

  /** The execute-api ARN of one route on the `$default` stage; `{param}` segments match any value. */
  private routeArn(route: RouteSpec, prefix = ''): string {
    return this.api.arnForExecuteApi(route.method, `${prefix}${route.path}`.replace(/\{[^}]+\}/g, '*'), this.stage.stageName);
  }

  /** The table actions of `FUNCTION_ACCESS` on the table and its declared indexes (by name, no `index/*`), and sends when listed. */
  private grantAccess(fn: lambda.Function, access: FunctionAccessName): void {
    const { tableActions, sendMessages } = FUNCTION_ACCESS[access];
    if (tableActions.length > 0) {
      iam.Grant.addToPrincipal({
        grantee: fn,
        actions: [...tableActions],
        resourceArns: [this.table.tableArn, ...INDEXES.map((i) => `${this.table.tableArn}/index/${i.indexName}`)],
      });
    }
    if (sendMessages) for (const queue of Object.values(this.queues)) queue.grantSendMessages(fn);
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

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
