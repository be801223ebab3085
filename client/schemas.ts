import { z } from 'zod';

/**
 * Response shapes of the Tributary HTTP API, as the client reads them. The
 * client keeps its own copy instead of importing the server's schemas so that
 * it can be published alone. tests/client/client-schemas.test.ts compares it
 * with the server's schemas (shared/schemas/responses.ts) field by field, and
 * the integration tests run it against the real handlers. Objects are not strict: a
 * newer server may add fields without breaking an older client.
 */

/** PAUSED comes with pause and resume (operator controls); no process reaches it before then. */
export const ProcessStatusSchema = z.enum(['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED', 'QUEUED']);
export type ProcessStatus = z.infer<typeof ProcessStatusSchema>;

export const TaskStatusSchema = z.enum(['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED']);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

export const TaskErrorSchema = z.object({ message: z.string(), code: z.string().optional(), details: z.unknown().optional() });
/**
 * What a failed task reports: `code` is usually the thrown error's `name`.
 * When failing, `retryable: false` ends the task at once and `retryAfterSeconds`
 * overrides the backoff before the next attempt.
 */
export type TaskError = z.infer<typeof TaskErrorSchema> & { readonly retryable?: boolean; readonly retryAfterSeconds?: number };

/** A retry policy as written (`retry:` of a task or of `defaults`); what is left out takes the engine's defaults. */
export const RetryPolicySchema = z.object({
  maxAttempts: z.number().optional(),
  intervalSeconds: z.number().optional(),
  backoffRate: z.number().optional(),
  maxIntervalSeconds: z.number().optional(),
  jitter: z.enum(['full', 'none']).optional(),
  nonRetryable: z.array(z.string()).max(100).optional(),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

export const TaskSpecSchema = z.object({
  name: z.string(),
  needs: z.array(z.string()),
  queue: z.string(),
  timeoutSeconds: z.number(),
  retry: RetryPolicySchema.optional(),
  optional: z.boolean().optional(),
  attemptTimeoutSeconds: z.number().optional(),
  /** A condition (CEL over `input` and `upstream`): false when the task is ready, it is SKIPPED (ConditionFalse). */
  when: z.string().optional(),
  /** How a task with several needs treats skipped ones; absent: allSettled. */
  join: z.enum(['allSettled', 'allCompleted', 'anyCompleted']).optional(),
});
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

export const DefinitionSchema = z.object({
  name: z.string(),
  version: z.number().int().positive(),
  description: z.string().optional(),
  /** The process's own limit, in seconds (ProcessTimedOut past it). */
  timeoutSeconds: z.number().optional(),
  /** What a task's failure does to the process (default failFast). */
  onFailure: z.enum(['failFast', 'skipDownstream']).optional(),
  /** Retry and timeouts every task gets unless it says otherwise. */
  defaults: z.object({ retry: RetryPolicySchema.optional(), timeoutSeconds: z.number().optional(), attemptTimeoutSeconds: z.number().optional() }).optional(),
  /** At most this many tasks of one process are SCHEDULED or RUNNING at once. */
  maxParallel: z.number().int().positive().optional(),
  /** The JSON Schema (draft 2020-12) a process's input must match. */
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  /** The definition whose process starts when a process of this one ends in an `on` status (default [FAILED]). */
  compensation: z.object({ definition: z.string(), version: z.number().int().positive().optional(), on: z.array(z.enum(['FAILED', 'CANCELLED'])).optional() }).optional(),
  tasks: z.array(TaskSpecSchema),
  createdAt: z.string(),
});
/** One immutable version of a definition, with every default applied (a `steps:` document in its `tasks:` form). */
export type Definition = z.infer<typeof DefinitionSchema>;

export const DefinitionSummarySchema = z.object({
  name: z.string(),
  latestVersion: z.number().int().positive(),
  description: z.string().optional(),
  // Optional: the listing index of the current server does not project it.
  updatedAt: z.string().optional(),
});
export type DefinitionSummary = z.infer<typeof DefinitionSummarySchema>;

export const StartedProcessSchema = z.object({
  id: z.string(),
  definition: z.string(),
  version: z.number().int().positive(),
  status: ProcessStatusSchema,
  input: z.unknown(),
  createdAt: z.string(),
});
export type StartedProcess = z.infer<typeof StartedProcessSchema>;

export const TaskViewSchema = z.object({
  name: z.string(),
  status: TaskStatusSchema,
  needs: z.array(z.string()),
  queue: z.string(),
  attempt: z.number().int().nonnegative(),
  maxAttempts: z.number().int().positive(),
  /** While a retry waits: the task cannot be claimed before this. */
  nextAttemptAt: z.string().optional(),
  lastError: TaskErrorSchema.optional(),
  /** SKIPPED under skipDownstream: the failed task upstream. */
  skippedBecause: z.string().optional(),
  /** SKIPPED by a branch: its condition was false, or its parents were skipped (its join rule). */
  skipReason: z.enum(['ConditionFalse', 'UpstreamSkipped']).optional(),
  workerId: z.string().optional(),
  output: z.unknown().optional(),
  /** The output (or final error) was left out to keep the response under 1 MiB: read the task alone (`getTask`). */
  outputOmitted: z.literal(true).optional(),
  error: TaskErrorSchema.optional(),
  scheduledAt: z.string().optional(),
  claimedAt: z.string().optional(),
  endedAt: z.string().optional(),
  /** A child of a map (`resize[41]`): its index. */
  index: z.number().int().nonnegative().optional(),
  /** A map task, once its items are stored: its children by status (exact counters). */
  map: z
    .object({
      total: z.number().int().nonnegative(),
      scheduled: z.number().int().nonnegative(),
      running: z.number().int().nonnegative(),
      completed: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      cancelled: z.number().int().nonnegative(),
    })
    .optional(),
  /** A process task (`process:`), once its child process started: the child's id. */
  childProcessId: z.string().optional(),
  /** A task with a `concurrency` limit: its key, evaluated when it was scheduled. */
  concurrencyKey: z.string().optional(),
  /** A task with a `rateLimit`: its key. */
  rateKey: z.string().optional(),
  /** How many of its claims were refused for a limit (ConcurrencyLimited, RateLimited), counted. */
  limitRefusals: z.number().int().nonnegative().optional(),
  /** When the last of those refusals was. */
  lastRefusedAt: z.string().optional(),
});
export type TaskView = z.infer<typeof TaskViewSchema>;

export const ProcessSchema = StartedProcessSchema.extend({
  updatedAt: z.string(),
  endedAt: z.string().optional(),
  /** Why a FAILED (TaskFailed, ProcessTimedOut) or CANCELLED (Cancelled, ParentEnded, Superseded) process ended. */
  error: z.object({ code: z.enum(['TaskFailed', 'ProcessTimedOut', 'Cancelled', 'ParentEnded', 'Superseded']), message: z.string(), task: z.string().optional() }).optional(),
  /** How many times the process has run: 1, then + 1 per rerun. */
  runs: z.number(),
  /** A compensation process: the id of the ended process it compensates. */
  compensates: z.string().optional(),
  /** The id of the compensation process this process's ending started. */
  compensatedBy: z.string().optional(),
  /** Why the compensation could not start. */
  compensationError: z.string().optional(),
  /** A child process: the parent process and its process task that started it. */
  parent: z.object({ processId: z.string(), task: z.string() }).optional(),
  /** A QUEUED process (concurrency `onLimit: queue`): its 1-based place in its key's queue (absent past 1,000). */
  queuePosition: z.number().optional(),
  /** The value of the definition's concurrency key for this process. */
  concurrencyKey: z.string().optional(),
  /** When it took its concurrency slot (its start, or when it left the queue). */
  startedAt: z.string().optional(),
  progress: z.object({
    total: z.number(),
    completed: z.number(),
    failed: z.number(),
    skipped: z.number(),
    cancelled: z.number(),
    percent: z.number(),
  }),
  /**
   * What the process cost so far, modelled from its definition and progress counters (no read of its tasks):
   * DynamoDB write and read units as AWS bills them, API requests, and their price in dollars (us-east-1 list).
   */
  cost: z.object({ usd: z.number(), writeUnits: z.number(), readUnits: z.number(), requests: z.number() }),
  /** Every task of a process of up to 100, in topological order; else the first 50 in name order. */
  tasks: z.array(TaskViewSchema),
  /** More than 100 tasks: the next page, through `listTasks(id, { nextToken })`. */
  tasksNextToken: z.string().optional(),
});
/** A process with its tasks (every one up to 100, else the first page). */
export type Process = z.infer<typeof ProcessSchema>;

export const RerunSchema = z.object({
  run: z.number(),
  version: z.number(),
  reset: z.array(z.string()),
  kept: z.array(z.string()),
  /** The plan did not fit the call: `reset` and `kept` cover the first `planned` of `total` tasks; the sweeper finishes the rerun. */
  partial: z.literal(true).optional(),
  planned: z.number().optional(),
  total: z.number().optional(),
  process: ProcessSchema,
});
/** What a rerun answers: the new run, the tasks that run again and those kept, and the process as it now is. */
export type Rerun = z.infer<typeof RerunSchema>;

export const RerunManySchema = z.object({
  matched: z.number(),
  rerun: z.array(z.string()),
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
  nextToken: z.string().optional(),
});
/** One bounded page of a bulk rerun: call again with `nextToken` while there is one. */
export type RerunMany = z.infer<typeof RerunManySchema>;

export const ProcessSummarySchema = z.object({
  id: z.string(),
  definition: z.string(),
  version: z.number(),
  status: ProcessStatusSchema,
  createdAt: z.string(),
  endedAt: z.string().optional(),
  /** A QUEUED process: its 1-based place in its key's queue (absent past 1,000). */
  queuePosition: z.number().optional(),
});
export type ProcessSummary = z.infer<typeof ProcessSummarySchema>;

/** One page of a listing; pass `nextToken` back to get the next page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextToken: z.string().optional() });
}

const OverlapSchema = z.enum(['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll']);

/** One fire of a schedule, with its outcome. */
export const ScheduleFireSchema = z.object({
  scheduledAt: z.string(),
  outcome: z.enum(['started', 'skipped', 'buffered', 'missed', 'cancelledOther', 'failed']),
  processId: z.string().optional(),
  cancelled: z.string().optional(),
  firedAt: z.string(),
  source: z.enum(['clock', 'trigger', 'backfill']),
  message: z.string().optional(),
});
export type ScheduleFire = z.infer<typeof ScheduleFireSchema>;

export const ScheduleSummarySchema = z.object({
  name: z.string(),
  status: z.enum(['active', 'paused']),
  generation: z.number(),
  spec: z.object({
    definition: z.string(),
    version: z.number().optional(),
    cron: z.string().optional(),
    every: z.string().optional(),
    timezone: z.string().optional(),
    input: z.unknown().optional(),
    overlap: OverlapSchema,
    catchupWindowSeconds: z.number(),
    jitterSeconds: z.number(),
  }),
  nextFireTimes: z.array(z.string()),
  running: z.string().optional(),
  buffered: z.array(z.string()).optional(),
  backfill: z.object({ from: z.string(), to: z.string(), next: z.string(), overlap: OverlapSchema }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleSummary = z.infer<typeof ScheduleSummarySchema>;

/** A schedule with one page of its fires, newest first. */
export const ScheduleSchema = ScheduleSummarySchema.extend({ fires: z.array(ScheduleFireSchema), nextToken: z.string().optional() });
export type Schedule = z.infer<typeof ScheduleSchema>;

export const ScheduleDeletedSchema = z.object({ name: z.string(), deleted: z.literal(true) });
export const BackfillProgressSchema = z.object({ name: z.string(), fired: z.number(), done: z.boolean(), next: z.string().optional() });
export type BackfillProgress = z.infer<typeof BackfillProgressSchema>;

export const ClaimSchema = z.object({
  leaseToken: z.string(),
  leaseExpiresAt: z.string(),
  attempt: z.number().int().positive(),
  input: z.object({
    process: z.unknown(),
    upstream: z.record(z.string(), z.unknown()),
    /** Needs that are optional tasks and failed: their errors (they are not in `upstream`). */
    failedUpstream: z.record(z.string(), z.unknown()).optional(),
    skippedUpstream: z.array(z.string()).optional(),
  }),
  /** A child of a map: the map task's name; `input.upstream` is then the map task's upstream. */
  map: z.string().optional(),
  /** A child of a map: its zero-based index in the map's items. */
  index: z.number().int().nonnegative().optional(),
  /** A child of a map: its item. */
  item: z.unknown().optional(),
});
/** A lease on a task plus what the task needs: the process input and each need's output; for a child of a map, also its map, index and item. */
export type Claim = z.infer<typeof ClaimSchema>;

export const HeartbeatSchema = z.object({ leaseExpiresAt: z.string() });
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

/** A released task: SCHEDULED again at the same attempt; with a delay, not claimable before `nextAttemptAt`. */
export const ReleasedSchema = z.object({
  processId: z.string(),
  task: z.string(),
  status: z.literal('SCHEDULED'),
  attempt: z.number().int().positive(),
  nextAttemptAt: z.string().optional(),
});
export type Released = z.infer<typeof ReleasedSchema>;

/** After a fail with attempts left the task is SCHEDULED again, not before `nextAttemptAt`. */
export const TaskEndedSchema = z.object({
  processId: z.string(),
  task: z.string(),
  status: z.enum(['COMPLETED', 'FAILED', 'SCHEDULED']),
  nextAttemptAt: z.string().optional(),
});
export type TaskEnded = z.infer<typeof TaskEndedSchema>;

export const HistoryEventSchema = z.object({
  at: z.string(),
  type: z.string(),
  /** The run of the process the event belongs to: 1, then + 1 per rerun. */
  run: z.number(),
  task: z.string().optional(),
  attempt: z.number().optional(),
  workerId: z.string().optional(),
  error: z.unknown().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
/** One event of a process's history (ProcessStarted, TaskScheduled, TaskClaimed, TaskFailed, …). */
export type HistoryEvent = z.infer<typeof HistoryEventSchema>;

/** One task, whole: its output or final error, and the events of every attempt. */
export const TaskDetailSchema = TaskViewSchema.extend({ events: z.array(HistoryEventSchema) });
export type TaskDetail = z.infer<typeof TaskDetailSchema>;

export const HealthSchema = z.object({ status: z.string() });

/** The API's error body. */
export const ErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });

/**
 * The body of a task message on SQS: a hint that a task may be claimable; the claim is the authority.
 * A child of a map (`task` is `<map>[<index>]`, e.g. `resize[41]`) also carries `map` and `index`.
 */
export const TaskMessageSchema = z.object({
  processId: z.string().min(1),
  task: z.string().min(1),
  attempt: z.number().int().positive(),
  definition: z.string(),
  version: z.number().int().positive(),
  /** A child of a map: the map task's name. */
  map: z.string().min(1).optional(),
  /** A child of a map: its zero-based index. */
  index: z.number().int().nonnegative().optional(),
});
export type TaskMessage = z.infer<typeof TaskMessageSchema>;

/** `GET /concurrency`: one page of a task's concurrency pools (issue 18), one per key, with the RUNNING tasks holding slots. */
export const ConcurrencyPoolsSchema = z.object({
  definition: z.string(),
  /** Absent for the definition's process pools (`concurrency` at the top level). */
  task: z.string().optional(),
  limit: z.number(),
  items: z.array(
    z.object({
      key: z.string(),
      limit: z.number(),
      holders: z.array(z.object({ processId: z.string(), task: z.string().optional(), leaseExpiresAt: z.string().optional() })),
      /** Process pools: the slots held, and the processes QUEUED (counted up to 1,000). */
      held: z.number().optional(),
      queued: z.number().optional(),
    }),
  ),
  nextToken: z.string().optional(),
});
export type ConcurrencyPools = z.infer<typeof ConcurrencyPoolsSchema>;
