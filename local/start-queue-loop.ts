import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { startQueueEntry } from '#config/routes.ts';
import { localClientConfig } from './aws-env.ts';
import { REPO_ROOT } from './http-server.ts';
import { createLambdaContext } from './lambda-context.ts';
import { consoleLogger, errorFields, type LocalLogger } from './log.ts';

type StartQueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface StartQueueLoopOptions {
  readonly queueUrl: string;
  readonly sqsEndpoint: string;
  readonly region: string;
  /** Long-poll wait per receive. @default 1 */
  readonly waitSeconds?: number;
  readonly logger?: LocalLogger;
}

export interface StartQueueLoop {
  /** Messages handed to the consumer so far. */
  received(): number;
  /** Stops after the receive in flight. Idempotent. */
  stop(): Promise<void>;
}

/**
 * The start queue's consumer, locally: what Lambda's SQS event source does
 * deployed. It long-polls the queue, hands each batch to the same handler as
 * an SQS event, and deletes the messages the handler did not report as
 * failed (those come back after their visibility timeout and, past their
 * receive count, go to the DLQ by the queue's redrive policy).
 *
 * @example
 * const loop = startStartQueueLoop({ queueUrl, sqsEndpoint, region });
 * await loop.stop();
 */
export function startStartQueueLoop(options: StartQueueLoopOptions): StartQueueLoop {
  const logger = options.logger ?? consoleLogger;
  const sqs = new SQSClient(localClientConfig(options.sqsEndpoint, options.region));
  const handler = import(pathToFileURL(resolve(REPO_ROOT, startQueueEntry)).href).then((m: { handler: StartQueueHandler }) => m.handler);
  let stopped = false;
  let received = 0;

  const once = async (): Promise<void> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: options.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: options.waitSeconds ?? 1, AttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );
    if (Messages.length === 0 || stopped) return;
    received += Messages.length;
    const context = createLambdaContext({ functionName: 'tributary-StartQueue', timeoutMs: 30_000, region: options.region });
    const { batchItemFailures } = await (await handler)({ Records: Messages.map((m) => recordOf(m, options)) }, context);
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    const done = Messages.filter((m) => !failed.has(m.MessageId ?? ''));
    if (done.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  };

  const running = (async () => {
    while (!stopped) {
      try {
        await once();
      } catch (error) {
        if (stopped) break;
        logger('ERROR', 'start-queue poll failed', errorFields(error));
        await new Promise((r) => setTimeout(r, 1000).unref());
      }
    }
  })();

  return {
    received: () => received,
    stop: async () => {
      stopped = true;
      await running;
      sqs.destroy();
    },
  };
}

function recordOf(m: Message, options: StartQueueLoopOptions): SQSRecord {
  const a = m.Attributes ?? {};
  return {
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${options.region}:000000000000:${options.queueUrl.split('/').pop() ?? 'start'}`,
    awsRegion: options.region,
  };
}
