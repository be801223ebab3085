import type { Clock, DefinitionStore, IdSource, MapItemSource, MapStore, PoolStore, ProcessStore, ScheduleStore, SlotStore, SubProcessStore, TaskLimitStore, SweepIndex, TaskQueue, TaskStore } from './ports.ts';

/** Tunables of the use cases. Defaults in `defaultSettings`. */
export interface Settings {
  /** Names of the configured queues; a definition may only name these. */
  readonly queues: readonly string[];
  /**
   * The queue of a task whose definition names none. Deployed, it comes from
   * the construct (`TRIBUTARY_DEFAULT_QUEUE`); locally from tributary.config.json.
   * Undefined: such a task is refused at PUT.
   */
  readonly defaultQueue?: string;
  /** How long a SCHEDULED task may wait unclaimed before the sweeper resends its message. */
  readonly enqueueGraceMs: number;
  /** How long an ended task's follow-up (children, process end) may take before the sweeper redoes it. */
  readonly followUpGraceMs: number;
  /** Longest pause between resends of an unclaimed task's message. */
  readonly maxResendIntervalMs: number;
  /** How long a finished process is kept before DynamoDB TTL removes it. */
  readonly retentionSeconds: number;
  /**
   * The longest a process may run (like Step Functions Standard's one year).
   * Its input item expires this long plus the retention after the start.
   */
  readonly maxProcessSeconds: number;
  /** Parallel DynamoDB writes within one call (fan-out, cancellation). */
  readonly writeConcurrency: number;
  /**
   * How long an API call may spend scheduling a fan-out (or roots) before it
   * hands the rest to the sweeper. Keeps calls well inside the Lambda and API
   * Gateway timeouts, whatever the width.
   */
  readonly followUpBudgetMs: number;
  /** The same budget for the sweeper, which runs with a longer timeout. */
  readonly sweepFollowUpBudgetMs: number;
  /**
   * How far behind now the sweeper reads the sweep log (ms): entries due later than `now - sweepLagMs` wait for the
   * next tick. It covers an eventually consistent index and clocks that differ between Lambdas (see `sweep-log.ts`).
   * 10 s on AWS; 0 in memory and on DynamoDB Local, whose indexes are updated with the write.
   */
  readonly sweepLagMs?: number;
  /**
   * Declared tasks per chunk of a pass over a process (pause, resume, cleanup, rerun): the budget is checked
   * between chunks. Default (and most) 100, one BatchGetItem.
   */
  readonly passChunk?: number;
}

export interface Logger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Everything a use case touches, passed in: the ports (stores, queue, sweep
 * index), the clock and the id sources. Handlers build one set at module
 * scope (`create-deps.ts`, DynamoDB and SQS); tests and the test engine build
 * theirs on the in-memory adapters (`create-memory-deps.ts`).
 */
export interface AppDeps {
  readonly definitions: DefinitionStore;
  readonly processes: ProcessStore;
  readonly tasks: TaskStore;
  /** A map's items, counters and children, and the map task's own writes. */
  readonly maps: MapStore;
  /** A process's slot pool and wait list, for `maxParallel`. */
  readonly slots: SlotStore;
  /** A process task's own writes: its child started, its ending by its child. */
  readonly subProcesses: SubProcessStore;
  readonly queue: TaskQueue;
  readonly sweepIndex: SweepIndex;
  /** A map's items in an S3 object (`itemsFrom`). */
  readonly mapItems: MapItemSource;
  /** Schedules, their fire records and their due index. */
  readonly schedules: ScheduleStore;
  /** The slots of task concurrency and rate limits (issue 18). */
  readonly taskLimits: TaskLimitStore;
  /** Process concurrency pools and their queues (issue 18). */
  readonly pools: PoolStore;
  /** Epoch milliseconds. */
  readonly now: Clock;
  /** A new random id (processes without an idempotency key). */
  readonly newId: IdSource;
  /** A new unguessable lease token. */
  readonly newToken: IdSource;
  /** A random number in [0, 1): retry jitter. */
  readonly random: () => number;
  readonly settings: Settings;
  readonly log: Logger;
}

export const defaultSettings = (queues: readonly string[]): Settings => ({
  queues,
  enqueueGraceMs: 30_000,
  followUpGraceMs: 30_000,
  maxResendIntervalMs: 15 * 60_000,
  retentionSeconds: 30 * 24 * 3600,
  maxProcessSeconds: 365 * 24 * 3600,
  writeConcurrency: 32,
  followUpBudgetMs: 3_000,
  sweepFollowUpBudgetMs: 20_000,
  sweepLagMs: 10_000,
});

export const jsonLogger: Logger = {
  warn: (message, fields) => console.warn(JSON.stringify({ level: 'WARN', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'ERROR', message, ...fields })),
};
