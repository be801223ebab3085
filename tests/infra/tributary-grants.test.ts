import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import type { Construct } from 'constructs';
import { ROUTE_GROUPS, routes, type RouteGroup } from '#config/routes.ts';
import { INDEXES } from '#config/table.ts';
import { FUNCTION_ACCESS } from '../../infra/function-access.ts';
import { REPO_ROOT } from '../../infra/function-with-log-group.ts';
import { COMMAND_ACTIONS } from './command-actions.ts';
import { Tributary, type TributaryProps } from '../../infra/tributary.ts';
import { actionsOf, inlineCode, synthTributary, testApp } from './test-app.ts';

/** A worker Lambda that succeeds on every batch, for the constructs that wire one. */
function inlineWorker(scope: Construct): lambda.Function {
  return new lambda.Function(scope, 'Worker', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
    timeout: Duration.seconds(30),
  });
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

const workerRoutes = routes.filter((r) => r.group === 'worker');
const twoQueues = {
  default: { visibilityTimeout: Duration.seconds(60), maxReceiveCount: 5 },
  fast: { visibilityTimeout: Duration.seconds(30), maxReceiveCount: 3 },
};

/** The statements of the one policy attached to this role. */
function statementsOfRole(template: Template, stack: Stack, role: iam.Role): Statement[] {
  const roleId = logicalId(stack, role);
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  expect(policies).toHaveLength(1);
  return (policies[0] as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement;
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

describe('Tributary.grantWorker', () => {
  let allRole!: iam.Role;
  let fastRole!: iam.Role;
  const { stack, tributary, template } = synthTributary({ queues: twoQueues }, (s, t) => {
    allRole = new iam.Role(s, 'AllQueuesWorker', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    fastRole = new iam.Role(s, 'FastWorker', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    t.grantWorker(allRole);
    t.grantWorker(fastRole, ['fast']);
  });

  it('grants receive/delete/changeVisibility/getAttributes on the named queue and Invoke on exactly the worker routes', () => {
    const statements = statementsOfRole(template, stack, fastRole);
    expect(statements).toHaveLength(2);
    const [sqsStatement, invokeStatement] = statements[0]!.Action.includes('execute-api:Invoke') ? [statements[1]!, statements[0]!] : [statements[0]!, statements[1]!];

    expect(sqsStatement.Effect).toBe('Allow');
    expect(actionsOf(sqsStatement)).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
    expect(sqsStatement.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack, tributary.queues.fast!), 'Arn'] });

    expect(actionsOf(invokeStatement)).toEqual(['execute-api:Invoke']);
    const arns = [invokeStatement.Resource].flat().map((r) => JSON.stringify(r));
    expect(arns).toHaveLength(workerRoutes.length);
    for (const route of workerRoutes) {
      const suffix = `/$default/${route.method}${route.path.replace(/\{[^}]+\}/g, '*')}`;
      expect(arns.filter((a) => a.includes(JSON.stringify(suffix).slice(1, -1)))).toHaveLength(1);
    }
    expect(arns.every((a) => a.includes(logicalId(stack, tributary.api)))).toBe(true);
  });

  it('defaults to every work queue and grants nothing else: no wildcard action, no table, no send', () => {
    const statements = statementsOfRole(template, stack, allRole);
    const sqsStatement = statements.find((s) => actionsOf(s).some((a) => a.startsWith('sqs:')))!;
    expect([sqsStatement.Resource].flat()).toEqual(
      expect.arrayContaining(Object.values(tributary.queues).map((q) => ({ 'Fn::GetAtt': [logicalId(stack, q), 'Arn'] }))),
    );
    expect([sqsStatement.Resource].flat()).toHaveLength(Object.keys(twoQueues).length);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    expect(actions.filter((a) => !a.startsWith('sqs:') && a !== 'execute-api:Invoke')).toEqual([]);
    expect(actions).not.toContain('sqs:SendMessage');
    expect(JSON.stringify(statements)).not.toContain(logicalId(stack, tributary.table));
  });

  it('throws for an unknown queue name', () => {
    expect(() => tributary.grantWorker(allRole, ['nope'])).toThrow(/unknown queue "nope"; configured queues: default, fast/);
  });
});

describe('Tributary.grantWorker and addLambdaWorker under JWT authorization', () => {
  let role!: iam.Role;
  const { stack, tributary, template } = synthTributary(
    { queues: twoQueues, authorization: { mode: 'jwt', issuer: 'https://idp.example.com', audience: ['tributary'] } },
    (s, t) => {
      role = new iam.Role(s, 'EcsWorker', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      t.grantWorker(role, ['default']);
      t.addLambdaWorker('fast', inlineWorker(s));
    },
  );

  it('grants Invoke on the IAM-authorized /iam copies of the worker routes, so a role needs no token', () => {
    const invoke = statementsOfRole(template, stack, role).find((s) => actionsOf(s).includes('execute-api:Invoke'))!;
    const arns = [invoke.Resource].flat().map((r) => JSON.stringify(r));
    expect(arns).toHaveLength(workerRoutes.length);
    for (const route of workerRoutes) {
      const suffix = `/$default/${route.method}/iam${route.path.replace(/\{[^}]+\}/g, '*')}`;
      expect(arns.filter((a) => a.includes(JSON.stringify(suffix).slice(1, -1))), route.id).toHaveLength(1);
    }
  });

  it('points the Lambda worker at the /iam base URL', () => {
    expect(tributary.workerApiUrl).not.toBe(tributary.apiUrl);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TRIBUTARY_API_URL: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/iam$')])] } } },
    });
  });
});

describe('Tributary.addLambdaWorker', () => {
  const { stack, tributary, template } = synthTributary({ queues: twoQueues }, (s, t) => {
    t.addLambdaWorker('fast', inlineWorker(s));
  });

  it('consumes the queue with partial batch failures', () => {
    // The worker's, and the start queue consumer's.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack, tributary.queues.fast!), 'Arn'] },
      FunctionName: { Ref: Match.stringLikeRegexp('^Worker') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('tells the worker where the API is and lets it call the worker routes', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { TRIBUTARY_API_URL: Match.objectLike({ 'Fn::Join': Match.anyValue() }) } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^WorkerServiceRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'execute-api:Invoke' })]) },
    });
  });

  it('rejects a worker whose timeout exceeds the queue visibility timeout', () => {
    const slow = new lambda.Function(Stack.of(tributary), 'SlowWorker', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
      timeout: Duration.seconds(45),
    });
    expect(() => tributary.addLambdaWorker('fast', slow)).toThrow(/visibility timeout of 30s, shorter than the 45s timeout/);
    expect(() => tributary.addLambdaWorker('nope', slow)).toThrow(/unknown queue "nope"/);
  });
});

describe('Tributary function permissions, per privilege group', () => {
  const { stack, tributary, template } = synthTributary({ queues: twoQueues });
  const tableArn = { 'Fn::GetAtt': [logicalId(stack, tributary.table), 'Arn'] };
  const tableResources = [tableArn, ...INDEXES.map((i) => ({ 'Fn::Join': ['', [tableArn, `/index/${i.indexName}`]] }))];
  const functionsByAccess: [keyof typeof FUNCTION_ACCESS, lambda.Function][] = [...ROUTE_GROUPS.map((g) => [g, tributary.functions[g]] as [RouteGroup, lambda.Function]), ['sweeper', tributary.sweeper], ['scheduler', tributary.scheduler], ['startQueue', tributary.startQueueConsumer]];

  it.each(functionsByAccess)('%s gets exactly its table actions, on the table and its named indexes only', (access, fn) => {
    const statements = statementsOfRole(template, stack, fn.role as iam.Role);
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const expected = [...FUNCTION_ACCESS[access].tableActions].sort();
    if (expected.length === 0) {
      expect(dynamo).toEqual([]);
      return;
    }
    expect(dynamo).toHaveLength(1);
    expect(actionsOf(dynamo[0]!)).toEqual(expected);
    expect([dynamo[0]!.Resource].flat()).toEqual(expect.arrayContaining(tableResources));
    expect([dynamo[0]!.Resource].flat()).toHaveLength(tableResources.length);
  });

  it.each(functionsByAccess)('%s may send to the work queues only if its routes schedule tasks', (access, fn) => {
    const sends = statementsOfRole(template, stack, fn.role as iam.Role).filter((s) => actionsOf(s).includes('sqs:SendMessage'));
    if (!FUNCTION_ACCESS[access].sendMessages) {
      expect(sends).toEqual([]);
      return;
    }
    const queueArns = sends.flatMap((s) => [s.Resource].flat());
    expect(queueArns).toEqual(expect.arrayContaining(Object.values(tributary.queues).map((q) => ({ 'Fn::GetAtt': [logicalId(stack, q), 'Arn'] }))));
  });

  it('gives the read function no write action and the health function nothing but logs and tracing', () => {
    expect(FUNCTION_ACCESS.read.tableActions.filter((a) => /Put|Update|Delete|Write|ConditionCheck/.test(a))).toEqual([]);
    const health = statementsOfRole(template, stack, tributary.functions.health.role as iam.Role).flatMap(actionsOf);
    expect(health.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('grants the sweeper every DynamoDB action that the deployed code calls (drift check)', () => {
    const sweeperActions = statementsOfRole(template, stack, tributary.sweeper.role as iam.Role).flatMap(actionsOf);
    const commands = dynamoCommandsInDeployedCode();
    expect(commands).toContain('QueryCommand');
    for (const command of commands) {
      const needed = COMMAND_ACTIONS[command];
      expect(needed, `no IAM mapping for ${command}; add one here and to FUNCTION_ACCESS`).toBeDefined();
      expect(sweeperActions, command).toEqual(expect.arrayContaining(needed!));
    }
  });

  it('uses Resource "*" only for the X-Ray actions (the acknowledged IAM5 finding)', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );
    const onStar = statements.filter((s) => [s.Resource].flat().includes('*'));
    expect(onStar.length).toBeGreaterThan(0);
    expect(new Set(onStar.flatMap(actionsOf))).toEqual(new Set(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']));
  });
});

/**
 * SDK commands instantiated in the code that ships to Lambda (shared/ and functions/), SQS and S3 ones excluded
 * (S3 reads are granted per bucket: grantMapItems).
 */
function dynamoCommandsInDeployedCode(): Set<string> {
  const commands = new Set<string>();
  for (const dir of ['shared', 'functions']) {
    for (const file of readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      for (const [, name] of readFileSync(join(REPO_ROOT, dir, file), 'utf8').matchAll(/new (\w+Command)\(/g)) {
        if (!/Message|Queue|Object/.test(name!)) commands.add(name!);
      }
    }
  }
  return commands;
}

describe('Tributary map item buckets (mapItemBuckets and grantMapItems)', () => {
  const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  let exports!: s3.IBucket;
  let owned!: s3.Bucket;
  const { stack, tributary, template } = synthTributary({}, (s, t) => {
    exports = s3.Bucket.fromBucketAttributes(s, 'Exports', { bucketName: 'acme-exports', encryptionKey: kms.Key.fromKeyArn(s, 'ExportsKey', keyArn) });
    owned = new s3.Bucket(s, 'Owned');
    t.grantMapItems(exports);
    t.grantMapItems(owned);
    t.grantMapItems(owned); // granted once
  });
  const readers: [string, lambda.Function][] = [
    ['control', tributary.functions.control],
    ['worker', tributary.functions.worker],
    ['sweeper', tributary.sweeper],
  ];
  const s3Statements = (fn: lambda.Function): Statement[] =>
    statementsOfRole(template, stack, fn.role as iam.Role).filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));

  it.each(readers)('%s may s3:GetObject on the objects of each granted bucket, and nothing else on S3', (_name, fn) => {
    const statements = s3Statements(fn);
    expect(new Set(statements.flatMap(actionsOf))).toEqual(new Set(['s3:GetObject']));
    // CDK may merge the two grants into one statement: compare the resources, whichever statement holds them.
    const resources = statements.flatMap((s) => [s.Resource].flat()).map((r) => JSON.stringify(r));
    expect(resources).toHaveLength(2);
    expect(resources.filter((r) => r.includes(':s3:::acme-exports/*'))).toHaveLength(1);
    expect(resources).toContain(JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [logicalId(stack, owned), 'Arn'] }, '/*']] }));
  });

  it.each(readers)('%s may kms:Decrypt with the key of an encrypted bucket', (_name, fn) => {
    const decrypt = statementsOfRole(template, stack, fn.role as iam.Role).filter((s) => actionsOf(s).includes('kms:Decrypt'));
    expect(decrypt).toHaveLength(1);
    expect(decrypt[0]!.Resource).toBe(keyArn);
  });

  it('grants nothing on S3 to the read and health functions, and adds no environment variable', () => {
    for (const fn of [tributary.functions.read, tributary.functions.health]) expect(s3Statements(fn)).toEqual([]);
    const plain = synthTributary();
    for (const [id, granted] of [
      ['ControlHandler', template],
      ['Sweeper', template],
    ] as const) {
      const environment = (t: Template): unknown =>
        Object.values(t.findResources('AWS::Lambda::Function')).find((r) => JSON.stringify(r).includes(`Tributary ${id === 'Sweeper' ? 'sweeper' : 'control'}`));
      expect(JSON.stringify((environment(granted) as { Properties: { Environment: unknown } }).Properties.Environment)).toBe(
        JSON.stringify((environment(plain.template) as { Properties: { Environment: unknown } }).Properties.Environment),
      );
    }
  });

  it('takes the buckets as a prop too', () => {
    const { stack: s, tributary: t, template: tpl } = synthTributaryWith((scope) => ({ mapItemBuckets: [s3.Bucket.fromBucketName(scope, 'Named', 'acme-rows')] }));
    const statements = statementsOfRole(tpl, s, t.sweeper.role as iam.Role).filter((st) => actionsOf(st).includes('s3:GetObject'));
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0]!.Resource)).toContain(':s3:::acme-rows/*');
  });
});

/** Like synthTributary, but the props may name constructs of the stack (buckets) made before the Tributary. */
function synthTributaryWith(props: (stack: Stack) => TributaryProps): { stack: Stack; tributary: Tributary; template: Template } {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const tributary = new Tributary(stack, 'Tributary', { codeFactory: inlineCode, ...props(stack) });
  return { stack, tributary, template: Template.fromStack(stack) };
}
