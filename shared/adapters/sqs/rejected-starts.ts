import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RejectedStarts } from '#app/start-from-queue.ts';

/** The message attribute that says why a start-queue message was dead-lettered. */
export const REJECT_REASON_ATTRIBUTE = 'reason';

/**
 * Sends a start-queue message that can never start a process to the start
 * queue's DLQ, as it came, with the reason in a `reason` message attribute
 * (SQS's own redrive keeps no reason, so the consumer does it).
 */
export class SqsRejectedStarts implements RejectedStarts {
  constructor(
    private readonly sqs: SQSClient,
    private readonly dlqUrl: string,
  ) {}

  async reject({ body, reason }: { body: string; reason: string }): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.dlqUrl,
        MessageBody: body === '' ? '(empty)' : body,
        // Attribute values are at most 256 KiB with the body; a reason is short.
        MessageAttributes: { [REJECT_REASON_ATTRIBUTE]: { DataType: 'String', StringValue: reason.slice(0, 4096) } },
      }),
    );
  }
}
