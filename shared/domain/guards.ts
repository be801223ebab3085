import { END_COUNTER_WRITES, INPUT_WRITES, MAP_COUNTER_WRITES, MAP_ITEMS_WRITES, PROGRESS_WRITES, RECORD_WRITES, type EndCounterEvent, type InputEvent, type MapCounterEvent, type MapItemsEvent, type ProgressEvent, type RecordEvent } from './companion-writes.ts';
import type { ProcessStatus, WriteRow } from './lifecycle-table.ts';
import { PROCESS_TRANSITIONS, type ProcessEvent } from './process-transitions.ts';
import { TASK_TRANSITIONS, type TaskEvent } from './task-transitions.ts';

/**
 * The guard language: what a row of the transition table may check besides
 * the status ({@link GuardKind}), the conditions a store evaluates
 * ({@link Guard}), and the builders that derive one write's conditions from
 * its row ({@link taskGuards}, {@link processGuards}).
 */

/**
 * What a guard checks, besides the status. The kinds name *what* is checked;
 * the values come from the caller (a token, a time, a version).
 * - `lease`: the item's lease token is the caller's.
 * - `leaseExpired`: the lease ran out at or before `now`.
 * - `version`: optimistic lock on the process item (`ver`).
 * - `run`: the item belongs to the caller's run of the process (`run` equals it).
 * - `runAtMost`: the item belongs to the caller's run or an earlier one (or has no run: a counter or tombstone of
 *   the first run). A caller from an earlier run cannot touch what a rerun reset (a late cleanup, skip or join).
 * - `runBefore`: the item is not yet reset for the caller's run (its run is lower, or it has none): a rerun
 *   resets each task once, however often its pass is repeated.
 * - `sweepAt`: the sweep entry is the one the caller read (fences two sweepers).
 * - `sweepOwed`: the item still owes its follow-up (it is on the sweep index).
 * - `attempt`: the attempt is the one the caller read.
 * - `absent`: the item does not exist yet.
 * - `present`: the item exists (an update never creates it).
 * - `dropped`: the count of attempt records already dropped is the one the caller read (fences two trims).
 * - `settledBelow`: a join's (or the process end's) settled-parent counter is below its expected count.
 * - `allSettled`: the counter has reached the expected count.
 * - `leaseLive`: the lease runs out after `now` (a lease is dead the moment it expires, sweeper or not).
 * - `attemptLive`: the attempt's hard deadline (`attemptTimeoutSeconds` from its claim) is after `now`.
 * - `attemptExpired`: the attempt's deadline is at or before `now`.
 * - `due`: the task may be taken: it has no `nextAttemptAt`, or that time has come.
 * - `unseeded`: a progress counter has not yet counted the rerun pass's chunk that starts at `position` (where its
 *   last counted chunk ended, `seededTo`, is at most that position, or it has counted none): a chunk redone after a
 *   crash counts nothing twice.
 * - `hold`: the item carries the pause mark (`held`) or not, as the caller says: an ending written while its
 *   process is paused must say so, and then owes its follow-up until resume (the normal path says not held, for free).
 * - `slotFree`: a process's slot pool (`maxParallel`) has a slot free: its `used` count is below `capacity`.
 * - `leaseSlotFree`: a task limit's slot has no holder, or its holder's lease is over (`leaseExpiresAt` at most now).
 * - `unlimited` / `limited`: the task was scheduled without / with a concurrency or rate limit (`limits`).
 * - `processSlotFree`: a concurrency pool holds fewer slots than its `limit` (issue 18).
 * - `uncounted`: a counter has not yet counted this contributor (`member`, e.g. a task's position in the definition's
 *   order, is not in its `counted` set): a count redone after a crash counts nothing twice, without a transaction.
 * - `cursorBehind`: a sweep shard's cursor (`cursorAt`) is at most the entry it moves to, or unset: it only moves
 *   forward, so a slower sweeper never takes it back past what a faster one handled.
 */
export type GuardKind =
  | 'lease'
  | 'leaseExpired'
  | 'leaseLive'
  | 'attemptLive'
  | 'attemptExpired'
  | 'due'
  | 'version'
  | 'run'
  | 'runAtMost'
  | 'runBefore'
  | 'sweepAt'
  | 'sweepOwed'
  | 'attempt'
  | 'absent'
  | 'present'
  | 'dropped'
  | 'settledBelow'
  | 'allSettled'
  | 'hold'
  | 'unseeded'
  | 'slotFree'
  | 'leaseSlotFree'
  | 'unlimited'
  | 'limited'
  | 'processSlotFree'
  | 'uncounted'
  | 'cursorBehind';

/**
 * One condition of a write, in a form every store can evaluate: the DynamoDB
 * adapter turns it into a ConditionExpression, the in-memory one checks it
 * against the item. Attribute names are the item's.
 */
export type Guard =
  | { readonly kind: 'statusIn'; readonly statuses: readonly string[]; readonly orAbsent: boolean }
  | { readonly kind: 'absent' }
  | { readonly kind: 'equals'; readonly attribute: string; readonly value: string | number }
  | { readonly kind: 'atMost'; readonly attribute: string; readonly value: number; readonly orMissing?: boolean }
  | { readonly kind: 'above'; readonly attribute: string; readonly value: number; readonly orMissing: boolean }
  | { readonly kind: 'below'; readonly attribute: string; readonly value: number; readonly orMissing: boolean }
  | { readonly kind: 'exists'; readonly attribute: string }
  | { readonly kind: 'missing'; readonly attribute: string }
  /** The attribute, a number set, lacks the value (or is missing). */
  | { readonly kind: 'notMember'; readonly attribute: string; readonly value: number };

/** Values for the guards a row names; each row's guards must be given. */
export interface GuardValues {
  readonly leaseToken?: string;
  readonly now?: number;
  readonly version?: number;
  readonly run?: number;
  readonly sweepAt?: number;
  readonly attempt?: number;
  /** The expected count of a join or of the process end. */
  readonly expected?: number;
  /** The count of attempt records dropped so far, as read (`dropped`). */
  readonly dropped?: number;
  /** Where a rerun pass's chunk starts in the definition's order (`unseeded`). */
  readonly position?: number;
  /** Whether the item must carry the pause mark (`hold`). */
  readonly held?: boolean;
  /** The slots of a process's pool (`slotFree`): its `maxParallel`. */
  readonly capacity?: number;
  /** A concurrency pool's limit (`processSlotFree`). */
  readonly limit?: number;
  /** The contributor a counter must not have counted yet (`uncounted`). */
  readonly member?: number;
}

/** Item attributes the guards read. Stores keep these names. */
export const ATTR = {
  status: 'status',
  leaseToken: 'leaseToken',
  leaseExpiresAt: 'leaseExpiresAt',
  version: 'ver',
  run: 'run',
  sweepAt: 'sweepAt',
  attempt: 'attempt',
  settled: 'settled',
  attemptDeadline: 'attemptDeadline',
  nextAttemptAt: 'nextAttemptAt',
  held: 'held',
  attemptsDropped: 'attemptsDropped',
  seededTo: 'seededTo',
  limits: 'limits',
  slotsHeld: 'slotsHeld',
  counted: 'counted',
} as const;

/**
 * The conditions of one task event, derived from its row.
 *
 * @example
 * taskGuards('heartbeat', { leaseToken: 't1' })
 * // [{ kind: 'statusIn', statuses: ['RUNNING'], orAbsent: false }, { kind: 'equals', attribute: 'leaseToken', value: 't1' }]
 */
export function taskGuards(event: TaskEvent, values: GuardValues = {}): Guard[] {
  return guardsOf(TASK_TRANSITIONS[event], values, `task event '${event}'`);
}

/** The conditions of one process event, derived from its row. */
export function processGuards(event: ProcessEvent, values: GuardValues = {}): Guard[] {
  return guardsOf(PROCESS_TRANSITIONS[event], values, `process event '${event}'`);
}

/** The status an event leads to (for `same`, the caller keeps the item's own). */
export function taskTarget<E extends TaskEvent>(event: E): (typeof TASK_TRANSITIONS)[E]['to'] {
  return TASK_TRANSITIONS[event].to;
}

/** The conditions of a write of the input item (it has no status: only the row's guards). */
export function inputGuards(event: InputEvent): Guard[] {
  return guardsOf(INPUT_WRITES[event], {}, `input write '${event}'`);
}

/** The conditions of a write of the end counter. */
export function endCounterGuards(event: EndCounterEvent, values: GuardValues = {}): Guard[] {
  return guardsOf(END_COUNTER_WRITES[event], values, `end counter write '${event}'`);
}

/** The conditions of a write of a run's progress counter. */
export function progressGuards(event: ProgressEvent, values: GuardValues = {}): Guard[] {
  return guardsOf(PROGRESS_WRITES[event], values, `progress write '${event}'`);
}

/** The conditions of a write of a map's counters. */
export function mapCounterGuards(event: MapCounterEvent, values: GuardValues = {}): Guard[] {
  return guardsOf(MAP_COUNTER_WRITES[event], values, `map counter write '${event}'`);
}

/** The conditions of a write of a chunk of a map's items (write-once). */
export function mapItemsGuards(event: MapItemsEvent): Guard[] {
  return guardsOf(MAP_ITEMS_WRITES[event], {}, `map items write '${event}'`);
}

/** The conditions of a history record's write (write-once). */
export function recordGuards(event: RecordEvent): Guard[] {
  return guardsOf(RECORD_WRITES[event], {}, `record write '${event}'`);
}

export function processTarget<E extends ProcessEvent>(event: E): (typeof PROCESS_TRANSITIONS)[E]['to'] {
  return PROCESS_TRANSITIONS[event].to;
}

/** Whether the row allows the event from `status` (undefined: the item does not exist). */
export function processAllows(event: ProcessEvent, status: ProcessStatus | undefined): boolean {
  return (PROCESS_TRANSITIONS[event].from as readonly string[]).includes(status ?? 'absent');
}

/** The conditions of a write from any row in this guard language (the schedule tables build theirs with it). */
export function rowGuards(row: WriteRow & { readonly from?: readonly string[] }, values: GuardValues, label: string): Guard[] {
  return guardsOf(row, values, label);
}

function guardsOf(row: WriteRow & { readonly from?: readonly string[] }, values: GuardValues, label: string): Guard[] {
  const need = <K extends keyof GuardValues>(key: K): NonNullable<GuardValues[K]> => {
    const value = values[key];
    if (value === undefined) throw new Error(`${label} needs a value for '${key}'`);
    return value as NonNullable<GuardValues[K]>;
  };
  const guards: Guard[] = [];
  // An item without a status (input, counter, record) has no `from`: only its guards apply.
  const statuses = (row.from ?? []).filter((s) => s !== 'absent');
  const orAbsent = (row.from ?? []).includes('absent');
  if (statuses.length > 0) guards.push({ kind: 'statusIn', statuses, orAbsent });
  for (const kind of row.guards) {
    switch (kind) {
      case 'absent':
        guards.push({ kind: 'absent' });
        break;
      case 'present':
        guards.push({ kind: 'exists', attribute: 'pk' });
        break;
      case 'dropped': {
        // None dropped yet: the counter is not written until the first trim.
        const dropped = need('dropped');
        guards.push(dropped === 0 ? { kind: 'missing', attribute: ATTR.attemptsDropped } : { kind: 'equals', attribute: ATTR.attemptsDropped, value: dropped });
        break;
      }
      case 'lease':
        guards.push({ kind: 'equals', attribute: ATTR.leaseToken, value: need('leaseToken') });
        break;
      case 'leaseExpired':
        guards.push({ kind: 'atMost', attribute: ATTR.leaseExpiresAt, value: need('now') });
        break;
      case 'leaseLive':
        guards.push({ kind: 'above', attribute: ATTR.leaseExpiresAt, value: need('now'), orMissing: false });
        break;
      case 'attemptLive':
        // Items claimed before attempt deadlines existed have none: no limit.
        guards.push({ kind: 'above', attribute: ATTR.attemptDeadline, value: need('now'), orMissing: true });
        break;
      case 'attemptExpired':
        guards.push({ kind: 'atMost', attribute: ATTR.attemptDeadline, value: need('now') });
        break;
      case 'due':
        guards.push({ kind: 'atMost', attribute: ATTR.nextAttemptAt, value: need('now'), orMissing: true });
        break;
      case 'version':
        guards.push({ kind: 'equals', attribute: ATTR.version, value: need('version') });
        break;
      case 'run':
        guards.push({ kind: 'equals', attribute: ATTR.run, value: need('run') });
        break;
      case 'runAtMost':
        guards.push({ kind: 'atMost', attribute: ATTR.run, value: need('run'), orMissing: true });
        break;
      case 'runBefore':
        guards.push({ kind: 'below', attribute: ATTR.run, value: need('run'), orMissing: true });
        break;
      case 'sweepAt':
        guards.push({ kind: 'equals', attribute: ATTR.sweepAt, value: need('sweepAt') });
        break;
      case 'sweepOwed':
        guards.push({ kind: 'exists', attribute: ATTR.sweepAt });
        break;
      case 'attempt':
        guards.push({ kind: 'equals', attribute: ATTR.attempt, value: need('attempt') });
        break;
      case 'settledBelow':
        guards.push({ kind: 'below', attribute: ATTR.settled, value: need('expected'), orMissing: true });
        break;
      case 'allSettled':
        guards.push({ kind: 'equals', attribute: ATTR.settled, value: need('expected') });
        break;
      case 'hold':
        guards.push({ kind: need('held') ? 'exists' : 'missing', attribute: ATTR.held });
        break;
      case 'unseeded':
        guards.push({ kind: 'atMost', attribute: ATTR.seededTo, value: need('position'), orMissing: true });
        break;
      case 'slotFree':
        guards.push({ kind: 'below', attribute: 'used', value: need('capacity'), orMissing: true });
        break;
      case 'leaseSlotFree':
        guards.push({ kind: 'atMost', attribute: ATTR.leaseExpiresAt, value: need('now'), orMissing: true });
        break;
      case 'unlimited':
        guards.push({ kind: 'missing', attribute: ATTR.limits });
        break;
      case 'limited':
        guards.push({ kind: 'exists', attribute: ATTR.limits });
        break;
      case 'processSlotFree':
        // A pool item that does not exist yet has no slot taken.
        guards.push({ kind: 'below', attribute: ATTR.slotsHeld, value: need('limit'), orMissing: true });
        break;
      case 'uncounted':
        guards.push({ kind: 'notMember', attribute: ATTR.counted, value: need('member') });
        break;
      case 'cursorBehind':
        guards.push({ kind: 'atMost', attribute: 'cursorAt', value: need('sweepAt'), orMissing: true });
        break;
      default:
        assertNever(kind);
    }
  }
  return guards;
}


function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
