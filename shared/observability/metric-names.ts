/**
 * Names of the custom metrics the handlers emit (CloudWatch EMF). The
 * construct's alarms and dashboard read the same names, so they cannot drift.
 * This module has no runtime dependencies: the CDK code imports it too.
 */
export const METRIC = {
  /** A request ended in a 5xx: an unexpected error that the handler turned into a response. */
  handledServerErrors: 'HandledServerErrors',
  /** Task messages sent to a work queue (first sends and resends). */
  tasksScheduled: 'TasksScheduled',
  tasksCompleted: 'TasksCompleted',
  tasksFailed: 'TasksFailed',
  /** RUNNING tasks whose lease expired, put back to SCHEDULED for another attempt. */
  tasksRetried: 'TasksRetried',
  /** complete/fail/heartbeat calls refused with 409 (lease lost, task no longer active). */
  staleResultsRejected: 'StaleResultsRejected',
  /** One per sweeper run: the "sweeper is not running" alarm watches it. */
  sweeperRuns: 'SweeperRuns',
  /** Due items the sweeper examined in one run. */
  sweeperItemsExamined: 'SweeperItemsExamined',
  /** Items whose sweep failed (they stay due). */
  sweeperErrors: 'SweeperErrors',
  /** Age of the oldest due item when the sweeper ran (milliseconds). */
  sweeperLag: 'SweeperLag',
  /** One per scheduler run (schedules). */
  schedulerRuns: 'SchedulerRuns',
  /** Schedule fires handled in one run (started, skipped, buffered, missed, …). */
  scheduleFires: 'ScheduleFires',
  /** Schedules whose step failed (they stay due). */
  schedulerErrors: 'SchedulerErrors',
  /** Start-queue messages that started (or found) a process. */
  queuedStarts: 'QueuedStarts',
  /** Start-queue messages refused and sent to the start queue's DLQ. */
  queuedStartsRejected: 'QueuedStartsRejected',
} as const;

/** Default CloudWatch namespace of the custom metrics. */
export const DEFAULT_METRICS_NAMESPACE = 'Tributary';
/** Default `service` dimension (and logger service name) outside the construct. */
export const DEFAULT_SERVICE_NAME = 'tributary';
