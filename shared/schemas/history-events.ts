/** The event types of a process's history (`GET /processes/{id}/history`). */
export const HISTORY_EVENT_TYPES = [
  'ProcessStarted',
  'ProcessQueued',
  'ProcessDequeued',
  'TaskScheduled',
  'TaskClaimed',
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
] as const;
export type HistoryEventType = (typeof HISTORY_EVENT_TYPES)[number];
