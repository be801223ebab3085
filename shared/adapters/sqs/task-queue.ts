import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_SEND_DELAY_SECONDS, type OutgoingTaskMessage, type TaskQueue } from '#app/ports.ts';
import type { TaskMessage } from '#schemas/items.ts';

interface Outgoing {
  readonly body: TaskMessage;
  readonly delaySeconds: number;
}

export class QueueNotConfiguredError extends Error {
  constructor(queue: string, options?: ErrorOptions) {
    super(`queue '${queue}' has no URL configured`, options);
    this.name = 'QueueNotConfiguredError';
  }
}

/**
 * SQS implementation: one SendMessageBatch per 10 messages of a queue, sent in
 * parallel. Messages are hints (the claim is the authority), so a duplicate from
 * a retried batch is harmless.
 */
export class SqsTaskQueue implements TaskQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrls: Readonly<Record<string, string>>,
  ) {}

  async send({ messages }: { messages: readonly OutgoingTaskMessage[] }): Promise<void> {
    const byQueue = new Map<string, Outgoing[]>();
    for (const m of messages) {
      const list = byQueue.get(m.queue) ?? [];
      list.push({ body: m.body, delaySeconds: Math.min(MAX_SEND_DELAY_SECONDS, Math.max(0, Math.ceil(m.delaySeconds ?? 0))) });
      byQueue.set(m.queue, list);
    }
    const batches: Promise<void>[] = [];
    for (const [queue, bodies] of byQueue) {
      const url = this.queueUrls[queue];
      if (!url) throw new QueueNotConfiguredError(queue);
      for (let i = 0; i < bodies.length; i += 10) batches.push(this.sendBatch(url, bodies.slice(i, i + 10)));
    }
    const results = await Promise.allSettled(batches);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async sendBatch(url: string, bodies: Outgoing[], retriesLeft = 2): Promise<void> {
    const out = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: JSON.stringify(b.body), ...(b.delaySeconds > 0 ? { DelaySeconds: b.delaySeconds } : {}) })),
      }),
    );
    const failedIds = new Set((out.Failed ?? []).map((f) => f.Id));
    if (failedIds.size === 0) return;
    const retry = bodies.filter((_, i) => failedIds.has(String(i)));
    if (retriesLeft === 0) throw new Error(`SQS rejected ${retry.length} message(s): ${out.Failed?.[0]?.Message ?? 'unknown'}`);
    await this.sendBatch(url, retry, retriesLeft - 1);
  }
}
