import { z } from 'zod';
import { ProcessErrorSchema, ProcessStatusSchema, TaskErrorSchema, TaskStatusSchema } from './items.ts';
import { HISTORY_EVENT_TYPES } from './history-events.ts';
import { COMPENSATION_STATUSES, JOIN_RULES, processFailureKeys, taskFailureKeys } from './definition-schema.ts';
import { maxParallelKeys } from './max-parallel-schema.ts';

/**
 * Every response body of the HTTP API, as zod schemas. The OpenAPI document
 * (openapi.json) is generated from them, the client's own copy
 * (client/schemas.ts) is tested against them, and the API's app types are
 * meant to be `z.infer` of them. Objects are strict: a field the server adds
 * without adding it here fails the contract tests, which validate every
 * response they receive against the generated spec.
 */

const Timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601 instant, UTC' });

export const HealthResponseSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health' });

export const TaskSpecResponseSchema = z
  .strictObject({
    name: z.string(),
    needs: z.array(z.string()),
    queue: z.string(),
    timeoutSeconds: z.number().int().positive(),
    // Failure semantics, as written (`defaults` fill in the rest when it runs).
    ...taskFailureKeys,
    when: z.string().optional().describe('a condition (CEL over input and upstream): false when the task is ready, it is SKIPPED (ConditionFalse)'),
    join: z.enum(JOIN_RULES).optional().describe('how a task with several needs treats skipped ones; absent: allSettled'),
  })
  .meta({ id: 'TaskSpec' });

/** One immutable version of a definition, with every default applied. */
export const DefinitionViewSchema = z
  .strictObject({
    name: z.string(),
    version: z.number().int().positive(),
    description: z.string().optional(),
    // The process's failure keys, as written: timeoutSeconds, onFailure, defaults.
    ...processFailureKeys,
    ...maxParallelKeys,
    /** The JSON Schema (draft 2020-12) a process's input must match. */
    inputSchema: z.record(z.string(), z.unknown()).optional(),
    compensation: z
      .strictObject({ definition: z.string(), version: z.number().int().positive().optional(), on: z.array(z.enum(COMPENSATION_STATUSES)).optional() })
      .optional()
      .describe('the definition whose process starts when a process of this one ends in an `on` status (default [FAILED])'),
    tasks: z.array(TaskSpecResponseSchema),
    createdAt: Timestamp,
  })
  .meta({ id: 'Definition' });
export type DefinitionViewBody = z.infer<typeof DefinitionViewSchema>;

export const DefinitionSummaryViewSchema = z
  .strictObject({ name: z.string(), latestVersion: z.number().int().positive(), description: z.string().optional() })
  .meta({ id: 'DefinitionSummary' });

/** A map task's children, by status: counters kept with every change of a child, not counts made on each read. */
export const MapCountsSchema = z
  .strictObject({
    total: z.number().int().nonnegative(),
    scheduled: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
    completed: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    cancelled: z.number().int().nonnegative(),
  })
  .meta({ id: 'MapCounts' });

export const TaskViewSchema = z
  .strictObject({
    name: z.string(),
    status: TaskStatusSchema,
    needs: z.array(z.string()),
    queue: z.string(),
    /** 0 until the task is first claimed. */
    attempt: z.number().int().nonnegative(),
    /** Every attempt, the first included, from the task's retry policy. */
    maxAttempts: z.number().int().positive(),
    nextAttemptAt: Timestamp.optional().describe('while a retry waits for its backoff'),
    lastError: TaskErrorSchema.strict().optional().describe('the error of the last failed attempt'),
    skippedBecause: z.string().optional().describe('the failed task that made this one SKIPPED'),
    skipReason: z.enum(['ConditionFalse', 'UpstreamSkipped']).optional().describe('why a branch SKIPPED this task: its condition was false, or its parents were skipped (its join rule)'),
    workerId: z.string().optional(),
    output: z.unknown().optional().describe('present when COMPLETED, unless left out for size (outputOmitted)'),
    outputOmitted: z.literal(true).optional().describe('the output or final error was left out to keep the response under 1 MiB: read the task alone'),
    error: TaskErrorSchema.strict().optional().describe('present when FAILED'),
    scheduledAt: Timestamp.optional(),
    claimedAt: Timestamp.optional(),
    endedAt: Timestamp.optional(),
    index: z.number().int().nonnegative().optional().describe("a child of a map (`resize[41]`): its index"),
    map: MapCountsSchema.optional().describe('a map task, once its items are stored: its children, counted (exact at every read)'),
    childProcessId: z.string().optional().describe('a process task (`process:`), once its child process started: the child'),
    concurrencyKey: z.string().optional().describe('a task with a `concurrency` limit: its key, evaluated when it was scheduled'),
    rateKey: z.string().optional().describe('a task with a `rateLimit`: its key, evaluated when it was scheduled'),
    limitRefusals: z.number().int().nonnegative().optional().describe('how many of its claims were refused for a limit (ConcurrencyLimited, RateLimited), counted'),
    lastRefusedAt: Timestamp.optional().describe('when the last of those refusals was'),
  })
  .meta({ id: 'TaskView' });
export type TaskViewBody = z.infer<typeof TaskViewSchema>;

/** What POST /processes answers: the process as it starts, without its tasks. */
export const StartedProcessSchema = z
  .strictObject({
    id: z.string(),
    definition: z.string(),
    version: z.number().int().positive(),
    status: ProcessStatusSchema,
    input: z.unknown(),
    createdAt: Timestamp,
  })
  .meta({ id: 'StartedProcess' });

export const ProgressSchema = z.strictObject({
  total: z.number().int().nonnegative(),
  completed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  cancelled: z.number().int().nonnegative(),
  percent: z.number().min(0).max(100),
});

/** What a process cost so far, modelled from its counters (`shared/domain/process-cost.ts`): no read of its tasks. */
export const ProcessCostSchema = z
  .strictObject({
    usd: z.number().nonnegative().describe('DynamoDB units, API Gateway requests and Lambda invocations at us-east-1 list prices; Lambda compute and SQS left out'),
    writeUnits: z.number().nonnegative().describe('DynamoDB write units, as AWS bills them (transactions twice per item)'),
    readUnits: z.number().nonnegative().describe('DynamoDB read units (strongly consistent, 4 KB each)'),
    requests: z.number().int().nonnegative().describe('API requests: the start, and a claim and an ending per task that ran'),
  })
  .describe('modelled from the process definition and its progress counters, with per-operation unit figures measured by bench/write-units.ts; retries, map children and the sweeper are left out')
  .meta({ id: 'ProcessCost' });

/** A process with every task, in topological order. */
export const ProcessViewSchema = z
  .strictObject({
    ...StartedProcessSchema.shape,
    updatedAt: Timestamp,
    endedAt: Timestamp.optional(),
    error: ProcessErrorSchema.strict().optional().describe('why a FAILED or CANCELLED process ended'),
    runs: z.number().int().positive().describe('how many times the process has run: 1, then + 1 per rerun'),
    compensates: z.string().optional().describe('the id of the ended process this compensation process compensates'),
    compensatedBy: z.string().optional().describe("the id of the compensation process this process's ending started"),
    compensationError: z.string().optional().describe('why the compensation could not start (its input did not match its inputSchema)'),
    parent: z.strictObject({ processId: z.string(), task: z.string() }).optional().describe('a child process: the parent process and its process task that started it'),
    queuePosition: z.number().int().positive().optional().describe("a QUEUED process (concurrency onLimit: queue): its 1-based place in its key's queue, first in first out (absent past 1,000)"),
    concurrencyKey: z.string().optional().describe("the value of the definition's concurrency key for this process"),
    startedAt: Timestamp.optional().describe('under a concurrency limit: when the process took its slot (its start, or when it left the queue); its timeout counts from here'),
    progress: ProgressSchema.describe('exact, from counters: every task of the current run'),
    cost: ProcessCostSchema,
    tasks: z.array(TaskViewSchema).describe('every task of a process of up to 100, in topological order; else the first 50 in name order'),
    tasksNextToken: z.string().optional().describe('a process of more than 100 tasks: the next page, from GET /processes/{id}/tasks?nextToken='),
  })
  .meta({ id: 'Process' });
export type ProcessViewBody = z.infer<typeof ProcessViewSchema>;

/** What a rerun answers: the new run, what runs again and what is kept, and the process as it now is. */
export const RerunResponseSchema = z
  .strictObject({
    run: z.number().int().min(2),
    version: z.number().int().positive().describe('the version the new run runs on'),
    reset: z.array(z.string()).describe('the tasks that run again, attempts from 1'),
    kept: z.array(z.string()).describe('the completed tasks kept, with their outputs'),
    partial: z
      .literal(true)
      .optional()
      .describe('the plan did not fit the call: reset and kept cover the first `planned` tasks of the definition order; the sweeper finishes the rerun'),
    planned: z.number().int().nonnegative().optional().describe('with partial: how many tasks, in definition order, reset and kept cover'),
    total: z.number().int().nonnegative().optional().describe('with partial: the tasks of the definition'),
    process: ProcessViewSchema,
  })
  .meta({ id: 'Rerun' });

/** What a bulk rerun answers: one bounded page of work; call again with `nextToken` while there is one. */
export const RerunManyResponseSchema = z
  .strictObject({
    matched: z.number().int().nonnegative().describe('processes this call found that match'),
    rerun: z.array(z.string()).describe('ids rerun (with dryRun: that would be)'),
    skipped: z.array(z.strictObject({ id: z.string(), reason: z.string() })).describe('matched but not rerun, and why'),
    nextToken: z.string().optional().describe('absent when every match was handled'),
  })
  .meta({ id: 'RerunMany' });

export const ProcessSummaryViewSchema = z
  .strictObject({
    id: z.string(),
    definition: z.string(),
    version: z.number().int().positive(),
    status: ProcessStatusSchema,
    createdAt: Timestamp,
    endedAt: Timestamp.optional(),
    queuePosition: z.number().int().positive().optional().describe("a QUEUED process: its 1-based place in its key's queue (absent past 1,000)"),
  })
  .meta({ id: 'ProcessSummary' });

/** One page of a listing; pass `nextToken` back for the next page. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item), nextToken: z.string().optional().describe('absent on the last page') });
}
export const DefinitionPageSchema = pageSchema(DefinitionSummaryViewSchema).meta({ id: 'DefinitionPage' });
export const ProcessPageSchema = pageSchema(ProcessSummaryViewSchema).meta({ id: 'ProcessPage' });
export const ActiveTasksSchema = pageSchema(TaskViewSchema).meta({ id: 'ActiveTasks' });
export const TaskPageSchema = pageSchema(TaskViewSchema).meta({ id: 'TaskPage' });

/** A lease on a task plus what the task needs: the process input and each need's output; for a child of a map, also its map, index and item. */
export const ClaimResponseSchema = z
  .strictObject({
    leaseToken: z.string(),
    leaseExpiresAt: Timestamp,
    attempt: z.number().int().positive(),
    input: z.strictObject({
      process: z.unknown(),
      upstream: z.record(z.string(), z.unknown()),
      failedUpstream: z.record(z.string(), z.unknown()).optional().describe('the errors of optional needs that failed'),
      skippedUpstream: z.array(z.string()).optional().describe('the needs that were SKIPPED (a condition or a join rule): absent from upstream'),
    }),
    map: z.string().optional().describe("a child of a map: the map task's name (`upstream` is then the map task's upstream)"),
    index: z.number().int().nonnegative().optional().describe("a child of a map: its zero-based index in the map's items"),
    item: z.unknown().optional().describe("a child of a map: its item"),
  })
  .meta({ id: 'Claim' });

export const HeartbeatResponseSchema = z.strictObject({ leaseExpiresAt: Timestamp }).meta({ id: 'Heartbeat' });

export const TaskEndedSchema = z
  .strictObject({
    processId: z.string(),
    task: z.string(),
    /** SCHEDULED: the failed attempt will be retried, not before `nextAttemptAt`. */
    status: z.enum(['COMPLETED', 'FAILED', 'SCHEDULED']),
    nextAttemptAt: Timestamp.optional(),
  })
  .meta({ id: 'TaskEnded' });

/** What a release answers: the task is SCHEDULED again, at the same attempt. */
export const ReleasedSchema = z
  .strictObject({
    processId: z.string(),
    task: z.string(),
    status: z.literal('SCHEDULED'),
    attempt: z.number().int().positive(),
    nextAttemptAt: Timestamp.optional().describe('with a delay: not claimable before this'),
  })
  .meta({ id: 'Released' });

/** One event of a process's history. */
export const HistoryEventSchema = z
  .strictObject({
    at: Timestamp,
    type: z.enum(HISTORY_EVENT_TYPES),
    run: z.number().int().positive().describe('the run of the process the event belongs to: 1, then + 1 per rerun'),
    task: z.string().optional(),
    attempt: z.number().int().positive().optional(),
    workerId: z.string().optional(),
    error: z.unknown().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'HistoryEvent' });
export const HistoryPageSchema = pageSchema(HistoryEventSchema).meta({ id: 'HistoryPage' });

/** One task, whole: its output or final error, and the events of every attempt. */
export const TaskDetailSchema = z
  .strictObject({ ...TaskViewSchema.shape, events: z.array(HistoryEventSchema).describe("the task's events over every attempt and run, as in the history") })
  .meta({ id: 'TaskDetail' });

export const ProblemDetailSchema = z
  .strictObject({ path: z.string().optional(), message: z.string(), line: z.number().int().nonnegative().optional(), column: z.number().int().nonnegative().optional() })
  .meta({ id: 'ProblemDetail' });

/** Problems (InvalidDefinition, ValidationError), or facts about the refusal (TaskNotActive: `notBefore`). */
const ErrorDetailsSchema = z.union([z.array(ProblemDetailSchema), z.strictObject({ notBefore: Timestamp })]);

/**
 * `{"error":{"code","message","details"?}}`: the one error body of the API.
 * `details` lists problems for InvalidDefinition and ValidationError. Each
 * response of the OpenAPI document names the codes it can carry
 * (`x-error-codes`); the schema does not, so that generated clients get one
 * error type.
 */
export const ErrorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().describe('a stable error code, e.g. ProcessNotFound; each response lists the codes it can carry'),
      message: z.string().describe('what went wrong, for people'),
      details: ErrorDetailsSchema.optional(),
    }),
  })
  .meta({ id: 'Error' });

/** What API Gateway itself answers for 401, 403 and 429 (HTTP APIs cannot reshape it). */
export const GatewayErrorSchema = z.looseObject({ message: z.string() }).meta({ id: 'GatewayError' });

/** GET /openapi.json: an OpenAPI 3.1 document (not described field by field). */
export const OpenApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }).meta({ id: 'OpenApiDocument' });
