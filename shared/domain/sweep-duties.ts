import { isTerminalTask, type ProcessStatus, type TaskStatus } from './lifecycle-table.ts';

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
 * - `mapExpand`: a map's expansion (its items stored, then the first child of each lane) may be unfinished.
 * - `mapTeardown`: a map that ended early (failed, or cancelled with its process) may have unended children.
 * - `childStart`: a SCHEDULED process task's child process may be unstarted (or, for a retry, not yet rerun).
 *
 * - `dequeue`: a concurrency pool has queued processes that may wait for a slot freed by a call that crashed (issue 18);
 *   a QUEUED process's own entry is its place in its pool's queue, under a partition the sweeper never reads.
 *
 * A child process that ended COMPLETED keeps `cleanup` too: its cleanup ends its parent's task.
 */
export const SWEEP_REASONS = ['enqueue', 'lease', 'followUp', 'roots', 'cleanup', 'retryDue', 'deadline', 'rerun', 'resume', 'pause', 'mapExpand', 'mapTeardown', 'childStart', 'dequeue'] as const;
export type SweepReason = (typeof SWEEP_REASONS)[number];

/** What the sweeper does for a due item. */
export type SweepDuty =
  | 'resend'
  | 'expireLease'
  | 'followUpCompleted'
  | 'followUpFailed'
  | 'followUpSkipped'
  | 'scheduleRoots'
  | 'finishCleanup'
  | 'timeOutProcess'
  | 'continueRerun'
  | 'finishResume'
  | 'finishPause'
  | 'expandMap'
  | 'teardownMap'
  | 'startChild'
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
    followUp: { COMPLETED: 'followUpCompleted', FAILED: 'followUpFailed', SKIPPED: 'followUpSkipped' },
    roots: {},
    cleanup: {},
    retryDue: { SCHEDULED: 'resend', RUNNING: 'expireLease', COMPLETED: 'followUpCompleted', FAILED: 'followUpFailed' },
    deadline: {},
    rerun: {},
    resume: {},
    pause: {},
    mapExpand: { SCHEDULED: 'expandMap', RUNNING: 'expandMap' },
    mapTeardown: { FAILED: 'teardownMap', CANCELLED: 'teardownMap' },
    childStart: { SCHEDULED: 'startChild' },
    dequeue: {},
  },
  process: {
    enqueue: {},
    lease: {},
    followUp: {},
    roots: { RUNNING: 'scheduleRoots', PAUSED: 'scheduleRoots', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    // Only a child process ends COMPLETED owing its cleanup: ending its parent's task.
    cleanup: { FAILED: 'finishCleanup', CANCELLED: 'finishCleanup', COMPLETED: 'finishCleanup' },
    retryDue: {},
    deadline: { RUNNING: 'timeOutProcess', PAUSED: 'timeOutProcess', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    rerun: { RUNNING: 'continueRerun', PAUSED: 'continueRerun', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    // PAUSED again before the pass finished: the next resume does it; the pass only gives the slot back (deadline or none).
    resume: { RUNNING: 'finishResume', PAUSED: 'finishResume', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    // RUNNING again before the marks were all written: the resume took the slot; the pass only gives it back.
    pause: { PAUSED: 'finishPause', RUNNING: 'finishPause', COMPLETED: 'clear', FAILED: 'finishCleanup', CANCELLED: 'finishCleanup' },
    mapExpand: {},
    mapTeardown: {},
    childStart: {},
    dequeue: {},
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
  task: { SCHEDULED: 'enqueue', RUNNING: 'lease', COMPLETED: 'followUp', FAILED: 'followUp', SKIPPED: 'followUp' },
  process: { RUNNING: 'roots', FAILED: 'cleanup', CANCELLED: 'cleanup' },
  /** A process that was just resumed owes its resume pass. */
  resumed: 'resume',
  /** A process that was just paused owes its pause pass (the marks). */
  paused: 'pause',
  /** A SCHEDULED retry whose message waits for the sweeper; a RUNNING process past its roots with a deadline. */
  waiting: { task: 'retryDue', process: 'deadline' },
  /** A process RUNNING again after a rerun, until the rerun's pass is done. */
  reopened: { process: 'rerun' },
  /** A map task: while it expands, and after it ended early (its children to cancel). */
  map: { expand: 'mapExpand', teardown: 'mapTeardown' },
  /** A process task, SCHEDULED until its child process is started (or rerun). */
  subProcess: { start: 'childStart' },
  /** A QUEUED process (its place in its pool's queue), and a pool whose queue may wait for a slot. */
  queued: 'dequeue',
} as const satisfies {
  task: Partial<Record<TaskStatus, SweepReason>>;
  process: Partial<Record<ProcessStatus, SweepReason>>;
  resumed: SweepReason;
  paused: SweepReason;
  waiting: { task: SweepReason; process: SweepReason };
  reopened: { process: SweepReason };
  map: { expand: SweepReason; teardown: SweepReason };
  subProcess: { start: SweepReason };
  queued: SweepReason;
};
