import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { claimTask } from '#app/claim-task.ts';
import { createMemoryDeps } from '#app/create-deps.ts';
import type { Settings } from '#app/deps.ts';
import { completeTask } from '#app/end-task.ts';
import type { TaskQueue } from '#app/ports.ts';
import { sweep } from '#app/sweep.ts';
import type { MemoryItemTable } from '#adapters/memory/memory-item-table.ts';
import type { MemoryTaskQueue } from '#adapters/memory/memory-task-queue.ts';
import { storesOn } from '#adapters/stores/stores-on.ts';
import type { IndexQuery, ItemTable, ItemWrite, Key, PartitionPageQuery } from '#adapters/item-table.ts';
import { documentClient } from './clients.ts';
import { TestClock, drainQueue, testDeps, type Deps, type ReceivedTask } from './core-harness.ts';
import { createIsolatedResources } from './resources.ts';

/**
 * One interface over the two engines the use-case scenarios run on:
 * - `memoryEngine()`: the use cases on the in-memory table and queue (unit
 *   project, no Java, milliseconds);
 * - `dynamoEngine(label)`: the use cases on this file's own DynamoDB Local
 *   table and SQS emulator queues (integration project).
 *
 * A scenario written against {@link Engine} runs unchanged on both. Every
 * set of deps an engine hands out works on the SAME table and queue; the
 * extra ones are separate invocations (their own clients, their own store
 * caches, as another Lambda would have), optionally with call hooks: crash
 * injection, call counting, a clock that moves on every call.
 */
export interface Engine {
  readonly name: 'memory' | 'dynamodb';
  /** Deps of the test itself: no hooks. */
  readonly deps: Deps;
  /** The clock every set of deps of this engine reads. */
  readonly clock: TestClock;
  /** Receives every message visible on the `default` queue now, and deletes them (unless `keep`). */
  drain(options?: { keep?: boolean }): Promise<ReceivedTask[]>;
  /** Deps of a separate invocation on the same table and queue, with its own settings and call hooks. */
  invocation(options?: { settings?: Partial<Settings>; hooks?: StoreCallHooks }): Deps;
  /**
   * Deps whose store or queue calls die at the `crashAfter`-th call boundary:
   * 0 crashes before the first call, k > 0 right after the k-th call took
   * effect. After a crash every further call of these deps fails too (the
   * invocation is dead). Throws {@link InjectedCrash}.
   */
  crashingDeps(crashAfter: number): Deps;
  /** Deps that count their store and queue calls (`calls()`), and fail none. */
  countingDeps(): { readonly deps: Deps; calls(): number };
  /** Every stored item of a process (its partition), as the table holds it. */
  itemsOf(processId: string): Promise<Record<string, unknown>[]>;
}

/** Observes one store or queue call: throwing in `before` aborts it, in `after` loses its answer after it took effect. */
export interface StoreCallHooks {
  before?(call: string): void;
  after?(call: string): void;
}

/** The error a crashing set of deps throws. */
export class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

/** Hooks that count calls and crash at the `crashAfter`-th boundary (never, with Infinity). */
export function crashHooks(crashAfter: number): StoreCallHooks & { readonly calls: number } {
  const state = { calls: 0, dead: false };
  return {
    get calls() {
      return state.calls;
    },
    before() {
      if (state.dead || crashAfter === 0) {
        state.dead = true;
        throw new InjectedCrash('crash before the call');
      }
    },
    after() {
      state.calls += 1;
      if (state.calls >= crashAfter) {
        state.dead = true;
        throw new InjectedCrash(`crash after call ${state.calls}`);
      }
    },
  };
}

const silent = { warn: () => undefined, error: () => undefined };

/** The engine of a file on DynamoDB Local and the SQS emulator: its own table and queues; hooks see every AWS call. */
export async function dynamoEngine(label: string, settings: Partial<Settings> = {}): Promise<Engine> {
  const resources = await createIsolatedResources(label);
  const clock = new TestClock();
  const queueUrl = resources.queues.default!;
  const invocation: Engine['invocation'] = (options = {}) => {
    const hooks = options.hooks;
    return testDeps(resources, clock, {
      settings: { ...settings, ...options.settings },
      ...(hooks ? { interceptor: { before: (service, command) => hooks.before?.(`${service}:${command}`), after: (service, command) => hooks.after?.(`${service}:${command}`) } } : {}),
    });
  };
  const docs = documentClient();
  return {
    name: 'dynamodb',
    deps: invocation(),
    clock,
    drain: (options = {}) => drainQueue(queueUrl, options),
    invocation,
    crashingDeps: (crashAfter) => invocation({ hooks: crashHooks(crashAfter) }),
    countingDeps: () => {
      const hooks = crashHooks(Number.POSITIVE_INFINITY);
      return { deps: invocation({ hooks }), calls: () => hooks.calls };
    },
    itemsOf: async (processId) => {
      const out = await docs.send(
        new QueryCommand({ TableName: resources.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `PROC#${processId}` } }),
      );
      return out.Items ?? [];
    },
  };
}

/** The engine of a file in memory: one table and one queue, on the engine's clock; hooks see every store call and queue send. */
export async function memoryEngine(settings: Partial<Settings> = {}): Promise<Engine> {
  const clock = new TestClock();
  const base = createMemoryDeps({ now: clock.now, settings });
  const invocation: Engine['invocation'] = (options = {}) => {
    const hooks = options.hooks ?? {};
    return {
      ...base,
      // New stores: a separate invocation's caches. The same id sequences, so ids never collide.
      ...storesOn(hookedTable(base.table, hooks)),
      queue: hookedQueue(base.queue, hooks),
      settings: { ...base.settings, ...options.settings },
      log: silent,
    };
  };
  return {
    name: 'memory',
    deps: invocation(),
    clock,
    drain: async ({ keep = false } = {}) => {
      const all: ReceivedTask[] = [];
      for (;;) {
        const messages = base.queue.receive('default', 10);
        if (messages.length === 0) return all;
        for (const m of messages) {
          all.push({ body: m.body, receiptHandle: m.receiptHandle });
          if (!keep) base.queue.delete('default', m.receiptHandle);
        }
      }
    },
    invocation,
    crashingDeps: (crashAfter) => invocation({ hooks: crashHooks(crashAfter) }),
    countingDeps: () => {
      const hooks = crashHooks(Number.POSITIVE_INFINITY);
      return { deps: invocation({ hooks }), calls: () => hooks.calls };
    },
    itemsOf: async (processId) => base.table.snapshot().filter((i) => i.pk === `PROC#${processId}`),
  };
}

/** A view of the one in-memory table whose every call goes through `hooks`, as the AWS interceptor does for DynamoDB. */
function hookedTable(table: MemoryItemTable, hooks: StoreCallHooks): ItemTable {
  const call = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    hooks.before?.(name);
    const result = await body();
    hooks.after?.(name);
    return result;
  };
  return {
    get: (key: Key) => call('GetItem', () => table.get(key)),
    getMany: (keys: readonly Key[]) => call('BatchGetItem', () => table.getMany(keys)),
    queryPartition: (pk: string, prefix: string) => call('Query', () => table.queryPartition(pk, prefix)),
    queryPartitionPage: (query: PartitionPageQuery) => call('Query', () => table.queryPartitionPage(query)),
    queryIndex: (query: IndexQuery) => call('Query', () => table.queryIndex(query)),
    write: (write: ItemWrite) => call(write.type === 'put' ? 'PutItem' : write.type === 'delete' ? 'DeleteItem' : 'UpdateItem', () => table.write(write)),
    transact: (writes: readonly ItemWrite[]) => call('TransactWriteItems', () => table.transact(writes)),
  };
}

/** The one in-memory queue, its sends going through `hooks` (an SQS send is a call boundary too). */
function hookedQueue(queue: MemoryTaskQueue, hooks: StoreCallHooks): TaskQueue {
  return {
    send: async (args) => {
      hooks.before?.('SendMessageBatch');
      await queue.send(args);
      hooks.after?.('SendMessageBatch');
    },
  };
}

/**
 * Drives a process to its end the way workers do: take the messages, claim,
 * complete with `{ by: task }`, repeat. Sweeps when no message is left (with
 * the clock moved past every grace period), as the scheduled sweeper would.
 * Returns how often each task was completed by this loop.
 */
export async function runToEnd(engine: Pick<Engine, 'deps' | 'clock' | 'drain'>, processId: string, maxRounds = 200): Promise<Map<string, number>> {
  const { deps, clock } = engine;
  const completions = new Map<string, number>();
  for (let round = 0; round < maxRounds; round++) {
    const process = await deps.processes.get({ id: processId });
    if (process && process.status !== 'RUNNING' && process.sweepAt === undefined) return completions;
    const messages = (await engine.drain()).filter((m) => m.body.processId === processId);
    if (messages.length === 0) {
      clock.advance(60 * 60_000);
      await sweep(deps);
      continue;
    }
    for (const m of messages) {
      try {
        const claim = await claimTask(deps, processId, m.body.task, 'test-worker');
        await completeTask(deps, processId, m.body.task, { leaseToken: claim.leaseToken, output: { by: m.body.task } });
        completions.set(m.body.task, (completions.get(m.body.task) ?? 0) + 1);
      } catch (error) {
        // Duplicate messages are expected after recovery: a claim on a finished task is refused.
        if (!['TaskNotActive', 'TaskAlreadyClaimed', 'ProcessNotRunning'].includes((error as { code?: string }).code ?? '')) throw error;
      }
    }
  }
  throw new Error(`process ${processId} did not end within ${maxRounds} rounds`);
}

export { TestClock, codeOf, putYaml, type Deps, type ReceivedTask } from './core-harness.ts';
