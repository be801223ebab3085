import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { routes } from '#config/routes.ts';
import { INDEXES } from '#config/table.ts';
import { REPO_ROOT } from '../../infra/function-with-log-group.ts';
import { actionsOf, synthTributary } from './test-app.ts';

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

const workerRoutes = routes.filter((r) => r.worker === true);
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

describe('Tributary.addLambdaWorker', () => {
  const { stack, tributary, template } = synthTributary({ queues: twoQueues }, (s, t) => {
    const worker = new lambda.Function(s, 'Worker', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] });'),
      timeout: Duration.seconds(30),
    });
    t.addLambdaWorker('fast', worker);
  });

  it('consumes the queue with partial batch failures', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
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

describe('Tributary handler permissions', () => {
  const { stack, tributary, template } = synthTributary();

  it('gives API handlers and the sweeper table read/write on the table and its named indexes only', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(stack, tributary.table), 'Arn'] };
    const expected = [tableArn, ...INDEXES.map((i) => ({ 'Fn::Join': ['', [tableArn, `/index/${i.indexName}`]] }))];
    const withData = [...routes.filter((r) => r.id !== 'Health').map((r) => tributary.functions[r.id]!), tributary.sweeper];
    for (const fn of withData) {
      const dynamo = statementsOfRole(template, stack, fn.role as iam.Role).find((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')))!;
      expect([dynamo.Resource].flat()).toEqual(expect.arrayContaining(expected));
      expect([dynamo.Resource].flat()).toHaveLength(expected.length);
      expect(actionsOf(dynamo)).toContain('dynamodb:UpdateItem');
      expect(actionsOf(dynamo).filter((a) => a.includes('*'))).toEqual([]);
    }
  });

  it('grants every DynamoDB action that the deployed code calls (drift check)', () => {
    const sweeperActions = statementsOfRole(template, stack, tributary.sweeper.role as iam.Role).flatMap(actionsOf);
    const commands = dynamoCommandsInDeployedCode();
    expect(commands).toContain('QueryCommand');
    for (const command of commands) {
      const needed = COMMAND_ACTIONS[command];
      expect(needed, `no IAM mapping for ${command}; add one here and to TABLE_DATA_ACTIONS`).toBeDefined();
      expect(sweeperActions, command).toEqual(expect.arrayContaining(needed!));
    }
  });

  it('gives the health handler only its own log group and tracing', () => {
    const actions = statementsOfRole(template, stack, tributary.functions.Health!.role as iam.Role).flatMap(actionsOf);
    expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
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

/** IAM actions each DynamoDB SDK command needs (document client and low-level names). */
const COMMAND_ACTIONS: Record<string, string[]> = {
  GetCommand: ['dynamodb:GetItem'],
  GetItemCommand: ['dynamodb:GetItem'],
  BatchGetCommand: ['dynamodb:BatchGetItem'],
  BatchGetItemCommand: ['dynamodb:BatchGetItem'],
  QueryCommand: ['dynamodb:Query'],
  PutCommand: ['dynamodb:PutItem'],
  PutItemCommand: ['dynamodb:PutItem'],
  UpdateCommand: ['dynamodb:UpdateItem'],
  UpdateItemCommand: ['dynamodb:UpdateItem'],
  TransactWriteCommand: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
  TransactWriteItemsCommand: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
};

/** SDK commands instantiated in the code that ships to Lambda (shared/ and functions/), SQS ones excluded. */
function dynamoCommandsInDeployedCode(): Set<string> {
  const commands = new Set<string>();
  for (const dir of ['shared', 'functions']) {
    for (const file of readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      for (const [, name] of readFileSync(join(REPO_ROOT, dir, file), 'utf8').matchAll(/new (\w+Command)\(/g)) {
        if (!/Message|Queue/.test(name!)) commands.add(name!);
      }
    }
  }
  return commands;
}
