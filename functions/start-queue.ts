import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { AppDeps } from '#app/deps.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { startFromQueue, type RejectedStarts } from '#app/start-from-queue.ts';
import { createSqsClient } from '#adapters/aws-clients.ts';
import { SqsRejectedStarts } from '#adapters/sqs/rejected-starts.ts';
import { ENV } from '#config/env.ts';
import { METRIC } from '#observability/metric-names.ts';
import { countMetric, flushMetrics, logger } from '#observability/powertools.ts';

/**
 * The start queue's consumer (an SQS event source with batch item failures;
 * locally a poll loop). Each message starts a process with its idempotency
 * key; one that never can goes to the DLQ with its reason; one that failed
 * for a passing cause is reported, so SQS delivers it again.
 */
export function startQueueHandler(deps: () => AppDeps, rejected: () => RejectedStarts) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const outcome = await startFromQueue(deps(), rejected(), record.body);
        countMetric(outcome.kind === 'started' ? METRIC.queuedStarts : METRIC.queuedStartsRejected);
      } catch (error) {
        logger.error('start-queue message failed; SQS will deliver it again', { messageId: record.messageId, error: error instanceof Error ? error.message : String(error) });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    flushMetrics();
    return { batchItemFailures };
  };
}

let dlq: RejectedStarts | undefined;
/** The DLQ sender, built once per container from `TRIBUTARY_START_DLQ_URL`. */
function rejectedFromEnv(): RejectedStarts {
  const url = process.env[ENV.startDlqUrl];
  if (!url) throw new Error(`${ENV.startDlqUrl} is not set: the start-queue consumer cannot dead-letter a message`);
  return (dlq ??= new SqsRejectedStarts(createSqsClient(), url));
}

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(startQueueHandler(runtimeDeps, rejectedFromEnv));
