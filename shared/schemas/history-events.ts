/** The event types of a process's history (`GET /processes/{id}/history`). */
export const HISTORY_EVENT_TYPES = [
  'ProcessStarted',
  'ProcessQueued',
  'ProcessDequeued',
  'TaskScheduled',
  'TaskClaimed',
  // Issue 18: the claims of a task refused for a limit, counted in one event at the last refusal's time.
  'TaskClaimsRefused',
  'MapExpanded',
  'TaskCompleted',
  'TaskFailed',
  'TaskLeaseExpired',
  'TaskAttemptTimedOut',
  'TaskSkipped',
  'TaskCancelled',
  'StaleResultRejected',
  'ProcessPaused',
  'ProcessResumed',
  'ProcessCompleted',
  'ProcessFailed',
  'ProcessCancelled',
  'ProcessRerun',
  // A process task's child process (issue 17, part 3): started in place of a claim, and its end, before the task's.
  'ChildProcessStarted',
  'ChildProcessEnded',
] as const;
export type HistoryEventType = (typeof HISTORY_EVENT_TYPES)[number];
