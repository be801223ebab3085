import type { GuardKind } from './guards.ts';

/**
 * The transition table: every status change of a task or a process is one row
 * of {@link TASK_TRANSITIONS} or {@link PROCESS_TRANSITIONS}: the statuses it
 * may start from, the status it leads to, and the guards it checks (their
 * language is in `guards.ts`). Pure data, plus the named status predicates
 * that everything outside the domain uses instead of status literals.
 */

export const TASK_STATUSES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** PAUSED is reachable once pause and resume exist (operator controls); the table already has room for it. */
export const PROCESS_STATUSES = ['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

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
