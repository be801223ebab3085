import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthTributary } from './test-app.ts';

/** docs/deploy.md's example, as written there: an EventBridge rule that starts a process for each object created in a bucket. */
describe("docs/deploy.md's start-on-upload rule", () => {
  it('sends each Object Created event of the bucket to the start queue as a start message', () => {
    const { template } = synthTributary({}, (stack, tributary) => {
      const uploads = new s3.Bucket(stack, 'Uploads', { eventBridgeEnabled: true, enforceSSL: true });
      new events.Rule(stack, 'StartOnUpload', {
        eventPattern: { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: [uploads.bucketName] } } },
        targets: [
          new targets.SqsQueue(tributary.startQueue, {
            message: events.RuleTargetInput.fromObject({
              definition: 'ingest-upload',
              input: { bucket: events.EventField.fromPath('$.detail.bucket.name'), key: events.EventField.fromPath('$.detail.object.key') },
              idempotencyKey: events.EventField.fromPath('$.detail.object.sequencer'),
            }),
          }),
        ],
      });
    });
    const rules = template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { 'detail-type': ['Object Created'] } } });
    const [rule] = Object.values(rules) as { Properties: { Targets: { InputTransformer: { InputTemplate: string } }[] } }[];
    const input = rule!.Properties.Targets[0]!.InputTransformer.InputTemplate;
    expect(input).toContain('"definition":"ingest-upload"');
    expect(input).toContain('"idempotencyKey":<detail-object-sequencer>');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']), Principal: { Service: 'events.amazonaws.com' } })]) },
    });
  });
});
