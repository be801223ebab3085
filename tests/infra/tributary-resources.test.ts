import { Duration, RemovalPolicy, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { tributaryConfig } from '#config/queues.ts';
import { ROUTE_GROUPS } from '#config/routes.ts';
import { METRIC } from '#observability/metric-names.ts';
import { INDEXES, TABLE_KEYS, TTL_ATTRIBUTE } from '#config/table.ts';
import { TributaryStack } from '../../infra/tributary-stack.ts';
import { inlineCode, synthTributary, testApp } from './test-app.ts';

const functionCount = ROUTE_GROUPS.length + 3; // one per privilege group, plus the sweeper, the scheduler and the start-queue consumer
const configuredQueues = Object.keys(tributaryConfig.queues);

describe('Tributary resources with default props', () => {
  const { template, stack, tributary } = synthTributary();
  const logicalId = (construct: { node: { defaultChild?: unknown } }): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);

  it('creates exactly the queues of tributary.config.json, each with a DLQ, named in TRIBUTARY_QUEUE_URLS (drift check)', () => {
    const queues = template.findResources('AWS::SQS::Queue') as Record<string, { Properties: Record<string, unknown> }>;
    // The start queue (and its DLQ) are not work queues.
    const startIds = [logicalId(tributary.startQueue), logicalId(tributary.startDlq)];
    const workQueueIds = Object.keys(queues).filter((id) => queues[id]!.Properties.RedrivePolicy !== undefined && !startIds.includes(id));
    const byName = queueUrlsOf(template);
    expect(Object.keys(byName).sort()).toEqual([...configuredQueues].sort());
    expect(Object.values(byName).sort()).toEqual(workQueueIds.sort());
    template.resourceCountIs('AWS::SQS::Queue', configuredQueues.length * 2 + 2);
  });

  it('gives every work queue its DLQ with the configured maxReceiveCount and visibility timeout', () => {
    for (const [, settings] of Object.entries(tributaryConfig.queues)) {
      template.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: settings.visibilityTimeoutSeconds,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Dlq'), 'Arn'] }, maxReceiveCount: settings.maxReceiveCount },
      });
    }
  });

  it('encrypts every queue, DLQs included, and retains them by default', () => {
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
  });

  it('denies non-TLS access on every queue, DLQs included', () => {
    template.resourceCountIs('AWS::SQS::QueuePolicy', configuredQueues.length * 2 + 2);
    template.allResourcesProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('declares the table on demand with PITR, TTL, encryption and deletion protection', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('declares every GSI of INDEXES with its keys and projection', () => {
    const gsis = (Object.values(template.findResources('AWS::DynamoDB::Table'))[0] as { Properties: { GlobalSecondaryIndexes: unknown[] } })
      .Properties.GlobalSecondaryIndexes;
    expect(gsis).toHaveLength(INDEXES.length);
    for (const index of INDEXES) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        AttributeDefinitions: Match.arrayWith([{ AttributeName: index.partitionKey, AttributeType: 'S' }]),
      });
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        AttributeDefinitions: Match.arrayWith([{ AttributeName: index.sortKey, AttributeType: index.sortKeyType }]),
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection:
              index.include.length === 0
                ? { ProjectionType: 'KEYS_ONLY' }
                : { ProjectionType: 'INCLUDE', NonKeyAttributes: Match.arrayWith([...index.include]) },
          },
        ]),
      });
    }
  });

  it('runs every function on nodejs24.x, arm64, with active tracing, its own log group and the env vars', () => {
    template.resourceCountIs('AWS::Lambda::Function', functionCount);
    template.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('Logs') } },
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: Match.stringLikeRegexp('Tributary'),
          POWERTOOLS_METRICS_NAMESPACE: 'Tributary',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: Match.absent(),
        }),
      },
    });
    // Every function but health reaches the table and queues.
    const withData = Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: {
        Environment: {
          Variables: {
            TRIBUTARY_TABLE_NAME: { Ref: Match.stringLikeRegexp('^TributaryTable') },
            TRIBUTARY_QUEUE_URLS: Match.anyValue(),
            TRIBUTARY_RETENTION_DAYS: '30',
            TRIBUTARY_DEFAULT_QUEUE: 'default',
            TRIBUTARY_SWEEP_SHARDS: '32',
          },
        },
      },
    }));
    expect(withData).toHaveLength(functionCount - 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Tributary health'),
      Environment: { Variables: { TRIBUTARY_TABLE_NAME: Match.absent(), TRIBUTARY_QUEUE_URLS: Match.absent() } },
    });
    // One log group per function, plus the API access logs; all with a retention.
    template.resourceCountIs('AWS::Logs::LogGroup', functionCount + 1);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('schedules the sweeper every minute without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TributarySweeperFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
  });

  it('runs the schedules scheduler every minute without retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TributarySchedulerFunction'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Tributary scheduler'), Timeout: 60 });
  });

  it('creates the start queue with its DLQ, its consumer (batch item failures) and an alarm on the DLQ', () => {
    const startQueue = logicalId(tributary.startQueue);
    const startDlq = logicalId(tributary.startDlq);
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [startDlq, 'Arn'] }, maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [startQueue, 'Arn'] },
      FunctionName: { Ref: logicalId(tributary.startQueueConsumer) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [startDlq, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TRIBUTARY_START_DLQ_URL: { Ref: startDlq } }) },
    });
  });

  it('creates the alarms: API 5xx rate, unexpected errors, throttles, sweeper, and DLQ depth and oldest message per queue', () => {
    const q = configuredQueues.length;
    // Plus the start queue's DLQ.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7 + 2 * q + 1);
    const count = (metricName: string) => Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } })).length;
    expect(count('ApproximateNumberOfMessagesVisible')).toBe(q + 1);
    expect(count('ApproximateAgeOfOldestMessage')).toBe(q);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('Dlq'), 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 900, EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    // Unexpected errors: the handlers' own metric, 3 in each of 2 of 3 periods (one transient error does not page).
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Tributary',
      MetricName: METRIC.handledServerErrors,
      Dimensions: [{ Name: 'service', Value: Match.stringLikeRegexp('Tributary') }],
      Statistic: 'Sum',
      Threshold: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 5,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'SUM([reads, writes])' })]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: METRIC.sweeperRuns,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: METRIC.sweeperLag, Statistic: 'Maximum', Threshold: 600_000 });
  });

  it('creates an SSL-only alarm topic that every alarm notifies, on ALARM and on OK', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const topic = { Ref: Match.stringLikeRegexp('^TributaryAlarmTopic') };
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('creates a dashboard of the custom metrics and the alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0]);
    for (const name of Object.values(METRIC)) expect(body, name).toContain(name);
    expect(body).toContain('alarm');
  });
});

describe('Tributary resources with custom props', () => {
  const { template } = synthTributary({
    removalPolicy: RemovalPolicy.DESTROY,
    queues: { default: { visibilityTimeout: Duration.minutes(5), maxReceiveCount: 3 }, fast: { visibilityTimeout: Duration.seconds(30), maxReceiveCount: 1 } },
    sweeperInterval: Duration.minutes(5),
    processRetention: Duration.days(7),
    oldestMessageAlarmThreshold: Duration.hours(1),
  });

  it('drops deletion protection and retention with DESTROY', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: { DeletionProtectionEnabled: false } });
    template.allResources('AWS::SQS::Queue', { DeletionPolicy: 'Delete' });
  });

  it('uses the queues, interval and retention given', () => {
    template.resourceCountIs('AWS::SQS::Queue', 4 + 2);
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 300, RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
    template.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 30, RedrivePolicy: Match.objectLike({ maxReceiveCount: 1 }) });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TRIBUTARY_RETENTION_DAYS: '7' }) } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 3600 });
  });
});

describe('Tributary logging and source maps', () => {
  it('sets the log level and NODE_OPTIONS=--enable-source-maps only when asked', () => {
    const { template } = synthTributary({ logLevel: 'DEBUG', enableSourceMaps: true, metricsNamespace: 'Acme/Workflows' });
    template.allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_LOG_LEVEL: 'DEBUG', NODE_OPTIONS: '--enable-source-maps', POWERTOOLS_METRICS_NAMESPACE: 'Acme/Workflows' }) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Acme/Workflows', MetricName: METRIC.handledServerErrors });
  });

  it('passes the sweep shard count to the handlers', () => {
    const { template } = synthTributary({ sweepShards: 8 });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TRIBUTARY_SWEEP_SHARDS: '8' }) } });
  });

  it('passes a defaultQueue other than "default" to the handlers', () => {
    const { template } = synthTributary({ queues: { main: { visibilityTimeout: Duration.seconds(60), maxReceiveCount: 5 } }, defaultQueue: 'main' });
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TRIBUTARY_DEFAULT_QUEUE: 'main' }) } });
  });
});

describe('TributaryStack', () => {
  const stack = new TributaryStack(testApp(), 'Tributary', {
    alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:ops',
    tributary: { codeFactory: inlineCode },
  });
  const template = Template.fromStack(stack);

  it('wires every alarm to the topic given, and creates none', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: ['arn:aws:sns:eu-west-1:111111111111:ops'],
      OKActions: ['arn:aws:sns:eu-west-1:111111111111:ops'],
    });
  });

  it('outputs the API URL, the table name and each queue URL', () => {
    template.hasOutput('ApiUrl', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    template.hasOutput('TableName', { Value: { Ref: Match.stringLikeRegexp('^TributaryTable') } });
    template.hasOutput('AlarmTopicArn', { Value: 'arn:aws:sns:eu-west-1:111111111111:ops' });
    for (const name of configuredQueues) {
      const alphanumeric = name.replace(/[^A-Za-z0-9]/g, '');
      template.hasOutput(`QueueUrl${alphanumeric}`, { Value: { Ref: Match.stringLikeRegexp(`^TributaryQueue${alphanumeric}`) } });
    }
  });
});

/**
 * Decodes TRIBUTARY_QUEUE_URLS of the first function that has it: queue name to the
 * logical id of the queue whose URL (Ref) it holds.
 */
function queueUrlsOf(template: Template): Record<string, string> {
  const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Environment: { Variables: { TRIBUTARY_QUEUE_URLS: Match.anyValue() } } } }))[0] as {
    Properties: { Environment: { Variables: { TRIBUTARY_QUEUE_URLS: { 'Fn::Join': [string, (string | { Ref: string })[]] } } } };
  };
  const parts = fn.Properties.Environment.Variables.TRIBUTARY_QUEUE_URLS['Fn::Join'][1];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : p.Ref)).join('')) as Record<string, string>;
}
