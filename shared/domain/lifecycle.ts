/**
 * The lifecycle of tasks and processes, as data. Every status change anywhere
 * in Tributary is one row of {@link TASK_TRANSITIONS} or
 * {@link PROCESS_TRANSITIONS}: the statuses it may start from, the status it
 * leads to, and the guards it checks. Stores derive their write conditions
 * from these rows ({@link taskGuards}, {@link processGuards}), the sweeper its
 * duties ({@link SWEEP_DUTIES}), and the property tests their moves (the model
 * in `process-model.ts`). A new rule is a new row.
 *
 * Pure: no clock, no randomness. Times and tokens come in as guard values.
 */

export const TASK_STATUSES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** PAUSED is reachable once pause and resume exist (operator controls); the table already has room for it. */
export const PROCESS_STATUSES = ['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

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
 * - `settledBelow`: a join's (or the process end's) settled-parent counter is below its expected count.
 * - `allSettled`: the counter has reached the expected count.
 * - `leaseLive`: the lease runs out after `now` (a lease is dead the moment it expires, sweeper or not).
 * - `attemptLive`: the attempt's hard deadline (`attemptTimeoutSeconds` from its claim) is after `now`.
 * - `attemptExpired`: the attempt's deadline is at or before `now`.
 * - `due`: the task may be taken: it has no `nextAttemptAt`, or that time has come.
 * - `hold`: the item carries the pause mark (`held`) or not, as the caller says: an ending written while its
 *   process is paused must say so, and then owes its follow-up until resume (the normal path says not held, for free).
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
  | 'settledBelow'
  | 'allSettled'
  | 'hold';

export interface TransitionRow<S extends string> {
  /** Statuses the event may start from. `absent` means the item does not exist yet (a PENDING task has no item). */
  readonly from: readonly (S | 'absent')[];
  /** The status after the event; `from` itself for events that change no status (heartbeat, sweep bookkeeping). */
  readonly to: S | 'same';
  readonly guards: readonly GuardKind[];
  /** One line on why the row exists. */
  readonly doc: string;
}

/** Ended statuses. A task leaves one only through `reopen` (rerun). */
export const TERMINAL_TASK_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const satisfies readonly TaskStatus[];
/** A task on a queue or held by a worker. */
export const ACTIVE_TASK_STATUSES = ['SCHEDULED', 'RUNNING'] as const satisfies readonly TaskStatus[];
/** Not yet ended: PENDING (with or without an item), SCHEDULED or RUNNING. */
const UNFINISHED_TASK = ['absent', 'PENDING', 'SCHEDULED', 'RUNNING'] as const;

export const TASK_TRANSITIONS = {
  schedule: { from: ['absent'], to: 'SCHEDULED', guards: ['absent'], doc: 'a root, or a task with one need whose parent settled: the first write of its item' },
  scheduleJoin: {
    from: ['PENDING'],
    to: 'SCHEDULED',
    guards: ['allSettled', 'runAtMost'],
    doc: 'a join whose every parent has settled: exactly one caller wins (never one from a run before the join was reset)',
  },
  scheduleRerun: {
    from: ['PENDING'],
    to: 'SCHEDULED',
    guards: ['run'],
    doc: 'in a rerun, a reset root or single-need task whose need is complete: exactly one caller of that run wins',
  },
  settleParent: {
    from: ['absent', 'PENDING', 'CANCELLED', 'SKIPPED'],
    to: 'same',
    guards: ['settledBelow'],
    doc: "a parent of a join settled: the join's counter goes up by one, never past its expected count; a join without an item is created PENDING, and one cancelled with its process or skipped under skipDownstream still counts, harmlessly",
  },
  claim: { from: ['SCHEDULED'], to: 'RUNNING', guards: ['due'], doc: 'a worker takes the task and gets a fresh lease (not before a retry is due)' },
  heartbeat: { from: ['RUNNING'], to: 'same', guards: ['lease', 'leaseLive', 'attemptLive'], doc: 'the holder of a live lease extends it' },
  complete: {
    from: ['RUNNING'],
    to: 'COMPLETED',
    guards: ['lease', 'leaseLive', 'attemptLive', 'run', 'hold'],
    doc: "the holder of a live lease records the output (of the run the caller's view of the process belongs to)",
  },
  completeManual: { from: ['SCHEDULED'], to: 'COMPLETED', guards: ['due', 'run', 'hold'], doc: 'a person or system completes an unclaimed task without a lease' },
  fail: {
    from: ['RUNNING'],
    to: 'FAILED',
    guards: ['lease', 'leaseLive', 'attemptLive', 'hold'],
    doc: 'the holder of a live lease records the final failure (no attempts left, or not retryable)',
  },
  failManual: { from: ['SCHEDULED'], to: 'FAILED', guards: ['due', 'hold'], doc: 'a person or system fails an unclaimed task for good' },
  retry: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['lease', 'leaseLive', 'attemptLive', 'attempt'],
    doc: 'the holder of a live lease fails an attempt with attempts left: attempt + 1, not before its backoff',
  },
  retryManual: { from: ['SCHEDULED'], to: 'SCHEDULED', guards: ['due', 'attempt'], doc: 'a manual failure of an unclaimed task with attempts left: attempt + 1, not before its backoff' },
  release: { from: ['RUNNING'], to: 'SCHEDULED', guards: ['lease', 'leaseLive'], doc: 'the holder of a live lease gives the task back (a worker shutting down): same attempt, the lease fenced' },
  expireLease: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['lease', 'leaseExpired', 'attempt'],
    doc: 'the sweeper finds a lease that ran out (an attempt, LeaseExpired) with attempts left: attempt + 1, the old token is fenced',
  },
  expireLeaseFinal: { from: ['RUNNING'], to: 'FAILED', guards: ['lease', 'leaseExpired', 'hold'], doc: 'a lease ran out on the last attempt: the task fails with LeaseExpired' },
  timeOutAttempt: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['lease', 'attemptExpired', 'attempt'],
    doc: 'an attempt passed attemptTimeoutSeconds, heartbeats notwithstanding (AttemptTimedOut), with attempts left: attempt + 1',
  },
  timeOutAttemptFinal: { from: ['RUNNING'], to: 'FAILED', guards: ['lease', 'attemptExpired', 'hold'], doc: 'the last attempt passed attemptTimeoutSeconds: the task fails with AttemptTimedOut' },
  skip: { from: ['absent', 'PENDING'], to: 'SKIPPED', guards: ['runAtMost'], doc: 'an upstream task failed under skipDownstream: the task never runs' },
  cancel: {
    from: UNFINISHED_TASK,
    to: 'CANCELLED',
    guards: ['runAtMost'],
    doc: 'the process ended: an unfinished task is cancelled; a PENDING one gets a tombstone so no late scheduling revives it',
  },
  reopen: {
    from: ['absent', 'PENDING', ...TERMINAL_TASK_STATUSES],
    to: 'PENDING',
    guards: ['runBefore'],
    doc: 'a rerun resets a task that must run again (attempts restart at 1, earlier ones stay in the history), once per run; a task new in the rerun\'s version starts here',
  },
  retain: {
    from: ['COMPLETED'],
    to: 'same',
    guards: ['runBefore'],
    doc: 'a rerun keeps a completed task of an earlier run: its output stays, its expiry moves with the process',
  },
  resend: { from: ['SCHEDULED'], to: 'same', guards: ['sweepAt', 'attempt'], doc: "the sweeper resends an unclaimed task's message (or sends a long-delayed retry's), and backs off its next check" },
  watchLease: { from: ['RUNNING'], to: 'same', guards: ['lease', 'sweepAt'], doc: "the sweeper's next look at a running task is when its lease (or its attempt) would expire" },
  recordStale: { from: ['SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'], to: 'same', guards: [], doc: 'a heartbeat, complete or fail with a fenced token is refused: the refusal is noted on the task for its history' },
  deferFollowUp: { from: ['COMPLETED', 'FAILED'], to: 'same', guards: ['sweepOwed'], doc: 'a fan-out too wide for one call records where it stopped' },
  clearSweep: { from: TERMINAL_TASK_STATUSES, to: 'same', guards: ['sweepOwed'], doc: 'an ended task whose follow-up is written leaves the sweep index' },
  hold: {
    from: ACTIVE_TASK_STATUSES,
    to: 'same',
    guards: [],
    doc: 'its process was paused: the task is marked, so that its ending schedules nothing and owes its follow-up until resume',
  },
  unhold: { from: TASK_STATUSES, to: 'same', guards: [], doc: 'its process was resumed: the mark goes (an ended task keeps its status)' },
} as const satisfies Record<string, TransitionRow<TaskStatus>>;
export type TaskEvent = keyof typeof TASK_TRANSITIONS;

/** The status of a task item first created by a counted parent (`settleParent` on an absent item). */
export const COUNTED_TASK_STATUS: TaskStatus = 'PENDING';

export const TERMINAL_PROCESS_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'] as const satisfies readonly ProcessStatus[];

export const PROCESS_TRANSITIONS = {
  start: { from: ['absent'], to: 'RUNNING', guards: ['absent'], doc: 'a new process; a second start with the same id finds the first' },
  complete: { from: ['RUNNING'], to: 'COMPLETED', guards: ['version'], doc: 'every sink settled and none failed' },
  fail: {
    from: ['RUNNING', 'PAUSED'],
    to: 'FAILED',
    guards: ['version'],
    doc: 'a task failed for good under failFast, or every branch ended with some failed under skipDownstream, or the process timed out (its timeout counts while paused)',
  },
  cancel: { from: ['RUNNING', 'PAUSED'], to: 'CANCELLED', guards: ['version'], doc: 'an operator cancels the process' },
  pause: { from: ['RUNNING'], to: 'PAUSED', guards: ['version'], doc: 'nothing new is scheduled and claims are refused until resume (operator controls)' },
  resume: { from: ['PAUSED'], to: 'RUNNING', guards: ['version'], doc: 'scheduling goes on; the process owes its resume pass (sweep reason `resume`) (operator controls)' },
  reopen: { from: TERMINAL_PROCESS_STATUSES, to: 'RUNNING', guards: ['version'], doc: 'a rerun starts the next run: run + 1 fences the earlier leases (operator controls)' },
  recordCompensation: {
    from: ['FAILED', 'CANCELLED'],
    to: 'same',
    guards: ['run', 'sweepAt'],
    doc: "an ended process that still owes its cleanup (this run's) records the compensation process it started, or why none could start",
  },
  clearSweep: { from: PROCESS_STATUSES, to: 'same', guards: ['sweepAt'], doc: 'the owed work (roots, cleanup, compensation) is done: leave the sweep index' },
  deferSweep: { from: PROCESS_STATUSES, to: 'same', guards: ['sweepAt'], doc: 'a pass too long for one call records where it stopped' },
} as const satisfies Record<string, TransitionRow<ProcessStatus>>;
export type ProcessEvent = keyof typeof PROCESS_TRANSITIONS;

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
  | { readonly kind: 'missing'; readonly attribute: string };

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
  /** Whether the item must carry the pause mark (`hold`). */
  readonly held?: boolean;
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

export function processTarget<E extends ProcessEvent>(event: E): (typeof PROCESS_TRANSITIONS)[E]['to'] {
  return PROCESS_TRANSITIONS[event].to;
}

/** Whether the row allows the event from `status` (undefined: the item does not exist). */
export function processAllows(event: ProcessEvent, status: ProcessStatus | undefined): boolean {
  return (PROCESS_TRANSITIONS[event].from as readonly string[]).includes(status ?? 'absent');
}

function guardsOf(row: TransitionRow<string>, values: GuardValues, label: string): Guard[] {
  const need = <K extends keyof GuardValues>(key: K): NonNullable<GuardValues[K]> => {
    const value = values[key];
    if (value === undefined) throw new Error(`${label} needs a value for '${key}'`);
    return value as NonNullable<GuardValues[K]>;
  };
  const guards: Guard[] = [];
  const statuses = row.from.filter((s) => s !== 'absent');
  const orAbsent = row.from.includes('absent');
  if (statuses.length > 0) guards.push({ kind: 'statusIn', statuses, orAbsent });
  for (const kind of row.guards) {
    switch (kind) {
      case 'absent':
        guards.push({ kind: 'absent' });
        break;
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
      default:
        assertNever(kind);
    }
  }
  return guards;
}

/** Whether `item` (undefined: absent) passes every guard. The in-memory stores and the model use this. */
export function guardsHold(guards: readonly Guard[], subject: object | undefined): boolean {
  const item = subject as Readonly<Record<string, unknown>> | undefined;
  return guards.every((g) => {
    switch (g.kind) {
      case 'statusIn':
        return item === undefined || item[ATTR.status] === undefined ? g.orAbsent : g.statuses.includes(String(item[ATTR.status]));
      case 'absent':
        return item === undefined;
      case 'equals':
        return item !== undefined && item[g.attribute] === g.value;
      // A missing attribute (or a missing item: DynamoDB evaluates a condition on an absent item as on an empty one) passes only with orMissing.
      case 'atMost': {
        const v = item?.[g.attribute];
        if (v === undefined) return g.orMissing === true;
        return typeof v === 'number' && v <= g.value;
      }
      case 'above': {
        const v = item?.[g.attribute];
        if (v === undefined) return g.orMissing;
        return typeof v === 'number' && v > g.value;
      }
      case 'below': {
        const v = item?.[g.attribute];
        return v === undefined ? g.orMissing : typeof v === 'number' && v < g.value;
      }
      case 'exists':
        return item !== undefined && item[g.attribute] !== undefined;
      case 'missing':
        return item === undefined || item[g.attribute] === undefined;
      default:
        return assertNever(g);
    }
  });
}

/**
 * Why an item is on the sweep index, stored next to its due time (`sweepReason`).
 * - `enqueue`: a SCHEDULED task's message may be lost; resend it if nobody claimed it.
 * - `lease`: a RUNNING task's lease may have run out.
 * - `followUp`: an ended task's consequences (children, process end) may be unwritten.
 * - `roots`: a new process's roots may be unwritten.
 * - `cleanup`: an ended process's unfinished tasks may be uncancelled.
 * - `retryDue`: a retry waits longer than a queue can delay a message (15 minutes): send it when due.
 * - `deadline`: a process with `timeoutSeconds` times out then, unless it ended.
 * - `rerun`: a rerun's pass (reset the tasks that run again, schedule the ready ones) may be unfinished.
 * - `resume`: a resumed process's pass (marks removed, owed follow-ups run, messages resent) may be unfinished.
 * - `pause`: a paused process's pass (its active tasks marked `held`) may be unfinished.
 */
export const SWEEP_REASONS = ['enqueue', 'lease', 'followUp', 'roots', 'cleanup', 'retryDue', 'deadline', 'rerun', 'resume', 'pause'] as const;
export type SweepReason = (typeof SWEEP_REASONS)[number];

/** What the sweeper does for a due item. */
export type SweepDuty =
  | 'resend'
  | 'expireLease'
  | 'followUpCompleted'
  | 'followUpFailed'
  | 'scheduleRoots'
  | 'finishCleanup'
  | 'timeOutProcess'
  | 'continueRerun'
  | 'finishResume'
  | 'finishPause'
  | 'clear';

/**
 * What the sweeper owes a due item, by its stored reason and its current
 * status. Any pairing not listed means the reason is stale (the item moved on
 * since): the entry is cleared if the item ended, or left to its own writer.
 */
export const SWEEP_DUTIES: {
  readonly task: Readonly<Record<SweepReason, Partial<Record<TaskStatus, SweepDuty>>>>;
  readonly process: Readonly<Record<SweepReason, Partial<Record<ProcessStatus, SweepDuty>>>>;
} = {
  task: {
    enqueue: { SCHEDULED: 'resend', RUNNING: 'expireLease', COMPLETED: 'followUpCompleted', FAILED: 'followUpFailed' },
    lease: { SCHEDULED: 'resend', RUNNING: 'expireLease', COMPLETED: 'followUpCompleted', FAILED: 'followUpFailed' },
    followUp: { COMPLETED: 'followUpCompleted', FAILED: 'followUpFailed' },
    roots: {},
    cleanup: {},
    retryDue: { SCHEDULED: 'resend', RUNNING: 'expireLease', COMPLETED: 'followUpCompleted', FAILED: 'followUpFailed' },
    deadline: {},
    rerun: {},
    resume: {},
    pause: {},
  },
  process: {
    enqueue: {},
    lease: {},
    followUp: {},
    roots: { RUNNING: 'scheduleRoots', PAUSED: 'scheduleRoots', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    cleanup: { FAILED: 'finishCleanup', CANCELLED: 'finishCleanup', COMPLETED: 'clear' },
    retryDue: {},
    deadline: { RUNNING: 'timeOutProcess', PAUSED: 'timeOutProcess', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    rerun: { RUNNING: 'continueRerun', PAUSED: 'continueRerun', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    // PAUSED again before the pass finished: the next resume does it; the pass only gives the slot back (deadline or none).
    resume: { RUNNING: 'finishResume', PAUSED: 'finishResume', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    // RUNNING again before the marks were all written: the resume took the slot; the pass only gives it back.
    pause: { PAUSED: 'finishPause', RUNNING: 'finishPause', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
  },
};

/** The duty of a due task item; `clear` for an ended task whose reason no longer applies. */
export function taskSweepDuty(reason: SweepReason, status: TaskStatus): SweepDuty | undefined {
  return SWEEP_DUTIES.task[reason][status] ?? (isTerminalTask(status) ? 'clear' : undefined);
}

export function processSweepDuty(reason: SweepReason, status: ProcessStatus): SweepDuty | undefined {
  return SWEEP_DUTIES.process[reason][status];
}

/** The reason an item gets when it enters a status and stays on the sweep index. */
export const SWEEP_REASON_ON_ENTRY = {
  task: { SCHEDULED: 'enqueue', RUNNING: 'lease', COMPLETED: 'followUp', FAILED: 'followUp' },
  process: { RUNNING: 'roots', FAILED: 'cleanup', CANCELLED: 'cleanup' },
  /** A process that was just resumed owes its resume pass. */
  resumed: 'resume',
  /** A process that was just paused owes its pause pass (the marks). */
  paused: 'pause',
  /** A SCHEDULED retry whose message waits for the sweeper; a RUNNING process past its roots with a deadline. */
  waiting: { task: 'retryDue', process: 'deadline' },
  /** A process RUNNING again after a rerun, until the rerun's pass is done. */
  reopened: { process: 'rerun' },
} as const satisfies {
  task: Partial<Record<TaskStatus, SweepReason>>;
  process: Partial<Record<ProcessStatus, SweepReason>>;
  resumed: SweepReason;
  paused: SweepReason;
  waiting: { task: SweepReason; process: SweepReason };
  reopened: { process: SweepReason };
};

/** @example isTerminalTask('SKIPPED') // true */
export function isTerminalTask(status: TaskStatus): boolean {
  return (TERMINAL_TASK_STATUSES as readonly string[]).includes(status);
}

/** @example isActiveTask('SCHEDULED') // true */
export function isActiveTask(status: TaskStatus): boolean {
  return (ACTIVE_TASK_STATUSES as readonly string[]).includes(status);
}

/** @example isTerminalProcess('RUNNING') // false */
export function isTerminalProcess(status: ProcessStatus): boolean {
  return (TERMINAL_PROCESS_STATUSES as readonly string[]).includes(status);
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${JSON.stringify(value)}`);
}
