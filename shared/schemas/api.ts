import { z } from 'zod';
import { MAX_TIMEOUT_SECONDS } from './definition-schema.ts';
import { ProcessStatusSchema, TaskErrorSchema, TaskStatusSchema } from './items.ts';
import { isWellFormedText, jsonDepthProblem, jsonPayloadProblem, jsonSizeProblem } from './json-depth.ts';

/** Request schemas of the HTTP API. Unknown keys are rejected so typos surface as 400s. */

/** Strings written to DynamoDB as they are (names, ids, tokens) must be valid Unicode. */
const LONE_SURROGATE_MESSAGE = 'must be valid Unicode (it has a lone surrogate)';

/**
 * A JSON payload that is stored and later answered (input, output, error
 * details): within MAX_JSON_DEPTH and MAX_JSON_BYTES, see json-depth.ts.
 */
function jsonPayload(label: string, check: (value: unknown) => string | undefined = jsonPayloadProblem) {
  return z.unknown().superRefine((value, ctx) => {
    const problem = check(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${label} ${problem}` });
  });
}

export const DefinitionNameSchema = z
  .string()
  .min(1, 'definition name is empty')
  .max(128, 'definition name is longer than 128 characters')
  .regex(/^[^\s/#][^/#]*$/, 'definition name must not contain / or # nor start with a space')
  .refine(isWellFormedText, `definition name ${LONE_SURROGATE_MESSAGE}`)
  // A URL path normalises them away: /definitions/.. would name the collection's parent.
  .refine((n) => n !== '.' && n !== '..', "definition name must not be '.' or '..'");

const NAME_PARAM = 'the definition name (percent-encoded in the path)';
export const DefinitionParamsSchema = z.object({ name: DefinitionNameSchema.describe(NAME_PARAM) });
export const DefinitionVersionParamsSchema = z.object({
  name: DefinitionNameSchema.describe(NAME_PARAM),
  version: z.coerce.number({ error: 'version must be a positive integer' }).int().positive().describe('the version number, from 1'),
});

export const ProcessIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9-]+$/, 'process id has invalid characters');
const PROCESS_PARAM = 'the process id, as POST /processes answered it';
export const ProcessParamsSchema = z.object({ id: ProcessIdSchema.describe(PROCESS_PARAM) });
export const TaskParamsSchema = z.object({
  id: ProcessIdSchema.describe(PROCESS_PARAM),
  task: z.string().min(1).max(136).describe("the task's name in the definition, or a map's child as `<map>[<index>]` (percent-encoded in the path)"),
});

/** What an idempotency key means: stated once, for the document and the README. */
export const IDEMPOTENCY_KEY_SCOPE =
  'Names one start across the whole API (every definition, every caller of this deployment) until the process it started is deleted by retention. ' +
  'The same key with the same definition, version (or none) and input answers 200 with the first process; the same key with any of them different answers 409 IdempotencyKeyReused.';

export const StartProcessBodySchema = z.strictObject({
  definition: DefinitionNameSchema,
  version: z.number().int().positive().optional(),
  input: jsonPayload('input').optional(),
  idempotencyKey: z
    .string()
    .min(1)
    .max(256)
    .refine(isWellFormedText, `idempotencyKey ${LONE_SURROGATE_MESSAGE}`)
    .optional()
    .describe(IDEMPOTENCY_KEY_SCOPE),
});
export type StartProcessBody = z.infer<typeof StartProcessBodySchema>;

/** A page size in the query string: one message naming the range, whatever is wrong with it (not a number, a fraction, out of range). */
export function limitQuery(max: number, fallback: number) {
  const message = `limit must be an integer from 1 to ${max}`;
  return z.coerce
    .number({ error: message })
    .int(message)
    .min(1, message)
    .max(max, message)
    .default(fallback)
    .describe(`how many items at most, from 1 to ${max} (default ${fallback})`);
}

const NextTokenSchema = z.string().min(1).max(2048).optional().describe("the previous page's nextToken; omit for the first page");

export const PaginationQuerySchema = z.object({
  limit: limitQuery(100, 50),
  nextToken: NextTokenSchema,
});

export const ListProcessesQuerySchema = PaginationQuerySchema.extend({
  status: ProcessStatusSchema.optional().describe('only processes in this status'),
  definition: DefinitionNameSchema.optional().describe('only processes of this definition'),
});
export type ListProcessesQuery = z.infer<typeof ListProcessesQuerySchema>;

const WorkerIdSchema = z.string().min(1).max(256).refine(isWellFormedText, `workerId ${LONE_SURROGATE_MESSAGE}`);
const LeaseTokenSchema = z.string().min(1).max(128).refine(isWellFormedText, `leaseToken ${LONE_SURROGATE_MESSAGE}`);

/** The longest lease a worker may ask for: a task's longest `timeoutSeconds` (12 hours). */
export const MAX_LEASE_SECONDS = MAX_TIMEOUT_SECONDS;
const LEASE_SECONDS_MESSAGE = `leaseSeconds must be a whole number of seconds from 1 to ${MAX_LEASE_SECONDS}`;
const LeaseSecondsSchema = z
  .number({ error: LEASE_SECONDS_MESSAGE })
  .int(LEASE_SECONDS_MESSAGE)
  .min(1, LEASE_SECONDS_MESSAGE)
  .max(MAX_LEASE_SECONDS, LEASE_SECONDS_MESSAGE)
  .optional();

export const ClaimBodySchema = z.strictObject({
  workerId: WorkerIdSchema,
  leaseSeconds: LeaseSecondsSchema.describe("the lease's length; heartbeats extend it by as much (default: the task's timeoutSeconds; attemptTimeoutSeconds still bounds the attempt)"),
});
export const HeartbeatBodySchema = z.strictObject({
  leaseToken: LeaseTokenSchema,
  leaseSeconds: LeaseSecondsSchema.describe('extend by this many seconds from now, and by as much at later heartbeats (default: the length the claim asked for, else the task\'s timeoutSeconds)'),
});
export const CompleteBodySchema = z.strictObject({ leaseToken: LeaseTokenSchema.optional(), output: jsonPayload('output').optional() });
const RETRY_AFTER_MESSAGE = 'error.retryAfterSeconds must be a number of seconds from 0 to 31536000';

export const FailBodySchema = z.strictObject({
  leaseToken: LeaseTokenSchema.optional(),
  // The error is stored whole, so its size is checked whole; its depth is that of its details.
  error: TaskErrorSchema.extend({
    details: jsonPayload('error.details', jsonDepthProblem).optional(),
    /** false: the task fails at once, whatever attempts are left. */
    retryable: z.boolean({ error: 'error.retryable must be true or false' }).optional(),
    /** Overrides the computed backoff before the next attempt. */
    retryAfterSeconds: z.number({ error: RETRY_AFTER_MESSAGE }).min(0, RETRY_AFTER_MESSAGE).max(31_536_000, RETRY_AFTER_MESSAGE).optional(),
  })
    .strict()
    .superRefine((error, ctx) => {
      const problem = jsonSizeProblem(error);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `error ${problem}` });
    }),
});

/** POST .../release: the lease to give back, and how long the task should wait before it can be claimed again. */
export const ReleaseBodySchema = z.strictObject({
  leaseToken: LeaseTokenSchema,
  delaySeconds: z.number({ error: 'delaySeconds must be a whole number of seconds from 0 to 900' }).int().min(0).max(900).optional(),
});

/** POST .../release-lease: the operator's release needs no token; the reason is for the operator's own record. */
export const OperatorReleaseBodySchema = z.strictObject({ reason: z.string().min(1).max(1024).refine(isWellFormedText, `reason ${LONE_SURROGATE_MESSAGE}`).optional() });

/** POST /processes/{id}/cancel: an optional reason, which becomes the process's error message. */
export const CancelBodySchema = z.strictObject({ reason: z.string().min(1).max(1024).refine(isWellFormedText, `reason ${LONE_SURROGATE_MESSAGE}`).optional() });

const TaskNameListSchema = z.array(z.string().min(1).max(128).refine(isWellFormedText, `task name ${LONE_SURROGATE_MESSAGE}`)).max(1000, 'fromTasks names at most 1000 tasks');

/** POST /processes/{id}/rerun: tasks to run again besides those that did not complete, another version, a new input. */
export const RerunBodySchema = z.strictObject({
  fromTasks: TaskNameListSchema.optional(),
  version: z.number({ error: 'version must be a positive integer' }).int().positive().optional(),
  input: jsonPayload('input').optional(),
});
export type RerunBody = z.infer<typeof RerunBodySchema>;

/** POST /processes/rerun: which ended processes to rerun, and how. */
export const RerunManyBodySchema = z.strictObject({
  definition: DefinitionNameSchema,
  status: z.enum(['FAILED', 'CANCELLED']).default('FAILED'),
  failedTask: z.string().min(1).max(128).optional(),
  startedAfter: z.iso.datetime({ offset: true, error: 'startedAfter must be an ISO 8601 date-time' }).optional(),
  startedBefore: z.iso.datetime({ offset: true, error: 'startedBefore must be an ISO 8601 date-time' }).optional(),
  fromTasks: TaskNameListSchema.optional(),
  version: z.number({ error: 'version must be a positive integer' }).int().positive().optional(),
  limit: z.number({ error: 'limit must be an integer from 1 to 1000' }).int().min(1).max(1000).default(100),
  dryRun: z.boolean().default(false),
  nextToken: z.string().min(1).max(2048).optional(),
});
export type RerunManyBody = z.infer<typeof RerunManyBodySchema>;

/** POST /processes/{id}/pause: the reason is shown in the history. */
export const PauseBodySchema = CancelBodySchema;
export type PauseBody = z.infer<typeof PauseBodySchema>;

/** POST /processes/{id}/resume takes no fields. */
export const ResumeBodySchema = z.strictObject({});

/** GET /processes/{id}/tasks/active: a page of 1 to 500 tasks, 100 by default, each page under 1 MiB. */
export const ActiveTasksQuerySchema = z.object({
  limit: limitQuery(500, 100),
  nextToken: NextTokenSchema,
});
export type ActiveTasksQuery = z.infer<typeof ActiveTasksQuerySchema>;

/** GET /processes/{id}/tasks: as the active tasks, optionally in one status. */
export const TaskListQuerySchema = ActiveTasksQuerySchema.extend({
  status: TaskStatusSchema.optional().describe('only tasks in this status (PENDING ones included: a task without an item is PENDING)'),
  map: z.string().min(1).optional().describe("the children of this map task instead (`resize[0]`, `resize[1]`, …), in index order, with their outputs; PENDING children (not yet scheduled) are left out"),
});
export type TaskListQuery = z.infer<typeof TaskListQuerySchema>;

/** GET /processes/{id}/history. */
export const HistoryQuerySchema = z.object({
  limit: limitQuery(1000, 100),
  nextToken: NextTokenSchema,
});
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;
