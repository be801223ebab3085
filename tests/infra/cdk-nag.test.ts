import { Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { TributaryStack } from '../../infra/tributary-stack.ts';
import { inlineCode, testApp } from './test-app.ts';

/** Every acknowledgement in the tree: where, which finding, and why. */
function acknowledgements(stack: TributaryStack): { path: string; id: string; reason: string }[] {
  return stack.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

describe('cdk-nag AwsSolutions', () => {
  const app = testApp();
  const stack = new TributaryStack(app, 'Tributary', {
    alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:ops',
    tributary: { codeFactory: inlineCode },
  });

  it('finds no unacknowledged violation in the stack', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only the X-Ray wildcard, once per function role, each with a specific reason', () => {
    const acks = acknowledgements(stack);
    // The API functions, the sweeper, the scheduler and the start-queue consumer.
    expect(acks.length).toBe(Object.keys(stack.tributary.functions).length + 3);
    for (const ack of acks) {
      expect(ack.id).toMatch(/AwsSolutions-IAM5\[Resource::\*\]$/);
      expect(ack.path).toMatch(/\/Role$/);
      expect(ack.reason.trim().length).toBeGreaterThan(40);
      expect(ack.reason).toMatch(/X-Ray/);
    }
  });
});

describe('cdk-nag AwsSolutions with the created alarm topic and JWT authorization', () => {
  const app = testApp();
  const stack = new TributaryStack(app, 'Tributary', {
    tributary: { codeFactory: inlineCode, authorization: { mode: 'jwt', issuer: 'https://idp.example.com', audience: ['tributary'] } },
  });

  it('finds no unacknowledged violation', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges SNS2 on the topic only, with the reason (CloudWatch cannot use the AWS managed key)', () => {
    const topicAcks = acknowledgements(stack).filter((a) => !a.id.includes('IAM5'));
    expect(topicAcks).toHaveLength(1);
    expect(topicAcks[0]!.id).toMatch(/AwsSolutions-SNS2$/);
    expect(topicAcks[0]!.path).toMatch(/\/AlarmTopic$/);
    expect(topicAcks[0]!.reason).toMatch(/CloudWatch alarms cannot publish/);
  });
});

describe('cdk-nag AwsSolutions with map item buckets', () => {
  const app = testApp();
  // Buckets of another stack (or account) are the usual case: imported, one of them with a customer managed key.
  const data = new Stack(app, 'Data');
  const exportsBucket = s3.Bucket.fromBucketAttributes(data, 'Exports', {
    bucketName: 'acme-exports',
    encryptionKey: kms.Key.fromKeyArn(data, 'ExportsKey', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
  });
  const stack = new TributaryStack(app, 'Tributary', {
    alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:ops',
    tributary: { codeFactory: inlineCode, mapItemBuckets: [exportsBucket] },
  });
  stack.tributary.grantMapItems(s3.Bucket.fromBucketName(stack, 'Rows', 'acme-rows'));

  it('finds no unacknowledged violation: the object wildcard of each bucket is acknowledged on the readers', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges exactly the object ARN of each granted bucket, on the control, worker and sweeper roles, with the reason', () => {
    const objectAcks = acknowledgements(stack).filter((a) => !a.id.endsWith('[Resource::*]'));
    expect(objectAcks.map((a) => a.id.replace(/^Annotation::/i, '')).sort()).toEqual(
      [
        ...Array(3).fill('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::acme-exports/*]'),
        ...Array(3).fill('AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::acme-rows/*]'),
      ].sort(),
    );
    expect(new Set(objectAcks.map((a) => a.path.split('/').at(-2)))).toEqual(new Set(['ControlHandler', 'WorkerHandler', 'Sweeper']));
    for (const ack of objectAcks) expect(ack.reason).toMatch(/s3:GetObject .* read only/);
  });
});
