import type { ProcessStatus, SweepReason, TaskEvent, TaskStatus } from '#domain/lifecycle.ts';
import type { MapCounts } from '#domain/map-children.ts';
import type { WaitKind } from '#domain/slot-pool.ts';
import type { SkipReason } from '#domain/branch-decision.ts';
import type {
  AttemptRecord,
  DefinitionHeadItem,
  DefinitionVersionItem,
  ProcessError,
  ProcessEventItem,
  ProcessItem,
  ProcessSummary,
  RunRecord,
  TaskError,
  TaskItem,
  TaskMessage,
} from '#schemas/items.ts';
import type { BackfillCursor, FireItem, ScheduleItem } from '#schemas/schedules.ts';
import type { SlotItem } from '#schemas/slot-items.ts';

/**
 * The ports the use cases run on. Two adapters implement each: DynamoDB and
 * SQS (`shared/adapters/dynamo`, `shared/adapters/sqs`) and an in-memory twin
 * (`shared/adapters/memory`) that the unit tests and `createTestEngine()` use.
 * One contract suite runs against both.
 *
 * Conventions:
 * - every method takes one object parameter;
 * - a conditional write answers a {@link Written}: applied, or lost with the
 *   current item, parsed (never a raw record).
 */

/** The outcome of a conditional write: the item as written (`T`), or the conflict with the current item (`C`). */
export type Written<T, C = T> = { readonly ok: true; readonly item: T } | Conflict<C>;

/** A lost condition, with the item as it is now (undefined: it does not exist). */
export interface Conflict<T> {
  readonly ok: false;
  readonly current: T | undefined;
}

/** One page of a listing. */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/**
 * A task of a process. `index` is room for dynamic fan-out, where one
 * declared task runs as many indexed children.
 */
export interface TaskRef {
  readonly processId: string;
  readonly task: string;
  readonly index?: number;
}

/** What a task message and a later claim need to know about a task, fixed when it is scheduled. */
export interface ScheduleContext extends TaskRef {
  readonly definition: string;
  readonly version: number;
  readonly queue: string;
  readonly timeoutSeconds: number;
  /** Hard limit on one attempt from its claim (none when absent). */
  readonly attemptTimeoutSeconds?: number;
  readonly attempt: number;
  /** The process run the task belongs to (1 until a rerun). */
  readonly run: number;
  readonly iso: string;
  /** When the sweeper should resend the message if nobody has claimed the task (epoch ms). */
  readonly sweepAt: number;
  /** A map task: it is sent to no queue, it expands (sweep reason `mapExpand` until it has). */
  readonly expands?: true;
  /** A process task: it is sent to no queue, it starts its child process (sweep reason `childStart` until it has). */
  readonly startsChild?: true;
  /** The task has a concurrency or rate limit (issue 18): its claim takes slots. */
  readonly limited?: true;
  /** Issue 18: the limit keys' values, evaluated when the task is scheduled (recorded on the task for its claims). */
  readonly concurrencyKey?: string;
  readonly rateKey?: string;
}

/** A settled parent counted in a join (`task`) or in the process's end counter (no `task`), in the ending write. */
export interface SettleCount {
  readonly task?: string;
  /** The settling parent's place among the join's needs (a join's count only). */
  readonly position?: number;
  /** The join's number of needs, or the process's number of sinks: the counter never passes it. */
  readonly expected: number;
  /** The settling parent was SKIPPED (a branch): a join counts it apart, in `skippedParents`. */
  readonly skipped?: true;
}

/** A join's counter: its status, how many parents settled (and of those were skipped), and the run it belongs to. */
export interface JoinCounter {
  readonly status: TaskItem['status'];
  readonly settled: number;
  readonly skipped?: number;
  readonly run?: number;
}

/** The moment and lease of a task's end. */
export interface EndTask extends TaskRef {
  /** Undefined for a manual (human) end of an unclaimed SCHEDULED task. */
  readonly leaseToken?: string;
  /** The run of the caller's view of the process: a completion is refused on a task of another run (a stale cached view). */
  readonly run: number;
  readonly iso: string;
  readonly now: number;
  /** TTL of the ended item (epoch s). */
  readonly expiresAt: number;
  /** The item carries the pause mark: the ending is written, and its follow-up waits for resume. Default false. */
  readonly held?: boolean;
  /** The task holds a slot of its process's pool (`maxParallel`): its ending gives it back, in the same transaction. */
  readonly pooled?: boolean;
}

/** The events that end an attempt with attempts left (back to SCHEDULED, attempt + 1). */
export type RetryEvent = Extract<TaskEvent, 'retry' | 'retryManual' | 'expireLease' | 'timeOutAttempt'>;
/** The events that end a task FAILED for good. */
export type FinalFailEvent = Extract<TaskEvent, 'fail' | 'failManual' | 'expireLeaseFinal' | 'timeOutAttemptFinal'>;

/** What a child's claim sees of one parent: its output, or (an optional parent that failed) its error. */
export type UpstreamResult = { readonly failed: false; readonly output: unknown; readonly skipped?: true } | { readonly failed: true; readonly error: TaskError };

export interface DefinitionStore {
  getHead(args: { name: string }): Promise<DefinitionHeadItem | undefined>;
  getVersion(args: { name: string; version: number }): Promise<DefinitionVersionItem | undefined>;
  /** Writes version `def.version` and moves HEAD to it, only if HEAD still points at `version - 1`. */
  appendVersion(args: { definition: DefinitionVersionItem }): Promise<{ kind: 'created' } | { kind: 'raced' }>;
  listHeads(args: { limit: number; nextToken?: string }): Promise<Page<{ name: string; latestVersion: number; description?: string }>>;
}

export interface NewProcess {
  readonly id: string;
  readonly definition: string;
  readonly version: number;
  readonly total: number;
  readonly createdAt: string;
  readonly idempotencyKey?: string;
  /** With an idempotency key: a hash of the request (definition, version as asked, input), so a reuse of the key for another request is told apart. */
  readonly requestHash?: string;
  /** When the sweeper should check that the roots were scheduled (epoch ms). */
  readonly sweepAt: number;
  /** TTL of the write-once input item (epoch s). */
  readonly inputExpiresAt: number;
  /** When the process times out (epoch ms), for a definition with `timeoutSeconds`. */
  readonly deadlineAt?: number;
  /** The ended process this one compensates. */
  readonly compensates?: string;
  /** A child process: the parent process and task that started it, and its depth (the parent's + 1). */
  readonly parent?: { readonly processId: string; readonly task: string };
  readonly depth?: number;
}

/** Where a process of a definition with `concurrency` goes (issue 18): its pool, and whether it takes a slot or queues. */
export interface PoolPlacement {
  /** `<definition>#<key hash>`. */
  readonly pool: string;
  /** The key's value, as text (absent without a key). */
  readonly concurrencyKey?: string;
  /** The limit of the version started: the slot is taken only below it. */
  readonly limit: number;
  /** Queue the process (QUEUED, holding no slot) instead of taking a slot, at this place of its pool's queue (its creation time, epoch ms; ties go by id). */
  readonly queueTicket?: number;
}

/** What a process runs: its definition, the version, and the run (1 until a rerun). */
export interface ProcessIdentity {
  readonly definition: string;
  readonly version: number;
  readonly run: number;
}

/** What ends a process (`ProcessStore.end`, `endHandingOver`): its event, read item and time, and what it owes. */
export interface ProcessEnding {
  /** The process as read: the write is locked on its `ver`. */
  readonly current: ProcessItem;
  readonly event: 'complete' | 'fail' | 'cancel';
  readonly at: { now: number; iso: string; expiresAt: number };
  /** It stays on the sweep index until its unfinished tasks are cancelled. */
  readonly owesCleanup: boolean;
  /** Why a FAILED or CANCELLED process ended. */
  readonly error?: ProcessError;
}

/** A rerun's reopening of an ended process (`ProcessStore.reopen`). */
export interface ReopenProcess {
  /** The process as read: the write is locked on its `ver`. */
  readonly current: ProcessItem;
  /** A process of a concurrency pool (issue 18): the new run takes a slot of it below this limit, in the same transaction. */
  readonly slotLimit?: number;
  /** Issue 18: instead of a slot, the new run waits QUEUED in its pool's queue at this place (row `requeue`). */
  readonly queueAt?: number;
  /** The run record (its `run` is `current.run + 1`), written in the same transaction. */
  readonly record: RunRecord;
  readonly total: number;
  readonly now: number;
  /** When the sweeper should finish the rerun's pass if its caller died (epoch ms). */
  readonly sweepAt: number;
  readonly deadlineAt?: number;
  /** The new input, replacing the old one in the same transaction. */
  readonly input?: { readonly value: unknown };
  /** TTL of the input item, moved with the new run, and of the run record (epoch s). */
  readonly inputExpiresAt: number;
}

export interface ProcessStore {
  /** Creates the process and its input; finds the existing process if the id is taken. */
  create(args: { process: NewProcess; input: unknown }): Promise<{ created: true } | { created: false; existing: ProcessItem }>;
  /**
   * As `create`, for a definition with `concurrency` (issue 18): RUNNING with a slot of its pool taken in the same
   * transaction (`full` when none is free: nothing is created), or QUEUED in its pool's queue.
   */
  createInPool(args: { process: NewProcess; input: unknown; placement: PoolPlacement }): Promise<{ created: true } | { created: false; existing: ProcessItem } | { created: false; full: true }>;
  get(args: { id: string }): Promise<ProcessItem | undefined>;
  getInput(args: { id: string }): Promise<unknown>;
  /** The input and whether the process is paused, in one read of the input item (what a claim needs). */
  getClaimInput(args: { id: string }): Promise<{ input: unknown; paused: boolean }>;
  /**
   * The definition, version and run a process runs. They change only on a rerun, so adapters may cache them;
   * `fresh` reads through (a write guarded on the run found the cached one stale).
   */
  identity(args: { id: string; fresh?: boolean }): Promise<ProcessIdentity | undefined>;
  /**
   * Starts the next run of an ended process (`reopen` of the lifecycle table): RUNNING again, run + 1, on the
   * record's version, on the sweep index (reason `rerun`) until the rerun's pass is done. The run record, and the
   * new input if any, are written in the same transaction.
   */
  reopen(args: ReopenProcess): Promise<Written<ProcessItem>>;
  /** The run records of a process's reruns, in order. */
  runs(args: { id: string }): Promise<RunRecord[]>;
  /** A rerun sets the end counter (processes with several sinks) to the sinks it keeps, once per run. */
  resetEndCounter(args: { id: string; run: number; settled: number; expected: number }): Promise<void>;
  /**
   * Ends a process (`complete`, `fail` or `cancel` of the lifecycle table),
   * optimistically locked on its version. With `owesCleanup` it stays on the
   * sweep index until its unfinished tasks are cancelled (its cleanup starts
   * from the beginning: a cursor an earlier pass left is dropped).
   */
  end(
    args: ProcessEnding & {
      /**
       * Issue 18: how a holder of a concurrency slot gives it back when nobody is queued: to a pool below `limit`
       * (refused with `poolFull` when the pool is full), or, with `markAt`, to any pool, which then owes a dequeue at
       * `markAt` (a start refused meanwhile may be queuing). Without it a holder frees its slot unconditionally.
       */
      giveBack?: { readonly limit: number } | { readonly markAt: number };
    },
  ): Promise<Written<ProcessItem> & { poolFull?: true }>;
  /**
   * Issue 18: ends a holder of a concurrency slot and hands the slot to `to`, a QUEUED process of its pool, in one
   * transaction (row `handOver`; the pool's count does not change). `to` owes its roots on its sweep entry, which stays
   * at its queue place unless `toSweep` moves it (a deadline must be seen by the sweeper). `toGone` when `to` is no
   * longer QUEUED; the ending's own lost condition answers as `end` does.
   */
  endHandingOver(args: ProcessEnding & { to: ProcessItem; toStart: { deadlineAt?: number; toSweep?: { sweepAt: number } } }): Promise<Written<ProcessItem> & { toGone?: true }>;
  /**
   * On an ended process that still owes cleanup (`recordCompensation` of the lifecycle table, fenced by its run
   * and sweep entry): the compensation it started, or why none could start. Idempotent; false when fenced.
   */
  recordCompensation(args: { id: string; run: number; sweepAt: number; compensatedBy?: string; compensationError?: string }): Promise<boolean>;
  /** After its roots: the sweep entry moves to the process's deadline (reason `deadline`). */
  awaitDeadline(args: { id: string; sweepAt: number; deadlineAt: number }): Promise<boolean>;
  /** Leaves the sweep index, if the entry is still the one read. */
  clearSweep(args: { id: string; sweepAt: number }): Promise<void>;
  /** Moves the sweep entry and records where an unfinished pass stopped. */
  deferSweep(args: { id: string; sweepAt: number; nextSweepAt: number; resumeFrom: number }): Promise<boolean>;
  /**
   * Pauses (`pause`) or resumes (`resume`) a process, optimistically locked on its version, in one
   * transaction with the input item's `paused` flag (what claims read) and the event's history item.
   * With `sweepAt`, the process is put on the sweep index (reason `pause` or `resume`), due then, until its pass (the
   * marks, or their removal and the owed work) is done; a cursor an earlier pass left is dropped.
   */
  pauseOrResume(args: {
    current: ProcessItem;
    event: 'pause' | 'resume';
    /** `expiresAt`: the TTL of the history item. */
    at: { now: number; iso: string; expiresAt: number };
    reason?: string;
    sweepAt?: number;
  }): Promise<Written<ProcessItem>>;
  /** The pause and resume events of a process, oldest first. */
  events(args: { id: string }): Promise<ProcessEventItem[]>;
  /**
   * How many tasks of a run ended each way, from the run's counter shards (one small query, whatever the width).
   * Each ending counts itself in the write that ends it; a rerun seeds its run with the tasks it keeps.
   */
  progress(args: { id: string; run: number }): Promise<RunProgress>;
  /**
   * A rerun's pass counts the completed tasks it keeps in one chunk of the definition's order (`position` to
   * `next`) in its run's progress; a chunk already counted counts nothing (false).
   */
  seedProgress(args: SeedProgress): Promise<boolean>;
  /** How many sinks have settled (processes with several sinks). */
  settledSinks(args: { id: string }): Promise<number>;
  list(args: { status?: ProcessStatus; definition?: string; limit: number; nextToken?: string }): Promise<Page<ProcessSummary>>;
  /**
   * Processes of a definition in a status, newest first, created within `createdFrom`..`createdTo` (ISO, both
   * inclusive, either open), through the status index: never a scan. A page looks at `limit` index entries (at least
   * one in each of the index's shards), so it may hold fewer processes (other definitions are filtered out); go on
   * with `nextToken`.
   */
  findByStatus(args: { status: ProcessStatus; definition: string; createdFrom?: string; createdTo?: string; limit: number; nextToken?: string }): Promise<Page<ProcessItem>>;
}

/** `ProcessStore.seedProgress`: the kept completed tasks of one chunk of a rerun's reset walk. */
export interface SeedProgress {
  readonly id: string;
  readonly run: number;
  readonly completed: readonly string[];
  /** Where the chunk starts in the definition's order. */
  readonly position: number;
  /** Where the next chunk starts. */
  readonly next: number;
  readonly expiresAt: number;
}

/** How many tasks of a process run ended each way. */
export interface RunProgress {
  readonly completed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
}

/** A failed attempt put back to SCHEDULED for its next try (`TaskStore.retry`). */
export interface RetryWrite {
  readonly ref: TaskRef;
  readonly event: RetryEvent;
  readonly leaseToken?: string;
  /** The attempt that failed (the write is guarded on it). */
  readonly attempt: number;
  readonly now: number;
  readonly iso: string;
  readonly nextAttemptAt: number;
  readonly error: TaskError;
  readonly record: AttemptRecord;
  readonly sweepAt: number;
  readonly sweepReason: SweepReason;
  /** A child of a map: the run whose map counters count the retry. */
  readonly mapRun?: number;
}

/** `TaskStore.page`: one bounded page of a process's task items. */
export interface TaskPageQuery {
  readonly processId: string;
  /** Where the page starts: the `cursor` the page before answered (exclusive); the first task when absent. */
  readonly cursor?: string;
  /** Task items read, at most (1 to 500). A status filter applies after it, so a filtered page may be shorter. */
  readonly limit: number;
  /** Only items in this status (a filter on the page read: it does not widen the read). */
  readonly status?: TaskStatus;
  /** Read the outputs too (default false: they are left out of the answer). */
  readonly outputs?: boolean;
  /** Read the attempts lists too (default false), for the history. */
  readonly attempts?: boolean;
}

export interface TaskStore {
  get(args: TaskRef): Promise<TaskItem | undefined>;
  /**
   * One page of a process's task items in the store's key order, which is task-name order (UTF-8 bytes): one
   * query of at most `limit` items, never the whole partition. Tasks without an item (PENDING) are not in it.
   * `cursor` is set when the read stopped at `limit`: the next page starts after it. It is a task's name.
   */
  page(args: TaskPageQuery): Promise<{ items: TaskItem[]; cursor?: string }>;
  /** Every task item of a process (tasks without an item are PENDING). */
  listAll(args: { processId: string }): Promise<TaskItem[]>;
  /**
   * The items of some tasks of a process, by name, in one bounded read (batches of 100): the page reads and the
   * budgeted passes walk a process through this, a chunk of the definition's order at a time. Tasks without an item
   * (PENDING) are left out of the map.
   */
  getMany(args: { processId: string; tasks: readonly string[] }): Promise<Map<string, TaskItem>>;
  /** What the children of some tasks see of them: outputs, or the errors of failed (optional) ones. */
  getUpstream(args: { processId: string; tasks: readonly string[] }): Promise<Map<string, UpstreamResult>>;
  /** Status and settled count of some joins, by name (tasks without an item are left out). */
  getCounters(args: { processId: string; tasks: readonly string[] }): Promise<Map<string, { status: TaskItem['status']; settled: number; skipped?: number; run?: number }>>;
  /** Schedules a task that has no item yet. Exactly once: false when the item exists. */
  scheduleNew(args: { schedule: ScheduleContext }): Promise<boolean>;
  /** Schedules a join whose every parent settled. Exactly one caller wins, never one from a run before the join's. */
  scheduleJoin(args: { schedule: ScheduleContext; expected: number }): Promise<boolean>;
  /** In a rerun (`schedule.run` > 1), schedules a reset root or single-need task. Exactly once: false unless PENDING in that run. */
  scheduleRerun(args: { schedule: ScheduleContext }): Promise<boolean>;
  /**
   * A rerun resets a task for run `run` (PENDING, attempts restart, claim, lease, output and error gone), once:
   * false when it was already reset for that run. `records` (the last attempt closed, then the run's marker) are
   * appended to its attempts for the history. A join gets its counter: `settled` of `expected` needs kept.
   */
  reopen(args: TaskRef & { run: number; records: readonly AttemptRecord[]; counter?: { settled: number; expected: number } }): Promise<boolean>;
  /** A rerun keeps a completed task of an earlier run: its expiry moves to `expiresAt` (epoch s). */
  retain(args: TaskRef & { run: number; expiresAt: number }): Promise<boolean>;
  /**
   * SCHEDULED to RUNNING with a fresh lease. A child of a map (`resize[41]`) is counted in its map's counters of
   * run `mapRun` in the same transaction (required for a child). The lease runs for `leaseMs` when given (recorded
   * on the task, for its heartbeats), else for the task's timeout.
   */
  claim(args: TaskRef & { workerId: string; leaseToken: string; now: number; iso: string; mapRun?: number; leaseMs?: number }): Promise<Written<TaskItem>>;
  /**
   * Gives a claimed task back: SCHEDULED again with the same attempt, its lease fenced, claimable from `notBefore` when given.
   * `byOperator`: the `releaseByOperator` row, whose guard is the token alone (a live or expired lease alike). A child of a
   * map counts it in its map's counters of run `mapRun`.
   */
  release(args: TaskRef & { leaseToken: string; now: number; iso: string; sweepAt: number; notBefore?: number; byOperator?: boolean; mapRun?: number }): Promise<Written<TaskItem>>;
  /** Extends the caller's live lease: by `leaseMs` when given (recorded for the next ones), else by its claim's length. */
  heartbeat(args: TaskRef & { leaseToken: string; now: number; leaseMs?: number }): Promise<Written<TaskItem>>;
  /**
   * Ends the task COMPLETED and counts it, in the same atomic write, in each of `settles`; a child of a map also
   * in its map's counters, with the next child of its lane and the map's lane count (`child`).
   */
  complete(args: { end: EndTask; output: unknown; settles: readonly SettleCount[]; child?: ChildEnding }): Promise<Written<undefined, TaskItem>>;
  /**
   * Ends the task FAILED for good: by `event` (default: `fail` with a lease, `failManual` without), with the
   * ended attempt's record for the history, and counting it in `settles` in the same atomic write (an optional
   * task's children and the process end).
   */
  fail(args: { end: EndTask; error: TaskError; event?: FinalFailEvent; record?: AttemptRecord; settles?: readonly SettleCount[]; child?: ChildEnding }): Promise<Written<undefined, TaskItem>>;
  /** A failed attempt with attempts left: SCHEDULED with attempt + 1, not before `nextAttemptAt`, the attempt recorded. */
  retry(args: RetryWrite): Promise<Written<TaskItem>>;
  /** A task that can never run (skipDownstream), counted in `settles` in the same atomic write. False when it had an item already past PENDING. */
  skip(args: TaskRef & { run: number; because: string; iso: string; expiresAt: number; settles: readonly SettleCount[] }): Promise<boolean>;
  /** Schedules an anyCompleted join (still PENDING) on its first completed parent. Exactly one caller wins. */
  scheduleAnyJoin(args: { schedule: ScheduleContext }): Promise<boolean>;
  /**
   * A ready task that a branch skips (`ConditionFalse`, `UpstreamSkipped`): SKIPPED, counted in `settles` (as a
   * skipped parent) in the same atomic write, on the sweep index for its follow-up (due at `sweepAt`). False when
   * it had an item already past PENDING.
   */
  skipReady(args: TaskRef & { run: number; reason: SkipReason; iso: string; expiresAt: number; sweepAt: number; settles: readonly SettleCount[] }): Promise<boolean>;
  /** A ready task whose condition failed to evaluate: FAILED with `error`, counted in `settles`, owing its follow-up. */
  failCondition(args: TaskRef & { run: number; error: TaskError; iso: string; expiresAt: number; sweepAt: number; settles: readonly SettleCount[] }): Promise<boolean>;
  /**
   * Counts a completed task in its run's progress, once: `position` (the task's place in the definition's order)
   * joins the counter's set in the same write, so a count redone by the follow-up after a crash is refused (false).
   */
  countCompletion(args: TaskRef & { run: number; position: number; expiresAt: number }): Promise<boolean>;
  /** Whether a completion was counted in its run's progress (its position is in the counter's `counted` set): its follow-up is done. */
  isCounted(args: TaskRef & { run: number; position: number }): Promise<boolean>;
  /**
   * Counts a settled parent (`position`: its place among the join's needs) in a small join's counter, once, by the
   * parent's follow-up: the position joins the counter's set in the same write, so a redone count is refused (false),
   * as is a count into a join that a later run than `run` has reset. Counted, it answers the join's counter as its
   * own write left it (read back from that write, no read of its own): the parent whose count filled the join knows.
   */
  settleOnce(args: { processId: string; join: string; expected: number; position: number; run: number }): Promise<JoinCounter | false>;
  /** Notes a refused stale call on the task item, for the history (the refusal path only). */
  recordStale(args: TaskRef & { record: AttemptRecord }): Promise<void>;
  /** Cancels an unfinished task of run `run` or earlier (a tombstone for one without an item). False when it had ended. */
  cancel(args: TaskRef & { run: number; iso: string; expiresAt: number; /** A RUNNING task's token: its concurrency slot is freed after. */ leaseToken?: string }): Promise<boolean>;
  /** After a resend of an unclaimed task's message: the next check, later. False when another sweeper did it. */
  deferResend(args: { processId: string; item: TaskItem; nextSweepAt: number }): Promise<boolean>;
  /** Moves a RUNNING task's sweep check to `at` (its lease expiry). */
  watchLease(args: { processId: string; item: TaskItem; at: number }): Promise<boolean>;
  /** Records how far a completed task's fan-out got, due again at `at`. */
  deferFollowUp(args: TaskRef & { resumeFrom: number; at: number }): Promise<void>;
  /** Takes an ended task off the sweep index once its consequences are written. */
  clearSweep(args: TaskRef): Promise<void>;
  /** Marks a SCHEDULED or RUNNING task while its process is paused (`hold`). False when it is neither. */
  hold(args: TaskRef): Promise<boolean>;
  /** Removes the pause mark (`unhold`). */
  unhold(args: TaskRef): Promise<void>;
}

/** What the ending of a map's child writes besides itself, in the same transaction (`map-children.ts`). */
export interface ChildEnding {
  /** The status it ends from (a manual ending: SCHEDULED): the counter it leaves. */
  readonly from: 'scheduled' | 'running';
  /** The next child of its lane, written (SCHEDULED) in the same transaction. */
  readonly successor?: ScheduleContext;
  /** The last child of its lane: it counts on the map item, whose `expected` is the number of lanes. */
  readonly lastOfLane?: { readonly lanes: number };
}

/** A page of a map's children, in index order. */
export interface ChildrenPage {
  readonly items: TaskItem[];
  /** The index the next page starts at; absent at the end. */
  readonly next?: number;
}

/**
 * A map's own items: its stored items, its counters, its children by index,
 * and the writes of the map task through its expansion and its end.
 */
export interface MapStore {
  /** Stores items `first`, `first + 1`, … in chunks, each written once (an expansion redone writes nothing twice). */
  putItems(args: { processId: string; map: string; run: number; first: number; items: readonly unknown[]; expiresAt: number }): Promise<void>;
  /** Item `index` of a map (undefined if it was never stored). */
  getItem(args: { processId: string; map: string; run: number; index: number }): Promise<unknown>;
  /** The map's counters of run `run`, summed over its partitions. */
  counts(args: { processId: string; map: string; run: number; total: number }): Promise<MapCounts>;
  /** Schedules a lane's first child, counted in the same transaction. Exactly once per run: false when it was already scheduled in this run. */
  scheduleChild(args: { schedule: ScheduleContext }): Promise<boolean>;
  /** Cancels a child that is `status` now (read by the caller), counted. False when it moved on. */
  /** `pooled`: the child holds its lane's slot of the process pool (`maxParallel`), given back with the cancel. */
  cancelChild(args: TaskRef & { status: 'scheduled' | 'running'; run: number; iso: string; expiresAt: number; pooled?: boolean }): Promise<boolean>;
  /** Children from index `from` (below `total`), in index order: at most `limit`, reading a few blocks at most. */
  children(args: { processId: string; map: string; from: number; total: number; limit: number; status?: TaskItem['status']; outputs?: boolean }): Promise<ChildrenPage>;
  /** Records how far a map's expansion got, due again at `sweepAt`. */
  deferExpansion(args: { processId: string; map: string; resumeFrom: number; sweepAt: number; itemsCursor?: { byte: number; index: number } }): Promise<void>;
  /** SCHEDULED to RUNNING: its items are stored; its lanes' first children are owed (`resumeFrom` 0). */
  start(args: { processId: string; map: string; run: number; total: number; lanes: number; iso: string; sweepAt: number }): Promise<boolean>;
  /** Every lane has its first child: the map leaves the sweep index. */
  started(args: { processId: string; map: string }): Promise<void>;
  /** The results gathered so far (JSON text of a list), and the index to go on from. */
  recordResults(args: { processId: string; map: string; run: number; resultsJson: string; resultsFrom: number }): Promise<boolean>;
  /** Every lane settled within the tolerance: COMPLETED with `output`, counted in `settles`; owes its follow-up. */
  complete(args: { end: EndTask; output: unknown; settles: readonly SettleCount[]; sweepAt: number }): Promise<boolean>;
  /** FAILED with `error`, counted in `settles`; owes the teardown of its children (`teardown`) or only its follow-up. */
  fail(args: { end: EndTask; error: TaskError; settles: readonly SettleCount[]; sweepAt: number; teardown: boolean }): Promise<boolean>;
  /** The process ended: CANCELLED; owes the teardown of its children. */
  cancel(args: { end: EndTask; sweepAt: number }): Promise<boolean>;
}

/** A process task's own writes (issue 17, part 3): its child started, and its ending by its child. No lease: guarded on the run and attempt read. */
export interface SubProcessStore {
  /** SCHEDULED to RUNNING with its child (`startChild`), in the run and attempt read. False when the task moved on. */
  start(args: TaskRef & { run: number; attempt: number; childProcessId: string; childRun: number; iso: string }): Promise<boolean>;
  /** RUNNING to COMPLETED with the child's output, counted in the task's joins and the end counter. False when the task moved on. */
  complete(args: { end: EndTask; attempt: number; output: unknown; settles: readonly SettleCount[]; sweepAt: number }): Promise<boolean>;
  /** RUNNING to FAILED for good (ChildProcessFailed). False when the task moved on. */
  fail(args: { end: EndTask; attempt: number; error: TaskError; record: AttemptRecord; settles: readonly SettleCount[]; sweepAt: number }): Promise<boolean>;
  /** RUNNING to SCHEDULED, attempt + 1, due for its child's rerun at `nextAttemptAt` (reason `childStart`). False when the task moved on. */
  retry(args: TaskRef & { run: number; attempt: number; iso: string; nextAttemptAt: number; error: TaskError; record: AttemptRecord }): Promise<boolean>;
}

export interface OutgoingTaskMessage {
  readonly queue: string;
  readonly body: TaskMessage;
  /** Not receivable for this long (0 to {@link MAX_SEND_DELAY_SECONDS}): a retry's backoff. */
  readonly delaySeconds?: number;
}

/** SQS's longest send delay; longer waits are the sweeper's (`retryDue`). */
export const MAX_SEND_DELAY_SECONDS = 900;

export interface TaskQueue {
  /** Sends every message, batching per queue. Throws if any could not be sent. */
  send(args: { messages: readonly OutgoingTaskMessage[] }): Promise<void>;
}

/** An item due on the sweep index. */
export type DueItem =
  | { readonly kind: 'task'; readonly processId: string; readonly task: string; readonly sweepAt: number }
  | { readonly kind: 'process'; readonly processId: string; readonly sweepAt: number }
  /** A concurrency pool whose queue may wait for a slot (issue 18). */
  | { readonly kind: 'pool'; readonly pool: string; readonly sweepAt: number };

export interface SweepIndex {
  /** Items whose `sweepAt` has passed, oldest first. */
  due(args: { now: number; maxItems: number }): Promise<DueItem[]>;
  /**
   * The sweep log read from each shard's cursor: the entries after it whose `sweepAt` is at most `horizon`, oldest
   * first across the shards, at most `maxItems`, each with its shard and position (see `sweep-log.ts`).
   */
  walk(args: { horizon: number; maxItems: number }): Promise<SweepWalk>;
  /** Moves a shard's cursor forward to `to` (never back). */
  advance(args: { shard: string; to: SweepPosition }): Promise<void>;
  /**
   * An entry the sweeper could not settle: if its item's `sweepAt` is still the entry's, it moves to `at` (later), so
   * the cursor may pass it. `moved` when it is no longer there (moved, cleared or gone) after the call.
   */
  revisit(args: { entry: DueEntry; at: number }): Promise<'moved'>;
}

/** An entry's place in its shard's order: its `sweepAt`, then its table key. */
export interface SweepPosition {
  readonly sweepAt: number;
  readonly pk: string;
  readonly sk: string;
}

/** One entry of the sweep log: the item it names, its shard and its position. */
export interface DueEntry {
  readonly item: DueItem;
  readonly shard: string;
  readonly position: SweepPosition;
}

/** What a sweep reads: entries in order across the shards; each shard's cursor as read (absent: from the start). */
export interface SweepWalk {
  readonly entries: readonly DueEntry[];
  readonly cursors: ReadonlyMap<string, SweepPosition>;
}

/** Epoch milliseconds. */
/**
 * Where a map's items come from when they are in an S3 object (`itemsFrom`).
 *
 * @example
 * for await (const { item, next } of deps.mapItems.read({ bucket, key, format: 'jsonl', maxItemBytes: 262_144 })) {
 *   keep(item);
 *   if (outOfBudget()) return next; // resume from here in a later call
 * }
 */
export interface MapItemSource {
  /**
   * Reads the items of a JSON array or JSON Lines object, from `from` on (the start when absent), in order. Each item
   * comes with the cursor just after it, so that a pass stopped at any item can resume there in a later call (a
   * ranged GET from `next.byte`, not a re-read from the start).
   * @throws MapItemsError (terminal) when the object is missing, unreadable, not a JSON array / not JSON Lines, or an
   *   item exceeds `maxItemBytes`; its message names what it got (the key, the line or byte, the size).
   */
  read(args: { bucket: string; key: string; format: 'json' | 'jsonl'; from?: ItemCursor; maxItemBytes: number; signal?: AbortSignal }): AsyncIterable<{ item: unknown; next: ItemCursor }>;
}

/** A position in an items object: the byte after the last item read, and how many items were read before it. */
export interface ItemCursor {
  readonly byte: number;
  readonly index: number;
}

export type Clock = () => number;
/** A new unique id (process ids, lease tokens). */
export type IdSource = () => string;

/** What a schedule's fires have left behind: the next clock time, the process that runs, what waits, a backfill under way. */
export interface ScheduleFireState {
  /** The next clock time not yet handled (epoch ms); none while paused. */
  readonly nextFireAt?: number;
  /** The process of the last started fire, until it is seen ended. */
  readonly running?: string;
  /** Scheduled times waiting for the running process to end (epoch ms, oldest first). */
  readonly buffered?: readonly number[];
  readonly backfill?: BackfillCursor;
  /** When the scheduler must look again (epoch ms): the schedule's entry on the due index; none: not due. */
  readonly dueAt?: number;
}

/** A spec as a PUT writes it. */
export interface ScheduleSpecWrite extends ScheduleFireState {
  readonly name: string;
  readonly paused: boolean;
  readonly generation: number;
  readonly specJson: string;
  readonly iso: string;
}

/** The decision for one scheduled time, written once before anything is started. */
export interface FireDecision {
  readonly event: 'start' | 'skip' | 'buffer' | 'miss' | 'cancelOther';
  readonly scheduledAt: number;
  readonly firedAt: string;
  readonly source: FireItem['source'];
  readonly processId?: string;
  readonly cancelled?: string;
  /** TTL (epoch s): fire records expire as ended processes do. */
  readonly expiresAt: number;
}

export interface ScheduleStore {
  get(args: { name: string }): Promise<ScheduleItem | undefined>;
  /** A new schedule (`create`), or a new spec over an existing or deleted one (`replace`, locked on `current.ver`). */
  putSpec(args: { spec: ScheduleSpecWrite; current?: ScheduleItem }): Promise<Written<ScheduleItem>>;
  /** Pause, resume, or the scheduler's bookkeeping (`advance`), locked on `current.ver`. */
  setState(args: { current: ScheduleItem; event: 'pause' | 'resume' | 'advance'; state: ScheduleFireState; iso: string }): Promise<Written<ScheduleItem>>;
  /** Off the due index and the listing, locked on `current.ver`; the tombstone expires at `expiresAt` (epoch s). */
  delete(args: { current: ScheduleItem; iso: string; expiresAt: number }): Promise<Written<ScheduleItem>>;
  /** Schedules by name (deleted ones are not listed). */
  list(args: { limit: number; nextToken?: string }): Promise<Page<ScheduleItem>>;
  /** Names of the schedules whose due time has passed, oldest first, from the due index: never a scan. */
  due(args: { now: number; maxItems: number }): Promise<string[]>;
  /** Records the decision for a time, once: a second decision for the same time gets the first one back (`ok: false`). */
  decide(args: { name: string; decision: FireDecision }): Promise<Written<FireItem>>;
  /** A buffered fire started, or a decided start was refused. */
  updateFire(args: { name: string; scheduledAt: number; change: { event: 'startBuffered'; firedAt: string } | { event: 'failStart'; message: string } }): Promise<Written<FireItem>>;
  /** One page of the fire records, newest scheduled time first. */
  fires(args: { name: string; limit: number; nextToken?: string }): Promise<Page<FireItem>>;
}

/** A ready task waiting for a slot of its process's pool (`maxParallel`), at its place in the wait order. */
export interface Waiter {
  /** Its place: the definition order (and lane), as `waitOrderKey` writes it. */
  readonly order: string;
  readonly task: string;
  /** The scheduling write it is ready for. */
  readonly kind: WaitKind;
  /** A join's expected count. */
  readonly expected?: number;
}

/** A process's slot pool (`maxParallel`) and its wait list: `#domain/slot-pool.ts`. */
export interface SlotStore {
  /**
   * Schedules a task and takes a slot in one transaction: `refused` when the task's own write is (already
   * scheduled, or not ready), `full` when only the pool is.
   */
  scheduleHolding(args: { kind: WaitKind; schedule: ScheduleContext; expected?: number; capacity: number; expiresAt: number }): Promise<'scheduled' | 'refused' | 'full'>;
  /** Puts a ready task on the wait list (once). */
  wait(args: { processId: string; run: number; order: string; task: string; kind: WaitKind; expected?: number; expiresAt: number }): Promise<void>;
  /** The first waiters, in wait order. */
  waiters(args: { processId: string; run: number; limit: number }): Promise<Waiter[]>;
  /** Takes a waiter off the list (a repeat does nothing). */
  leave(args: { processId: string; run: number; order: string }): Promise<void>;
  /** How many slots of a run's pool are taken (tests and views). */
  used(args: { processId: string; run: number }): Promise<number>;
}

// --- Task limits (issue 18) ---

/** The slots one claim of a limited task takes, chosen from a read of its keys' slots. */
export interface SlotClaim extends TaskRef {
  readonly workerId: string;
  /** The fresh token; a concurrency slot's claim answers it with the slot appended (`slottedToken`). */
  readonly leaseToken: string;
  readonly now: number;
  readonly iso: string;
  readonly definition: string;
  /** The lease length the worker asked for; absent, the task's timeout. A concurrency slot's `timeoutMs` is the same length. */
  readonly leaseMs?: number;
  readonly concurrency?: { readonly n: number; readonly key: string; readonly limit: number; readonly timeoutMs: number };
  readonly rate?: { readonly n: number; readonly key: string; readonly limit: number; readonly periodMs: number };
  /** The task may be on its key's wait list (it was refused before, as scheduled at this time): the claim clears the entry. */
  readonly waited?: string;
}

/** A task on a concurrency key's wait list (issue 18), as read by the call that freed a slot of the key. */
export interface SlotWaiter extends TaskRef {
  /** The task's `scheduledAt` when it waited. */
  readonly scheduledAt: string;
  /** Where the entry is stored (opaque to the use cases). */
  readonly entry: { readonly pk: string; readonly sk: string };
}

/** A claim with slots: the task RUNNING, or which of its writes lost. */
export type SlotClaimOutcome =
  | { readonly ok: true; readonly item: TaskItem }
  | { readonly ok: false; readonly lost: 'task' | 'concurrency' | 'rate'; readonly current?: TaskItem };

/** The slot items of task limits: leases taken by claims, renewed by heartbeats, freed by endings. */
export interface TaskLimitStore {
  /** The stored slots of one key of a task's pool (at most its limit: one query). */
  slotsOf(args: { definition: string; task: string; kind: 'concurrency' | 'rate'; key: string }): Promise<SlotItem[]>;
  /** The claim of a limited task and its slots, in one transaction. */
  claimWithSlots(args: SlotClaim): Promise<SlotClaimOutcome>;
  /** A claim refused for a limit: counted on the task (its keys recorded). */
  refuse(args: TaskRef & { iso: string; concurrencyKey?: string; rateKey?: string }): Promise<void>;
  /** A claim that found no free concurrency slot waits on its key's list, in scheduling order (a repeat writes nothing). */
  wait(args: TaskRef & { definition: string; key: string; scheduledAt: string; expiresAt: number }): Promise<void>;
  /** The first waiters of the key whose slot a lease token held: none (and no read) for a token that held no slot. */
  waitersOf(args: { leaseToken: string; limit: number }): Promise<SlotWaiter[]>;
  /** Takes a waiter off its list: true for the one caller whose delete found it. */
  leave(args: { waiter: SlotWaiter }): Promise<boolean>;
  /** A page of a task's concurrency slots, every key, in key-hash order. */
  poolPage(args: { definition: string; task: string; limit: number; cursor?: string }): Promise<{ items: SlotItem[]; cursor?: string }>;
}

/** A concurrency pool item, as read (issue 18). */
export interface PoolItem {
  readonly pool: string;
  readonly definition: string;
  readonly poolKey?: string;
  /** Processes of the pool that hold a slot (RUNNING or PAUSED). */
  readonly slotsHeld: number;
  readonly sweepAt?: number;
}

/**
 * The concurrency pools of process concurrency (issue 18). A pool's slots are
 * a counter on its item, changed only inside the transactions that change a
 * process's status; its queue is its QUEUED processes on the sweep index under
 * the partition `Q#<pool>`, ordered by creation.
 */
export interface PoolStore {
  get(args: { pool: string }): Promise<PoolItem | undefined>;
  /** The ids of the pool's oldest QUEUED processes, first in first out (at most `limit`). */
  queueHead(args: { pool: string; limit: number }): Promise<string[]>;
  /** 1-based place of a QUEUED process in its pool's queue, counted over at most `maxRead` entries (undefined past them). */
  queuePosition(args: { pool: string; id: string; maxRead: number }): Promise<number | undefined>;
  /** How many processes wait in the pool's queue, counted over at most `maxRead` entries (`GET /concurrency`). */
  queueLength(args: { pool: string; maxRead: number }): Promise<number>;
  /**
   * QUEUED → RUNNING with a slot taken (`full`: no slot free; `gone`: the process is no longer QUEUED), in one
   * transaction. The process then owes its roots (`sweepAt`), and its deadline counts from now.
   */
  dequeue(args: { process: ProcessItem; limit: number; at: { now: number; iso: string }; sweepAt: number; deadlineAt?: number }): Promise<'started' | 'full' | 'gone'>;
  /**
   * Before a process is queued: the pool owes a dequeue, due at `sweepAt` (in case no end follows), and hands out
   * the next ticket of its queue (the queued process's place: first in first out, even within one millisecond).
   */
  mark(args: { pool: string; definition: string; poolKey?: string; sweepAt: number }): Promise<number>;
  defer(args: { pool: string; sweepAt: number; nextSweepAt: number }): Promise<boolean>;
  clear(args: { pool: string; sweepAt: number }): Promise<boolean>;
  /**
   * The oldest RUNNING or PAUSED processes of a definition, oldest first by creation, in `pool`; a bounded read of
   * the status index (at most `maxRead` entries of each status).
   */
  oldestHolders(args: { definition: string; pool: string; maxRead: number }): Promise<ProcessItem[]>;
}
