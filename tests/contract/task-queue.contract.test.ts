import { randomBytes } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskQueue } from '#app/ports.ts';
import { MemoryTaskQueue } from '#adapters/memory/memory-task-queue.ts';
import { QueueNotConfiguredError, SqsTaskQueue } from '#adapters/sqs/task-queue.ts';
import { TaskMessageSchema, type TaskMessage } from '#schemas/items.ts';
import { createResources } from '../../local/create-resources.ts';
import { sqsClient, testEmulators } from '../support/clients.ts';
import { T0 } from './fixtures.ts';
import { Observations, refusal } from './observations.ts';

/**
 * The task queue contract: the in-memory queue against the SQS emulator.
 * Sends go through the {@link TaskQueue} port on both (SqsTaskQueue, and
 * MemoryTaskQueue); receives go through the SQS client on one side and the
 * memory queue's consumer methods on the other.
 *
 * Nothing waits on real time. Where SQS would have to wait out a visibility
 * timeout, the receive asks for a visibility timeout of 0 (the message is
 * visible again at once, and the receive still counts); the memory side moves
 * its own clock past the queue's timeout. (The emulator's
 * ChangeMessageVisibility counts as a receive, unlike SQS, so it is not used.)
 * Where the emulator works in the background (a redrive), the test polls for
 * the result with a generous bound.
 */

const SETTINGS = { visibilityTimeoutSeconds: 30, maxReceiveCount: 2 } as const;
const QUEUE = 'work';
/** Upper bound on polling the emulator for something it does in the background; never a timing assertion. */
const POLL_BOUND_MS = 20_000;

interface Received {
  readonly body: TaskMessage;
  readonly receiptHandle: string;
  readonly receiveCount: number;
}

/** One queue under contract, driven the same way on both sides. */
interface QueueDriver {
  readonly port: TaskQueue;
  /** Receives what is visible now, hiding it for the queue's visibility timeout. */
  receiveNow(): Promise<Received[]>;
  /** Receives until `count` messages came (bounded), hiding them. */
  receiveUntil(count: number): Promise<Received[]>;
  /** Receives `count` messages whose visibility timeout then runs out at once. */
  receiveAndLetTimeOut(count: number): Promise<Received[]>;
  delete(receiptHandle: string): Promise<void>;
  /** What the dead-letter queue holds, once it holds `count` messages (bounded). */
  deadLettersUntil(count: number): Promise<TaskMessage[]>;
  close(): void;
}

function message(task: string): TaskMessage {
  return { processId: 'queue-contract', task, attempt: 1, definition: 'contract', version: 1 };
}

function memoryDriver(): QueueDriver {
  let now = T0;
  const queue = new MemoryTaskQueue({ [QUEUE]: SETTINGS }, () => now);
  return {
    port: queue,
    receiveNow: () => Promise.resolve(queue.receive(QUEUE, 10)),
    receiveUntil: (count) => {
      const out: Received[] = [];
      for (let batch = queue.receive(QUEUE, 10); batch.length > 0 && out.length < count; batch = queue.receive(QUEUE, 10)) out.push(...batch);
      return Promise.resolve(out);
    },
    receiveAndLetTimeOut: (count) => {
      const out = queue.receive(QUEUE, count);
      now += SETTINGS.visibilityTimeoutSeconds * 1000;
      return Promise.resolve(out);
    },
    delete: (handle) => Promise.resolve(queue.delete(QUEUE, handle)),
    deadLettersUntil: () => Promise.resolve(queue.deadLetters(QUEUE)),
    close: () => undefined,
  };
}

async function sqsDriver(): Promise<QueueDriver> {
  const { region, dynamodbEndpoint, sqsEndpoint } = testEmulators();
  const base = `tributary-queue-${randomBytes(4).toString('hex')}`;
  const resources = await createResources({ region, dynamodbEndpoint, sqsEndpoint, tableName: base, queuePrefix: `${base}-`, queues: { [QUEUE]: SETTINGS } });
  const url = resources.queues[QUEUE]!;
  const dlq = resources.dlqs[QUEUE]!;
  const sqs: SQSClient = sqsClient();
  const receive = async (queueUrl: string, options: { visibility?: number; wait: number; max?: number }): Promise<Received[]> => {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: options.max ?? 10,
        WaitTimeSeconds: options.wait,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        // The emulator reads only the older (deprecated) parameter; SQS accepts both.
        AttributeNames: ['All'],
        ...(options.visibility === undefined ? {} : { VisibilityTimeout: options.visibility }),
      }),
    );
    return (out.Messages ?? []).map((m) => ({
      body: TaskMessageSchema.parse(JSON.parse(m.Body ?? '{}')),
      receiptHandle: m.ReceiptHandle ?? '',
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount),
    }));
  };
  const until = async (count: number, next: () => Promise<Received[]>): Promise<Received[]> => {
    const out: Received[] = [];
    const deadline = Date.now() + POLL_BOUND_MS;
    while (out.length < count && Date.now() < deadline) out.push(...(await next()));
    return out;
  };
  return {
    port: new SqsTaskQueue(sqs, { [QUEUE]: url }),
    receiveNow: () => receive(url, { wait: 0 }),
    receiveUntil: (count) => until(count, () => receive(url, { wait: 1 })),
    receiveAndLetTimeOut: (count) => until(count, () => receive(url, { wait: 1, visibility: 0, max: count })),
    delete: async (handle) => {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: handle }));
    },
    deadLettersUntil: async (count) => (await until(count, () => receive(dlq, { wait: 1 }))).map((r) => r.body),
    close: () => sqs.destroy(),
  };
}

const seen = new Observations();
const byTask = (a: { body: TaskMessage }, b: { body: TaskMessage }): number => a.body.task.localeCompare(b.body.task);

for (const [name, factory] of [
  ['sqs', sqsDriver],
  ['memory', () => Promise.resolve(memoryDriver())],
] as const) {
  describe(`task queue contract on the ${name} queue`, () => {
    let driver: QueueDriver | undefined;
    beforeAll(async () => {
      driver = await factory();
    });
    afterAll(() => driver?.close());
    const scenario = (title: string, run: (d: QueueDriver) => Promise<unknown>): void => {
      seen.declare(title);
      it(title, async () => {
        if (!driver) throw new Error('no driver');
        seen.record(name, title, await run(driver));
      });
    };

    scenario('delivers every message sent, in batches of any size, each received once and then hidden', async (d) => {
      const sent = Array.from({ length: 12 }, (_, i) => message(`batch-${String(i).padStart(2, '0')}`));
      await d.port.send({ messages: sent.map((body) => ({ queue: QUEUE, body })) });
      const received = (await d.receiveUntil(12)).sort(byTask);
      const hidden = await d.receiveNow();
      expect(received.map((r) => r.body)).toEqual(sent);
      expect(received.map((r) => r.receiveCount)).toEqual(sent.map(() => 1));
      expect(new Set(received.map((r) => r.receiptHandle)).size).toBe(12);
      expect(hidden).toEqual([]);
      for (const r of received) await d.delete(r.receiptHandle);
      return { bodies: received.map((r) => r.body), counts: received.map((r) => r.receiveCount), hidden };
    });

    scenario('delivers a message again once its visibility timeout runs out, counting each receive', async (d) => {
      await d.port.send({ messages: [{ queue: QUEUE, body: message('again') }] });
      const first = await d.receiveAndLetTimeOut(1);
      const second = await d.receiveUntil(1);
      expect(first.map((r) => [r.body.task, r.receiveCount])).toEqual([['again', 1]]);
      expect(second.map((r) => [r.body.task, r.receiveCount])).toEqual([['again', 2]]);
      expect(second[0]?.receiptHandle).not.toBe(first[0]?.receiptHandle);
      await d.delete(second[0]!.receiptHandle);
      return [first, second].map((rs) => rs.map((r) => [r.body, r.receiveCount]));
    });

    scenario('deletes a received message for good', async (d) => {
      await d.port.send({ messages: [{ queue: QUEUE, body: message('deleted') }] });
      const [received] = await d.receiveAndLetTimeOut(1);
      await d.delete(received!.receiptHandle);
      const after = await d.receiveNow();
      expect(after).toEqual([]);
      return after;
    });

    scenario('moves a message to the dead-letter queue once it was received maxReceiveCount times', async (d) => {
      await d.port.send({ messages: [{ queue: QUEUE, body: message('poison') }] });
      const counts: number[] = [];
      for (let i = 0; i < SETTINGS.maxReceiveCount; i++) counts.push(...(await d.receiveAndLetTimeOut(1)).map((r) => r.receiveCount));
      const afterLast = await d.receiveNow();
      const dead = await d.deadLettersUntil(1);
      expect(counts).toEqual([1, 2]);
      expect(afterLast).toEqual([]);
      expect(dead).toEqual([message('poison')]);
      return { counts, afterLast, dead };
    });

    scenario('refuses a send to a queue it has no URL for', async (d) => {
      const refused = await refusal(d.port.send({ messages: [{ queue: 'unknown', body: message('lost') }] }));
      expect(refused).toEqual({ name: 'QueueNotConfiguredError' });
      await expect(d.port.send({ messages: [{ queue: 'unknown', body: message('lost') }] })).rejects.toBeInstanceOf(QueueNotConfiguredError);
      return refused;
    });
  });
}

describe('the in-memory queue’s own clock', () => {
  it('keeps a received message hidden until exactly its visibility timeout has passed', () => {
    let now = T0;
    const queue = new MemoryTaskQueue({ [QUEUE]: SETTINGS }, () => now);
    void queue.send({ messages: [{ queue: QUEUE, body: message('clock') }] });
    expect(queue.receive(QUEUE)).toHaveLength(1);
    now += SETTINGS.visibilityTimeoutSeconds * 1000 - 1;
    expect(queue.receive(QUEUE)).toEqual([]);
    expect(queue.nextVisibleAt(QUEUE)).toBe(T0 + SETTINGS.visibilityTimeoutSeconds * 1000);
    now += 1;
    expect(queue.receive(QUEUE).map((r) => r.receiveCount)).toEqual([2]);
  });

  it('deletes nothing with the receipt handle of an earlier receive', () => {
    let now = T0;
    const queue = new MemoryTaskQueue({ [QUEUE]: SETTINGS }, () => now);
    void queue.send({ messages: [{ queue: QUEUE, body: message('stale') }] });
    const [first] = queue.receive(QUEUE);
    now += SETTINGS.visibilityTimeoutSeconds * 1000;
    const [second] = queue.receive(QUEUE);
    queue.delete(QUEUE, first!.receiptHandle);
    expect(queue.depth(QUEUE)).toBe(1);
    queue.delete(QUEUE, second!.receiptHandle);
    expect(queue.depth(QUEUE)).toBe(0);
  });
});

seen.defineAgreement('the in-memory queue answers every scenario as the SQS emulator does', ['sqs', 'memory']);
