import type { Clock, OutgoingTaskMessage, TaskQueue } from '#app/ports.ts';
import type { TaskMessage } from '#schemas/items.ts';
import { QueueNotConfiguredError } from '../sqs/task-queue.ts';
import { copyItem } from './copy-item.ts';

/** SQS settings of one in-memory queue. */
export interface MemoryQueueSettings {
  /** @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
}

export interface ReceivedMessage {
  readonly body: TaskMessage;
  readonly receiptHandle: string;
  /** 1 on the first receive. */
  readonly receiveCount: number;
}

interface StoredMessage {
  readonly id: number;
  readonly body: TaskMessage;
  visibleAt: number;
  receiveCount: number;
  receiptHandle?: string;
}

interface Queue {
  readonly settings: Required<MemoryQueueSettings>;
  readonly messages: StoredMessage[];
  readonly dead: TaskMessage[];
}

/**
 * A {@link TaskQueue} in memory, on a given clock, with SQS's consumer
 * semantics: a received message is invisible for the visibility timeout, a
 * message received more than `maxReceiveCount` times moves to the queue's
 * dead-letter queue, and a receipt handle only deletes the receive that
 * issued it. Faults for tests: drop the next sends, or deliver them twice.
 */
export class MemoryTaskQueue implements TaskQueue {
  private readonly queues = new Map<string, Queue>();
  private nextId = 1;
  private faults = { drop: 0, duplicate: 0 };

  constructor(
    queues: Readonly<Record<string, MemoryQueueSettings>>,
    private readonly now: Clock,
  ) {
    for (const [name, s] of Object.entries(queues)) {
      this.queues.set(name, { settings: { visibilityTimeoutSeconds: s.visibilityTimeoutSeconds ?? 60, maxReceiveCount: s.maxReceiveCount ?? 5 }, messages: [], dead: [] });
    }
  }

  get names(): string[] {
    return [...this.queues.keys()];
  }

  async send({ messages }: { messages: readonly OutgoingTaskMessage[] }): Promise<void> {
    for (const m of messages) if (!this.queues.has(m.queue)) throw new QueueNotConfiguredError(m.queue);
    for (const m of messages) {
      if (this.faults.drop > 0) {
        this.faults.drop -= 1;
        continue;
      }
      const copies = this.faults.duplicate > 0 ? 2 : 1;
      if (copies === 2) this.faults.duplicate -= 1;
      // A send delay (a retry's backoff) hides the message until then, as SQS's DelaySeconds does.
      const visibleAt = this.now() + (m.delaySeconds ?? 0) * 1000;
      for (let i = 0; i < copies; i++) this.queue(m.queue).messages.push({ id: this.nextId++, body: copyItem(m.body), visibleAt, receiveCount: 0 });
    }
  }

  /**
   * Receives up to `max` visible messages, oldest first, hiding each for the
   * visibility timeout. With `only`, messages it rejects are not received at
   * all (they stay visible, their receive count untouched): a test engine's way
   * to route by task without burning receives.
   */
  receive(queue: string, max = 10, only?: (body: TaskMessage) => boolean): ReceivedMessage[] {
    const q = this.queue(queue);
    const now = this.now();
    const out: ReceivedMessage[] = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > now || (only && !only(m.body))) continue;
      if (m.receiveCount >= q.settings.maxReceiveCount) {
        // Redrive happens on the receive after the last allowed one, as in SQS.
        q.messages.splice(q.messages.indexOf(m), 1);
        q.dead.push(m.body);
        continue;
      }
      m.receiveCount += 1;
      m.visibleAt = now + q.settings.visibilityTimeoutSeconds * 1000;
      m.receiptHandle = `${m.id}:${m.receiveCount}`;
      out.push({ body: copyItem(m.body), receiptHandle: m.receiptHandle, receiveCount: m.receiveCount });
    }
    return out;
  }

  /** Deletes the message of a receive; a stale handle (the message was received again since) deletes nothing. */
  delete(queue: string, receiptHandle: string): void {
    const q = this.queue(queue);
    const i = q.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (i >= 0) q.messages.splice(i, 1);
  }

  /** Makes a received message visible again after `seconds`. */
  changeVisibility(queue: string, receiptHandle: string, seconds: number): void {
    const m = this.queue(queue).messages.find((x) => x.receiptHandle === receiptHandle);
    if (m) m.visibleAt = this.now() + seconds * 1000;
  }

  /** Messages on the queue, visible or not. */
  depth(queue: string): number {
    return this.queue(queue).messages.length;
  }

  /** When the next hidden message becomes visible (epoch ms), if any is hidden. */
  nextVisibleAt(queue: string): number | undefined {
    const hidden = this.queue(queue).messages.map((m) => m.visibleAt).filter((t) => t > this.now());
    return hidden.length > 0 ? Math.min(...hidden) : undefined;
  }

  /** What the queue's dead-letter queue holds. */
  deadLetters(queue: string): TaskMessage[] {
    return this.queue(queue).dead.map((b) => copyItem(b));
  }

  /** Fault injection: the next `count` messages sent are lost. */
  dropNext(count = 1): void {
    this.faults.drop += count;
  }

  /** Fault injection: the next `count` messages sent are delivered twice. */
  duplicateNext(count = 1): void {
    this.faults.duplicate += count;
  }

  private queue(name: string): Queue {
    const q = this.queues.get(name);
    if (!q) throw new QueueNotConfiguredError(name);
    return q;
  }
}
