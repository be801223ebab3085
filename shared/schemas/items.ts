import { z } from 'zod';
import { PROCESS_STATUSES, SWEEP_REASONS, TASK_STATUSES } from '#domain/lifecycle.ts';
import { DefinitionSpecSchema, TaskSpecSchema } from './definition-schema.ts';

/**
 * Schemas of items read back from DynamoDB. Items are parsed, never cast, so a
 * corrupt or foreign item fails loudly at the adapter boundary.
 */
export const ProcessStatusSchema = z.enum(PROCESS_STATUSES);
export const TaskStatusSchema = z.enum(TASK_STATUSES);
export const SweepReasonSchema = z.enum(SWEEP_REASONS);

/** A stored task is the normalised task spec, field for field. */
export const TaskSpecItemSchema = TaskSpecSchema;

/**
 * A stored version: the normalised spec (a `steps:` document in its `tasks:`
 * form) plus what the store adds. The input schema is stored as JSON text,
 * `inputSchemaJson`: a JSON Schema may hold what a DynamoDB map cannot (an
 * empty property name, a number past 2^53, more than 32 levels).
 */
export const DefinitionVersionItemSchema = DefinitionSpecSchema.omit({ inputSchema: true })
  .extend({
    name: z.string(),
    version: z.number().int().positive(),
    contentHash: z.string(),
    createdAt: z.string(),
    inputSchemaJson: z.string().optional(),
  })
  .transform(({ inputSchemaJson, ...rest }) => ({
    ...rest,
    ...(inputSchemaJson === undefined ? {} : { inputSchema: DefinitionSpecSchema.shape.inputSchema.unwrap().parse(JSON.parse(inputSchemaJson)) }),
  }));
/** A stored version as read back: `inputSchema` parsed. */
export type DefinitionVersionItem = z.output<typeof DefinitionVersionItemSchema>;

/**
 * The attributes to write for a version: the inverse of
 * {@link DefinitionVersionItemSchema}'s transform.
 *
 * @example
 * definitionVersionAttributes({ ...def, inputSchema: { type: 'object' } }) // { ...def, inputSchemaJson: '{"type":"object"}' }
 */
export function definitionVersionAttributes(def: DefinitionVersionItem): z.input<typeof DefinitionVersionItemSchema> {
  const { inputSchema, ...rest } = def;
  return { ...rest, ...(inputSchema === undefined ? {} : { inputSchemaJson: JSON.stringify(inputSchema) }) };
}

export const DefinitionHeadItemSchema = z.object({
  name: z.string(),
  latestVersion: z.number().int().positive(),
  contentHash: z.string(),
  description: z.string().optional(),
  updatedAt: z.string(),
});
export type DefinitionHeadItem = z.infer<typeof DefinitionHeadItemSchema>;

/** Why a process ended FAILED or CANCELLED. */
export const ProcessErrorSchema = z.object({
  /** `ParentEnded`: a child process cancelled because its parent process ended (`onParentEnd: cancel`); `Superseded`: cancelled by a newer start (concurrency `onLimit: cancelOldest`). */
  code: z.enum(['TaskFailed', 'ProcessTimedOut', 'Cancelled', 'ParentEnded', 'Superseded']),
  message: z.string(),
  task: z.string().optional(),
});
export type ProcessError = z.infer<typeof ProcessErrorSchema>;

export const ProcessItemSchema = z.object({
  id: z.string(),
  definition: z.string(),
  version: z.number().int().positive(),
  status: ProcessStatusSchema,
  total: z.number().int().nonnegative(),
  ver: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().optional(),
  idempotencyKey: z.string().optional(),
  /** With an idempotency key: the hash of the start request (see `requestHashOf`). */
  requestHash: z.string().optional(),
  /** The run: 1, then + 1 on each rerun (fences the leases of earlier runs). */
  run: z.number().int().positive().default(1),
  sweepAt: z.number().optional(),
  /** Why the process is on the sweep index (with `sweepAt`). */
  sweepReason: SweepReasonSchema.optional(),
  /** Roots before this index are written (a start that ran out of time). */
  resumeFrom: z.number().int().nonnegative().optional(),
  /** When a process with `timeoutSeconds` times out (epoch ms). */
  deadlineAt: z.number().optional(),
  // --- Process concurrency (issue 18) ---
  /** The concurrency pool of a process whose definition has `concurrency` (`<definition>#<key hash>`). */
  pool: z.string().optional(),
  /** The value of its concurrency key, as text. */
  concurrencyKey: z.string().optional(),
  /** When it took its slot (at its start, or when it left the queue). */
  startedAt: z.string().optional(),
  /** A process that was queued: its ticket, its place in its pool's queue. */
  queueTicket: z.number().optional(),
  /** Issue 18: the queued process this one's slot went to when it ended (a redone ending finishes that start). */
  handedTo: z.string().optional(),
  /** Why a FAILED or CANCELLED process ended: `{code, message, task?}` as JSON text. */
  errorJson: z.string().optional(),
  // --- Compensation (issue 8, part 5) ---
  /** The process this one compensates (written at its creation). */
  compensates: z.string().optional(),
  /** The compensation process this one's ending started. */
  compensatedBy: z.string().optional(),
  /** Why the compensation could not start (its input did not match its definition's inputSchema). */
  compensationError: z.string().optional(),
  // --- Sub-processes (issue 17, part 3) ---
  /** A child process: the parent process and its task that started it (written at its creation). */
  parentProcessId: z.string().optional(),
  parentTask: z.string().optional(),
  /** How deep the process is nested (absent: a root process, depth 0). */
  depth: z.number().int().nonnegative().optional(),
}).transform(({ errorJson, ...rest }) => ({
  ...rest,
  ...(errorJson === undefined ? {} : { error: ProcessErrorSchema.parse(JSON.parse(errorJson)) }),
}));
export type ProcessItem = z.infer<typeof ProcessItemSchema>;

/** A pause or resume of a process, kept for its history: `PROC#<id>` / `EVENT#<ver>` (the process version it wrote). */
export const ProcessEventItemSchema = z.object({
  type: z.enum(['ProcessPaused', 'ProcessResumed']),
  at: z.string(),
  reason: z.string().optional(),
});
export type ProcessEventItem = z.infer<typeof ProcessEventItemSchema>;

export const TaskErrorSchema = z.object({
  message: z.string(),
  code: z.string().optional(),
  details: z.unknown().optional(),
});
export type TaskError = z.infer<typeof TaskErrorSchema>;


/**
 * One ended attempt, or one refused stale call, kept on the task item (list
 * `attempts`) for the history. Written only by writes that happen anyway (a
 * retry, a final failure, an expiry) or on a refusal path: the hot path
 * (claim, complete) writes none. Keys are short: they repeat per attempt.
 */
export const AttemptRecordSchema = z.object({
  /**
   * Kind: the attempt failed (`f`), its lease expired (`l`), it timed out (`t`), or a stale call was refused (`s`).
   * A rerun closes the run's last attempt when it resets the task: it had completed (`c`), was cancelled (`x`)
   * or skipped (`k`); then it marks where the next run begins (`r`, with the run in `r`).
   */
  k: z.enum(['f', 'l', 't', 's', 'c', 'x', 'k', 'r']),
  /** The run a marker (`k: 'r'`) opens. */
  r: z.number().int().positive().optional(),
  /** Why a skipped task was skipped (the failed task upstream). */
  b: z.string().optional(),
  /** The attempt (0 for a task reset before it was ever scheduled). */
  a: z.number().int().nonnegative(),
  /** When it ended, or when the stale call came (ISO). */
  e: z.string(),
  /** When it was scheduled and claimed (ISO). */
  s: z.string().optional(),
  c: z.string().optional(),
  w: z.string().optional(),
  /** The error, as JSON text. */
  x: z.string().optional(),
  /** Next attempt due at (epoch ms), when retried. */
  n: z.number().optional(),
  /** The lease token of the attempt: matches a later stale call to its attempt. Never shown. */
  t: z.string().optional(),
  /** The refused call (`heartbeat`, `complete`, `fail`). */
  op: z.string().optional(),
});
export type AttemptRecord = z.infer<typeof AttemptRecordSchema>;

/**
 * The records of a task's current run: those after its last run marker.
 *
 * @example
 * currentRunRecords({ attempts: [{ k: 'f', a: 1, e }, { k: 'r', r: 2, a: 0, e }] }) // []
 */
export function currentRunRecords(item: { readonly attempts?: readonly AttemptRecord[] | undefined }): AttemptRecord[] {
  const records = item.attempts ?? [];
  const marker = records.findLastIndex((r) => r.k === 'r');
  return marker < 0 ? [...records] : records.slice(marker + 1);
}

export const TaskItemSchema = z.object({
  name: z.string(),
  status: TaskStatusSchema,
  attempt: z.number().int().positive().optional(),
  queue: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
  definition: z.string().optional(),
  version: z.number().int().positive().optional(),
  run: z.number().int().positive().optional(),
  /** Index within a dynamic fan-out (absent for a declared task). */
  index: z.number().int().nonnegative().optional(),
  /** Joins: parents settled so far, and how many there are. */
  settled: z.number().int().nonnegative().optional(),
  expected: z.number().int().positive().optional(),
  workerId: z.string().optional(),
  leaseToken: z.string().optional(),
  leaseExpiresAt: z.number().optional(),
  /** The lease length its claim asked for (`leaseSeconds`, in ms): what heartbeats extend by. Absent: the task's timeout. */
  leaseMs: z.number().int().positive().optional(),
  /** The output, stored as JSON text: any JSON value fits, however deep (DynamoDB maps stop at 32 levels). */
  outputJson: z.string().optional(),
  /** The error, stored as JSON text for the same reason (its `details` are the caller's). */
  errorJson: z.string().optional(),
  scheduledAt: z.string().optional(),
  claimedAt: z.string().optional(),
  endedAt: z.string().optional(),
  sweepAt: z.number().optional(),
  /** Why the task is on the sweep index (with `sweepAt`). */
  sweepReason: SweepReasonSchema.optional(),
  sends: z.number().int().nonnegative().optional(),
  /** Single-need children before this index are scheduled (a follow-up that ran out of time). */
  resumeFrom: z.number().int().nonnegative().optional(),
  /** Marked while its process is paused: an ending then owes its follow-up until resume. */
  held: z.boolean().optional(),
  // --- Failure semantics (issue 7) ---
  /** A retry waits: the task cannot be claimed before this (epoch ms). */
  nextAttemptAt: z.number().optional(),
  /** The error of the last failed attempt, as JSON text. */
  lastErrorJson: z.string().optional(),
  /** Per claim, `attemptTimeoutSeconds` in ms (absent: no limit). */
  attemptTimeoutMs: z.number().int().positive().optional(),
  /** The current attempt's hard deadline (epoch ms). */
  attemptDeadline: z.number().optional(),
  /** The failed task that made this one SKIPPED (skipDownstream). */
  skippedBecause: z.string().optional(),
  // --- Branches (issue 17) ---
  /** Why a task became SKIPPED by a branch: its condition was false, or its parents were skipped (its join rule). */
  skipReason: z.enum(['ConditionFalse', 'UpstreamSkipped']).optional(),
  /** Of a join's settled parents (`settled`), how many were SKIPPED (the rest completed, or failed optional). */
  skippedParents: z.number().int().nonnegative().optional(),
  // --- Maps (issue 16): on a map task's item ---
  /** How many items (children) the map has, once its items are stored. */
  mapTotal: z.number().int().nonnegative().optional(),
  /** Where a map's expansion from an S3 object stopped (the byte after the last item stored, and its count). */
  itemsCursor: z.object({ byte: z.number().int().nonnegative(), index: z.number().int().nonnegative() }).optional(),
  /** A map's results gathered so far, as JSON text (a list in index order), while its settling takes several calls. */
  resultsJson: z.string().optional(),
  /** The index the gathering of a map's results goes on from. */
  resultsFrom: z.number().int().nonnegative().optional(),
  /** Ended attempts and refused stale calls, for the history: the last ones, across reruns (`KEPT_ATTEMPT_RECORDS`). */
  attempts: z.array(AttemptRecordSchema).optional(),
  /** How many of the oldest records a rerun dropped to keep the item bounded (absent: none). */
  attemptsDropped: z.number().int().positive().optional(),
  // --- Sub-processes (issue 17, part 3): on a process task's item ---
  /** The child process the task runs (kept across attempts and reruns: a retry reruns the same child). */
  childProcessId: z.string().optional(),
  /** The child's run this attempt of the task waits for (a retry of the task reruns the child: its next run). */
  childRun: z.number().int().positive().optional(),
  // --- Task limits (issue 18) ---
  /** Scheduled with a concurrency or rate limit (1): its claim takes slots (`claimLimited`). */
  limits: z.number().int().optional(),
  /** The values of its limit keys, recorded by its first limited claim (or refusal). */
  concurrencyKey: z.string().optional(),
  rateKey: z.string().optional(),
  /** Claims refused for a task limit (ConcurrencyLimited, RateLimited), counted rather than recorded each. */
  limitRefusals: z.number().int().nonnegative().optional(),
  /** When the last of those refusals was (ISO 8601). */
  lastRefusedAt: z.string().optional(),
}).transform(({ outputJson, errorJson, lastErrorJson, ...rest }) => ({
  ...rest,
  ...(lastErrorJson === undefined ? {} : { lastError: TaskErrorSchema.parse(JSON.parse(lastErrorJson)) }),
  ...(outputJson === undefined ? {} : { output: JSON.parse(outputJson) as unknown }),
  ...(errorJson === undefined ? {} : { error: TaskErrorSchema.parse(JSON.parse(errorJson)) }),
}));
export type TaskItem = z.infer<typeof TaskItemSchema>;

/**
 * One rerun of a process (`PROC#<id>` / `RUN#<run>`), written with the reopening
 * itself: what the operator asked, what was reset, and how the run before ended
 * (the process item then starts the new run, so the history keeps the old end here).
 */
export const RunRecordSchema = z.object({
  run: z.number().int().min(2),
  at: z.string(),
  version: z.number().int().positive(),
  previousVersion: z.number().int().positive(),
  fromTasks: z.array(z.string()).optional(),
  /** The tasks reset to run again (the first {@link MAX_LISTED_RESETS} names), and how many there were. */
  reset: z.array(z.string()),
  resetCount: z.number().int().nonnegative(),
  /** The plan did not fit the rerun's call: `reset` and `resetCount` cover the tasks planned before the reopening; the pass reset more. */
  partial: z.literal(true).optional(),
  inputReplaced: z.boolean(),
  previous: z.object({ status: ProcessStatusSchema, endedAt: z.string().optional(), error: ProcessErrorSchema.optional() }),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** A run record lists at most this many reset task names (the count is always exact). */
export const MAX_LISTED_RESETS = 100;

/** What a listing shows of a process (projected from its item). */
export const ProcessSummarySchema = z.object({
  id: z.string(),
  definition: z.string(),
  version: z.number(),
  status: ProcessStatusSchema,
  createdAt: z.string(),
  endedAt: z.string().optional(),
  /** Its concurrency pool (issue 18): a QUEUED process's position is counted in its pool's queue. */
  pool: z.string().optional(),
});
export type ProcessSummary = z.infer<typeof ProcessSummarySchema>;

/**
 * The body of every task message on SQS: a hint; the claim is the authority.
 * A child of a map also carries its map's name and its zero-based index
 * (`task` is then `<map>[<index>]`, e.g. `resize[41]`), so that a worker can
 * route it by the map's name without parsing `task`.
 */
export const TaskMessageSchema = z.object({
  processId: z.string(),
  task: z.string(),
  attempt: z.number().int().positive(),
  definition: z.string(),
  version: z.number().int().positive(),
  /** A child of a map: the map's name and the child's index (its `task` is `<map>[<index>]`). */
  map: z.string().optional(),
  index: z.number().int().nonnegative().optional(),
});
export type TaskMessage = z.infer<typeof TaskMessageSchema>;
