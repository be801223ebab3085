import { Validations } from 'aws-cdk-lib';
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
