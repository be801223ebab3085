import { TERMINAL_PROCESS_STATUSES, type ProcessStatus, type TaskStatus } from './lifecycle-table.ts';

/**
 * Named statuses and status predicates, for everything outside the domain and
 * the schemas: a status check reads as what it asks (`isRunningTask`), and a
 * lint rule keeps status literals out of the adapters, use cases, handlers and
 * the test engine. The lifecycle table stays the one place statuses are listed.
 *
 * @example
 * if (isPausedProcess(process.status)) throw new ProcessPausedError(process.id);
 */
export const TASK_STATUS = {
  pending: 'PENDING',
  scheduled: 'SCHEDULED',
  running: 'RUNNING',
  completed: 'COMPLETED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
  skipped: 'SKIPPED',
} as const satisfies Record<string, TaskStatus>;

export const PROCESS_STATUS = {
  running: 'RUNNING',
  paused: 'PAUSED',
  completed: 'COMPLETED',
  failed: 'FAILED',
  cancelled: 'CANCELLED',
  queued: 'QUEUED',
} as const satisfies Record<string, ProcessStatus>;

type T = typeof TASK_STATUS;
type P = typeof PROCESS_STATUS;

export const isPendingTask = (status: TaskStatus | undefined): status is T['pending'] => status === TASK_STATUS.pending;
export const isScheduledTask = (status: TaskStatus | undefined): status is T['scheduled'] => status === TASK_STATUS.scheduled;
export const isRunningTask = (status: TaskStatus | undefined): status is T['running'] => status === TASK_STATUS.running;
export const isCompletedTask = (status: TaskStatus | undefined): status is T['completed'] => status === TASK_STATUS.completed;
export const isFailedTask = (status: TaskStatus | undefined): status is T['failed'] => status === TASK_STATUS.failed;
export const isCancelledTask = (status: TaskStatus | undefined): status is T['cancelled'] => status === TASK_STATUS.cancelled;
export const isSkippedTask = (status: TaskStatus | undefined): status is T['skipped'] => status === TASK_STATUS.skipped;

export const isRunningProcess = (status: ProcessStatus | undefined): status is P['running'] => status === PROCESS_STATUS.running;
export const isPausedProcess = (status: ProcessStatus | undefined): status is P['paused'] => status === PROCESS_STATUS.paused;
export const isCompletedProcess = (status: ProcessStatus | undefined): status is P['completed'] => status === PROCESS_STATUS.completed;
export const isQueuedProcess = (status: ProcessStatus | undefined): status is P['queued'] => status === PROCESS_STATUS.queued;
/** RUNNING or PAUSED: the statuses that hold a concurrency slot (issue 18). */
export const holdsSlotProcess = (status: ProcessStatus | undefined): boolean => status === PROCESS_STATUS.running || status === PROCESS_STATUS.paused;
export const isCancelledProcess = (status: ProcessStatus | undefined): status is P['cancelled'] => status === PROCESS_STATUS.cancelled;
/** As `isTerminalProcess`, and narrows the status to an ended one. */
export const isEndedProcess = (status: ProcessStatus | undefined): status is (typeof TERMINAL_PROCESS_STATUSES)[number] =>
  (TERMINAL_PROCESS_STATUSES as readonly (ProcessStatus | undefined)[]).includes(status);
