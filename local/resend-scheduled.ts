import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { processIdOf, TASK_SK_PREFIX } from '#adapters/stores/keys.ts';
import { SqsTaskQueue } from '#adapters/sqs/task-queue.ts';
import type { OutgoingTaskMessage } from '#app/ports.ts';
import { localClientConfig } from './aws-env.ts';

export interface ResendScheduledOptions {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly tableName: string;
  /** Queue name to queue URL. */
  readonly queues: Readonly<Record<string, string>>;
}

/**
 * Sends the message of every SCHEDULED task again. The embedded SQS emulator
 * keeps its messages in memory, so after a restart on persisted data those
 * tasks would otherwise wait for the sweeper's resend, which backs off. A
 * duplicate of a message that did survive is harmless: the claim decides.
 * Returns how many messages were sent.
 */
export async function resendScheduledTasks(options: ResendScheduledOptions): Promise<number> {
  const dynamodb = new DynamoDBClient(localClientConfig(options.dynamodbEndpoint, options.region));
  const db = DynamoDBDocumentClient.from(dynamodb);
  const sqs = new SQSClient(localClientConfig(options.sqsEndpoint, options.region));
  const queue = new SqsTaskQueue(sqs, options.queues);
  let sent = 0;
  try {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await db.send(
        new ScanCommand({
          TableName: options.tableName,
          FilterExpression: 'begins_with(#sk, :task) AND #status = :scheduled',
          // Every name aliased: several (status, name, queue, definition, version) are DynamoDB reserved words.
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#status': 'status', '#name': 'name', '#attempt': 'attempt', '#queue': 'queue', '#definition': 'definition', '#version': 'version' },
          ExpressionAttributeValues: { ':task': TASK_SK_PREFIX, ':scheduled': 'SCHEDULED' },
          ProjectionExpression: '#pk, #name, #attempt, #queue, #definition, #version',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const messages: OutgoingTaskMessage[] = [];
      for (const item of page.Items ?? []) {
        const { pk, name, attempt, queue: queueName, definition, version } = item as Record<string, unknown>;
        if (typeof pk !== 'string' || typeof name !== 'string' || typeof queueName !== 'string' || typeof definition !== 'string') continue;
        if (typeof version !== 'number' || typeof attempt !== 'number' || !options.queues[queueName]) continue;
        messages.push({ queue: queueName, body: { processId: processIdOf(pk), task: name, attempt, definition, version } });
      }
      if (messages.length > 0) await queue.send({ messages });
      sent += messages.length;
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  } finally {
    dynamodb.destroy();
    sqs.destroy();
  }
  return sent;
}
