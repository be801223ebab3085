import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { tributaryConfig } from '#config/queues.ts';
import { Tributary, type TributaryProps, type TributaryQueueProps } from './tributary.ts';

export interface TributaryStackProps extends StackProps {
  /**
   * Props of the Tributary construct.
   * @default - the construct's defaults, with the queues of tributary.config.json
   */
  readonly tributary?: Omit<TributaryProps, 'alarmTopic'>;
  /**
   * ARN of an existing SNS topic that every alarm notifies.
   * @default - the construct creates a topic
   */
  readonly alarmTopicArn?: string;
}

/**
 * The repository's deployable Tributary: the construct with the queues of
 * tributary.config.json (the file the local stack reads too), plus the outputs
 * a client or worker needs (API URL, queue URLs, table name, alarm topic).
 */
export class TributaryStack extends Stack {
  public readonly tributary: Tributary;

  constructor(scope: Construct, id: string, props: TributaryStackProps = {}) {
    const { tributary, alarmTopicArn, ...stackProps } = props;
    super(scope, id, { description: 'Tributary: serverless DAG workflow orchestrator', ...stackProps });
    const alarmTopic = alarmTopicArn ? sns.Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn) : undefined;
    this.tributary = new Tributary(this, 'Tributary', { queues: queuesFromConfig(), ...tributary, alarmTopic });

    new CfnOutput(this, 'ApiUrl', { value: this.tributary.apiUrl, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'TableName', { value: this.tributary.table.tableName, description: 'DynamoDB table' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.tributary.alarmTopic.topicArn, description: 'SNS topic of the alarms' });
    const outputIds = new Map<string, string>();
    for (const [name, queue] of Object.entries(this.tributary.queues)) {
      // Output ids keep only A-Z a-z 0-9, so "a-b" and "a_b" would collide.
      const outputId = `QueueUrl${name.replace(/[^A-Za-z0-9]/g, '')}`;
      const clash = outputIds.get(outputId);
      if (clash !== undefined) throw new Error(`TributaryStack: queues "${clash}" and "${name}" would both output ${outputId}; rename one`);
      outputIds.set(outputId, name);
      new CfnOutput(this, outputId, { value: queue.queueUrl, description: `URL of work queue "${name}"` });
    }
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
