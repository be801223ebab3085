import type { TERMINAL_TASK_STATUSES, WriteRow } from './lifecycle-table.ts';

/**
 * The writes of items that have no status, each with its own guards and
 * effects like a row of the transition table: the process's input item, its
 * end counter, and its history records. Most go with a status change in one
 * transaction (the row's `companions` name them); none is unconditional.
 */

/** The input item (`INPUT`): written once at the start; after that only its pause flag, and a rerun's expiry and new input. */
export const INPUT_WRITES = {
  create: {
    guards: ['absent'],
    effects: { inputJson: 'set', expiresAt: 'set' },
    doc: 'written once, before the process item: a second start with the same id (same idempotency key) writes nothing',
  },
  pause: {
    guards: ['present'],
    effects: { paused: 'set' },
    doc: "with the process's pause: claims read the flag with the input, so refusing them costs no extra read (never creates a stray input)",
  },
  resume: { guards: ['present'], effects: { paused: 'remove' }, doc: "with the process's resume: claims are taken again" },
  reopen: {
    guards: ['present'],
    effects: { expiresAt: 'set', inputJson: 'set?', paused: 'remove' },
    doc: 'with a rerun: the input expires with the new run, may be replaced, and is not paused (a process cancelled while paused kept its flag)',
  },
} as const satisfies Record<string, WriteRow>;
export type InputEvent = keyof typeof INPUT_WRITES;

/** The end counter (`END`): how many sinks of the current run have settled, of how many. */
export const END_COUNTER_WRITES = {
  count: {
    guards: ['settledBelow'],
    effects: { settled: 'add', expected: 'set', expiresAt: 'set' },
    doc: "a sink settled, in its ending transaction: never past the expected count (each bump moves the counter's expiry with the process)",
  },
  reset: {
    guards: ['runBefore'],
    effects: { settled: 'set', expected: 'set', run: 'set', expiresAt: 'remove' },
    doc: 'a rerun sets the counter to the sinks it keeps, once per run',
  },
} as const satisfies Record<string, WriteRow>;
export type EndCounterEvent = keyof typeof END_COUNTER_WRITES;

/**
 * A run's progress counters (`COUNT#<run>#<shard>`): how many of its tasks
 * ended each way, one attribute per ending status. A failure, skip or
 * cancellation adds itself in the transaction that ends it, so the ending's
 * own condition makes the count happen exactly once. A completion is counted
 * by its follow-up, in a write of its own (`completedOnce`): the counter keeps
 * the set of the tasks it counted (their positions in the definition's order),
 * so a follow-up redone after a crash counts nothing twice, and the ending
 * stays a single write (a transaction bills each of its items twice). A rerun
 * seeds its run with the completed tasks it keeps.
 */
export const PROGRESS_WRITES = {
  completed: {
    guards: ['runAtMost'],
    effects: { COMPLETED: 'add', expiresAt: 'set' },
    doc: "a task completed, in its ending transaction (the counter of the task's own run: its key names the run)",
  },
  failed: { guards: ['runAtMost'], effects: { FAILED: 'add', expiresAt: 'set' }, doc: 'a task failed for good, in its ending transaction' },
  skipped: { guards: ['runAtMost'], effects: { SKIPPED: 'add', expiresAt: 'set' }, doc: 'a task was skipped, in its ending transaction' },
  cancelled: { guards: ['runAtMost'], effects: { CANCELLED: 'add', expiresAt: 'set' }, doc: 'a task was cancelled, in its ending transaction' },
  completedOnce: {
    guards: ['runAtMost', 'uncounted'],
    effects: { COMPLETED: 'add', counted: 'addMember', expiresAt: 'set' },
    doc: "a task completed, counted as the last step of its follow-up: the task's position joins the counter's `counted` set in the same write, so a redone count is refused, and the count is the evidence that the follow-up is done (its sweep entry stays; the sweeper's visit reads it)",
  },
  seed: {
    guards: ['unseeded'],
    effects: { COMPLETED: 'add', seededTo: 'set', expiresAt: 'set' },
    doc: "a rerun's pass counts the completed tasks it keeps, a chunk of the order at a time, each chunk once (`seededTo`, where the last counted chunk ended, is the guard); the run's endings only add, so an early one is kept",
  },
} as const satisfies Record<string, WriteRow>;
export type ProgressEvent = keyof typeof PROGRESS_WRITES;

/** The progress write that counts an ending, by the status the ending leads to. */
export const PROGRESS_COUNT_OF = {
  COMPLETED: 'completed',
  FAILED: 'failed',
  SKIPPED: 'skipped',
  CANCELLED: 'cancelled',
} as const satisfies Record<(typeof TERMINAL_TASK_STATUSES)[number], ProgressEvent>;

/**
 * A map's counters (`MAPCOUNT#<map>#<run>`, one item in each of the map's
 * child partitions): every status change of a child adds its changes to its
 * own partition's item, in the transaction that makes it, so the sums over the
 * partitions are exact at every read. A change adds 0 to what it leaves alone.
 */
export const MAP_COUNTER_WRITES = {
  count: {
    guards: ['runAtMost'],
    effects: { scheduled: 'add', running: 'add', completed: 'add', failed: 'add', cancelled: 'add', outputBytes: 'add', expiresAt: 'set?' },
    doc: "a child of a map changed status: its map's counters follow, in the same transaction",
  },
} as const satisfies Record<string, WriteRow>;
export type MapCounterEvent = keyof typeof MAP_COUNTER_WRITES;

/**
 * A map's stored items (`ITEMS#<map>#<chunk>`, beside the children they feed):
 * written once as the map expands, read by each child's claim.
 */
export const MAP_ITEMS_WRITES = {
  store: {
    guards: ['absent'],
    effects: { itemsJson: 'set', expiresAt: 'set' },
    doc: "a chunk of a map's items, stored once: an expansion redone after a crash writes nothing twice",
  },
} as const satisfies Record<string, WriteRow>;
export type MapItemsEvent = keyof typeof MAP_ITEMS_WRITES;

/** History records: written once, keyed by what wrote them (the process version of a pause or resume, the run of a rerun). */
export const RECORD_WRITES = {
  event: {
    guards: ['absent'],
    effects: { type: 'set', at: 'set', expiresAt: 'set', reason: 'set?' },
    doc: 'a pause or a resume, keyed by the process version it wrote',
  },
  run: {
    guards: ['absent'],
    effects: { recordJson: 'set', expiresAt: 'set' },
    doc: "a rerun's record of the run it closed; it expires as the input does",
  },
} as const satisfies Record<string, WriteRow>;
export type RecordEvent = keyof typeof RECORD_WRITES;
