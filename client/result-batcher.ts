import { isTributaryApiError } from './errors.ts';
import { MAX_BATCH_ITEMS, type BatchItemResult, type CompleteItem, type FailItem } from './batch-results.ts';
import type { TaskEnded, TaskError } from './schemas.ts';
import type { TributaryClient } from './tributary-client.ts';

/** Timers, injectable so that tests drive the flush delay without waiting on the clock. */
export interface BatcherTimers {
  readonly set: (fn: () => void, ms: number) => unknown;
  readonly clear: (handle: unknown) => void;
}

export interface ResultBatcherOptions {
  readonly client: TributaryClient;
  /** Longest wait of a result for others to share its call. @default 50 */
  readonly flushDelayMs?: number;
  /**
   * Asked after each result is queued, with how many wait: true sends them at
   * once. The Worker says yes when every task it runs is waiting for its
   * result, since then nothing else can join the batch. @default never
   */
  readonly flushNow?: (waiting: number) => boolean;
  /** @default setTimeout and clearTimeout */
  readonly timers?: BatcherTimers;
}

/**
 * A body's share of the 256 KiB a request may carry: a result bigger than
 * this goes alone, through its single route, and a batch is sent before it
 * would outgrow {@link MAX_BATCH_BYTES}.
 */
const MAX_SHARED_BYTES = 64 * 1024;
const MAX_BATCH_BYTES = 192 * 1024;

interface Pending<I> {
  readonly item: I;
  readonly bytes: number;
  readonly resolve: (ended: TaskEnded) => void;
  readonly reject: (error: unknown) => void;
}

type Kind = 'complete' | 'fail';

/**
 * Sends the results of tasks (completions and failed attempts) in batches:
 * `POST /tasks/complete` and `POST /tasks/fail`, each sent when 10 wait, when
 * the oldest has waited `flushDelayMs`, or when `flushNow` says so. It has the
 * shape of the client's `complete` and `fail`: each call resolves with its own
 * item's answer or rejects with the error its single call would have thrown,
 * so `runClaimedTask` reads a batched answer as it reads a single one.
 *
 * An item the server answered `InternalError` is sent again alone, through
 * the single route and its retries; a batch refused whole as too large is
 * sent again item by item.
 *
 * @example
 * const results = new ResultBatcher({ client });
 * await results.complete(processId, task, { leaseToken, output });
 * await results.close(); // sends what waits
 */
export class ResultBatcher {
  private readonly client: TributaryClient;
  private readonly flushDelayMs: number;
  private readonly flushNow: (waiting: number) => boolean;
  private readonly timers: BatcherTimers;
  private readonly queues: { complete: Pending<CompleteItem>[]; fail: Pending<FailItem>[] } = { complete: [], fail: [] };
  private timer: unknown;
  private readonly sending = new Set<Promise<void>>();

  constructor(options: ResultBatcherOptions) {
    const { flushDelayMs = 50 } = options;
    if (!(flushDelayMs >= 0)) throw new RangeError(`flushDelayMs must be 0 or more, got ${flushDelayMs}`);
    this.client = options.client;
    this.flushDelayMs = flushDelayMs;
    this.flushNow = options.flushNow ?? (() => false);
    this.timers = options.timers ?? { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };
  }

  /** Results waiting to be sent. */
  get waiting(): number {
    return this.queues.complete.length + this.queues.fail.length;
  }

  /** Completes a task, in the next batch: resolves as `client.complete` would. */
  complete(processId: string, task: string, result: { leaseToken?: string; output?: unknown }): Promise<TaskEnded> {
    return this.enqueue('complete', { processId, task, ...result });
  }

  /** Fails an attempt, in the next batch: resolves as `client.fail` would. */
  fail(processId: string, task: string, failure: { leaseToken?: string; error: TaskError }): Promise<TaskEnded> {
    return this.enqueue('fail', { processId, task, ...failure });
  }

  /** Asks `flushNow` again (e.g. when a task ended without a result) and sends if it says so. */
  poke(): void {
    if (this.waiting > 0 && this.flushNow(this.waiting)) this.flush();
  }

  /** Sends everything waiting now; resolves when every call in flight has answered. */
  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.sending]);
  }

  /** Sends everything waiting now, without waiting for the answers. */
  flush(): void {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.send('complete');
    this.send('fail');
  }

  private enqueue(kind: Kind, item: CompleteItem | FailItem): Promise<TaskEnded> {
    const bytes = JSON.stringify(item).length;
    if (bytes > MAX_SHARED_BYTES) return this.single(kind, item);
    return new Promise<TaskEnded>((resolve, reject) => {
      const queue = this.queues[kind] as Pending<CompleteItem | FailItem>[];
      if (queue.reduce((sum, p) => sum + p.bytes, bytes) > MAX_BATCH_BYTES) this.send(kind);
      queue.push({ item, bytes, resolve, reject });
      if (queue.length >= MAX_BATCH_ITEMS || this.flushNow(this.waiting)) this.flush();
      else this.timer ??= this.timers.set(() => {
        this.timer = undefined;
        this.flush();
      }, this.flushDelayMs);
    });
  }

  private send(kind: Kind): void {
    const queue = this.queues[kind] as Pending<CompleteItem | FailItem>[];
    if (queue.length === 0) return;
    const batch = queue.splice(0, queue.length);
    const sent = this.deliver(kind, batch).finally(() => this.sending.delete(sent));
    this.sending.add(sent);
  }

  /** One call for the batch (one alone goes through the single route); settles each item's promise. Never rejects. */
  private async deliver(kind: Kind, batch: readonly Pending<CompleteItem | FailItem>[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Pending<CompleteItem | FailItem>];
      await this.single(kind, only.item).then(only.resolve, only.reject);
      return;
    }
    let results: BatchItemResult<TaskEnded>[];
    try {
      const items = batch.map((p) => p.item);
      results = kind === 'complete' ? await this.client.completeTasks(items as CompleteItem[]) : await this.client.failTasks(items as FailItem[]);
    } catch (error) {
      if (isTributaryApiError(error, 'PayloadTooLarge')) {
        await Promise.all(batch.map((p) => this.single(kind, p.item).then(p.resolve, p.reject)));
      } else {
        for (const p of batch) p.reject(error);
      }
      return;
    }
    await Promise.all(
      results.map(async (r, i) => {
        const p = batch[i]!;
        if (r.ok) p.resolve(r.value);
        // The server's own failure on this item: its single call retries it.
        else if (r.error.code === 'InternalError') await this.single(kind, p.item).then(p.resolve, p.reject);
        else p.reject(r.error);
      }),
    );
  }

  private single(kind: Kind, item: CompleteItem | FailItem): Promise<TaskEnded> {
    const { processId, task, ...body } = item;
    return kind === 'complete' ? this.client.complete(processId, task, body as Omit<CompleteItem, 'processId' | 'task'>) : this.client.fail(processId, task, body as Omit<FailItem, 'processId' | 'task'>);
  }
}
