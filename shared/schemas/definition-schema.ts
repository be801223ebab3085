import { z } from 'zod';
import { FAILURE_POLICIES, JITTER_MODES } from '#domain/retry-policy.ts';
import { MapDocumentSchema, MapItemsFromDocumentSchema, MapSpecSchema } from './map-schema.ts';
import { maxParallelKeys } from './max-parallel-schema.ts';
import { SubProcessDocumentSchema, SubProcessSpecSchema } from './sub-process-schema.ts';
import { taskLimitKeys, TaskConcurrencySchema, TaskRateLimitSchema } from './task-limits-schema.ts';
import { ProcessConcurrencyDocumentSchema, ProcessConcurrencySpecSchema } from './process-concurrency-schema.ts';

/**
 * The shape of a definition document (language v1) as a user writes it, before
 * defaults are applied. Only structure and types live here; rules that need the
 * whole document (unknown or duplicate names, cycles, configured queues) are
 * checked in `#domain/definition.ts`, which also turns the issues into problems.
 */

/** Most tasks one definition may declare. */
export const MAX_TASKS = 5000;
/** Longest task name, in UTF-16 code units (what `String.length` counts). */
export const MAX_TASK_NAME_LENGTH = 128;
/** Longest lease: 12 hours, SQS's largest visibility timeout, so a lease can always map onto one. */
export const MAX_TIMEOUT_SECONDS = 43_200;
/** Lease per claim when neither the task nor the caller says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** A step of a problem's path: an object key or a list index. */
export type PathSegment = string | number;

/** One structural problem, located by path segments so that callers can map it onto YAML source positions. */
export interface SchemaProblem {
  readonly at: readonly PathSegment[];
  readonly message: string;
}

const nameMessage = `a task name must be text of 1 to ${MAX_TASK_NAME_LENGTH} characters`;
/** Why `[` and `]` are not allowed in a task name (and so in a need). */
export const MAP_CHILD_NAME_MESSAGE = "a task name must not contain '[' or ']': the children of a map are addressed as name[index]";
const timeoutMessage = `timeoutSeconds must be a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`;

// --- Failure semantics (issue 7): retry, optional, attemptTimeoutSeconds, defaults, onFailure, process timeoutSeconds ---
/** Longest process and longest attempt: a year, like Step Functions Standard. */
export const MAX_PROCESS_TIMEOUT_SECONDS = 31_536_000;
const attemptTimeoutMessage = `attemptTimeoutSeconds must be a whole number of seconds from 1 to ${MAX_PROCESS_TIMEOUT_SECONDS}`;
const processTimeoutMessage = `timeoutSeconds (of the process) must be a whole number of seconds from 1 to ${MAX_PROCESS_TIMEOUT_SECONDS}`;
const nonNegative = (key: string) => z.number({ error: `${key} must be a number of seconds, 0 or more` }).min(0, `${key} must be a number of seconds, 0 or more`);

/** `retry:` of a task or of `defaults`. Every key optional; defaults in `#domain/retry-policy.ts`. */
export const RetryDocumentSchema = z.strictObject(
  {
    maxAttempts: z
      .number({ error: 'maxAttempts must be a whole number, 1 or more (1 = never retry)' })
      .int('maxAttempts must be a whole number, 1 or more (1 = never retry)')
      .min(1, 'maxAttempts must be a whole number, 1 or more (1 = never retry)')
      // Each ended attempt leaves a short record on the task item (400 KB): 100 keeps room for the output.
      .max(100, 'maxAttempts must be at most 100')
      .optional(),
    intervalSeconds: nonNegative('intervalSeconds').max(MAX_PROCESS_TIMEOUT_SECONDS).optional(),
    backoffRate: z.number({ error: 'backoffRate must be a number, 1 or more' }).min(1, 'backoffRate must be a number, 1 or more').max(100, 'backoffRate must be at most 100').optional(),
    maxIntervalSeconds: nonNegative('maxIntervalSeconds').max(MAX_PROCESS_TIMEOUT_SECONDS).optional(),
    jitter: z.enum(JITTER_MODES, { error: `jitter must be one of: ${JITTER_MODES.join(', ')}` }).optional(),
    nonRetryable: z.array(z.string({ error: 'each nonRetryable entry must be an error code (text)' }), { error: 'nonRetryable must be a list of error codes' }).max(100).optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'retry must be a mapping, e.g. { maxAttempts: 5 }' : undefined) },
);

const attemptTimeoutSchema = z.number({ error: attemptTimeoutMessage }).int(attemptTimeoutMessage).min(1, attemptTimeoutMessage).max(MAX_PROCESS_TIMEOUT_SECONDS, attemptTimeoutMessage);

/** The failure keys of one task. */
export const taskFailureKeys = {
  retry: RetryDocumentSchema.optional(),
  optional: z.boolean({ error: 'optional must be true or false' }).optional(),
  attemptTimeoutSeconds: attemptTimeoutSchema.optional(),
};
// --- end of failure semantics (task keys) ---

/** A lone surrogate: a name that is not well-formed Unicode cannot round-trip through UTF-8 (DynamoDB, SQS, URLs). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Outside what SQS accepts in a message body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF. */
const NOT_SQS_TEXT = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;

/**
 * A task name. Besides its length, it must survive every place it travels:
 * a URL path segment (`/tasks/{task}`), a DynamoDB key, an SQS message body.
 * Each rule is its own problem, so a name that breaks two shows both.
 */
export const TaskNameSchema = z
  .string({ error: (iss) => (iss.input === undefined ? "a task needs a 'name'" : nameMessage) })
  .min(1, nameMessage)
  .max(MAX_TASK_NAME_LENGTH, nameMessage)
  .refine((n) => !/[/?#%]/.test(n), "a task name must not contain '/', '?', '#' or '%': it is a segment of the API's URLs")
  .refine((n) => !/[[\]]/.test(n), MAP_CHILD_NAME_MESSAGE)
  .refine((n) => !CONTROL.test(n), 'a task name must not contain control characters (tabs, line breaks and the like)')
  .refine((n) => !LONE_SURROGATE.test(n), 'a task name must be well-formed Unicode (it contains a lone surrogate)')
  .refine(
    (n) => LONE_SURROGATE.test(n) || CONTROL.test(n) || !NOT_SQS_TEXT.test(n),
    'a task name must not contain characters SQS rejects in a message (such as U+FFFE or U+FFFF)',
  );

const needsSchema = z
  .array(z.string({ error: 'each need must be a task name (text)' }), {
    error: 'needs must be a list of task names, e.g. [Open Loan Application]',
  })
  .optional();

// Map over data (issue 16): the `map` key of a task lives in map-schema.ts, and is exported from here too.
export {
  DEFAULT_MAP_CONCURRENCY,
  MAP_ITEM_FORMATS,
  MAX_MAP_CONCURRENCY,
  MAX_MAP_ITEMS,
  MapDocumentSchema,
  MapItemsFromDocumentSchema,
  MapSpecSchema,
  type MapDocument,
  type MapSpec,
} from './map-schema.ts';

// --- Branches (issue 17): `when` and `join` of a task ---
/** How a task with several needs treats skipped parents (`allSettled` is the default). */
export const JOIN_RULES = ['allSettled', 'allCompleted', 'anyCompleted'] as const;
export type JoinRule = (typeof JOIN_RULES)[number];
/** The branch keys of a task: a CEL condition (checked further in `#domain/branch-spec.ts`) and a join rule. */
export const taskBranchKeys = {
  when: z.string({ error: "when must be a CEL expression (text) that yields true or false, e.g. \"input.amount < 1000\"" }).optional(),
  join: z.enum(JOIN_RULES, { error: `join must be one of: ${JOIN_RULES.join(', ')}` }).optional(),
};
// --- end of branches ---

/**
 * The options of a task, other than its place in the graph. Shared by a
 * `tasks:` entry and a `steps:` entry; a new option added here is available
 * in both forms (and in the normalised spec once {@link TaskSpecSchema} has it).
 */
const taskOptions = {
  queue: z.string({ error: 'queue must be the name of a configured queue (text)' }).optional(),
  timeoutSeconds: z
    .number({ error: timeoutMessage })
    .int(timeoutMessage)
    .min(1, timeoutMessage)
    .max(MAX_TIMEOUT_SECONDS, timeoutMessage)
    .optional(),
  ...taskFailureKeys,
  map: MapDocumentSchema.optional(),
  process: SubProcessDocumentSchema.optional(),
  ...taskLimitKeys,
  ...taskBranchKeys,
};

/** One entry of `tasks`. Strict, so that a typo such as `need:` is an error rather than a silently ignored key. */
export const TaskDocumentSchema = z.strictObject(
  { name: TaskNameSchema, needs: needsSchema, ...taskOptions },
  { error: (iss) => (iss.code === 'invalid_type' ? "each task must be a mapping with at least a 'name'" : undefined) },
);
export type TaskDocument = z.infer<typeof TaskDocumentSchema>;

/** One entry of `steps` written as a mapping: a task without `needs` (it needs the step before it). */
export const StepObjectSchema = z.strictObject(
  { name: TaskNameSchema, ...taskOptions },
  { error: (iss) => (iss.code === 'invalid_type' ? "each step must be a task name or a mapping with at least a 'name'" : undefined) },
);

/** One entry of `steps`: a bare name is short for `{ name }`. */
export const StepDocumentSchema = z.preprocess((raw) => (typeof raw === 'string' ? { name: raw } : raw), StepObjectSchema);
export type StepDocument = z.infer<typeof StepDocumentSchema>;

/** A `tasks:` or `steps:` list: at least one entry, at most {@link MAX_TASKS}. */
function listOf<T extends z.ZodType>(entry: T, what: 'task' | 'step') {
  return z
    .array(entry, { error: `'${what}s' must be a list of ${what}s` })
    .min(1, `a definition needs at least one ${what}`)
    .max(MAX_TASKS, `a definition may declare at most ${MAX_TASKS} ${what}s`);
}

// --- Failure semantics (issue 7): top-level keys ---
/** `defaults:` every task inherits; a task's own keys win. */
export const DefaultsDocumentSchema = z.strictObject(
  {
    retry: RetryDocumentSchema.optional(),
    timeoutSeconds: z.number({ error: timeoutMessage }).int(timeoutMessage).min(1, timeoutMessage).max(MAX_TIMEOUT_SECONDS, timeoutMessage).optional(),
    attemptTimeoutSeconds: attemptTimeoutSchema.optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'defaults must be a mapping, e.g. { retry: { maxAttempts: 5 } }' : undefined) },
);

export const processFailureKeys = {
  timeoutSeconds: z.number({ error: processTimeoutMessage }).int(processTimeoutMessage).min(1, processTimeoutMessage).max(MAX_PROCESS_TIMEOUT_SECONDS, processTimeoutMessage).optional(),
  onFailure: z.enum(FAILURE_POLICIES, { error: `onFailure must be one of: ${FAILURE_POLICIES.join(', ')}` }).optional(),
  defaults: DefaultsDocumentSchema.optional(),
};
// --- end of failure semantics (top-level keys) ---

// --- Compensation (issue 8, part 5) ---
/** The process statuses that may start a compensation. */
export const COMPENSATION_STATUSES = ['FAILED', 'CANCELLED'] as const;
const compensationOnMessage = `compensation.on must be a list of: ${COMPENSATION_STATUSES.join(', ')}`;
const compensationVersionMessage = 'compensation.version must be a whole number, 1 or more';

/**
 * `compensation:` a definition whose process starts when a process of this one
 * ends in one of the `on` statuses (default `[FAILED]`). Whether the named
 * definition (and version) exists is checked when the definition is PUT.
 */
export const CompensationDocumentSchema = z.strictObject(
  {
    definition: z.string({ error: 'compensation.definition must be the name of a definition (text)' }).min(1, 'compensation.definition must be the name of a definition (text)'),
    version: z.number({ error: compensationVersionMessage }).int(compensationVersionMessage).min(1, compensationVersionMessage).optional(),
    on: z
      .array(z.enum(COMPENSATION_STATUSES, { error: compensationOnMessage }), { error: compensationOnMessage })
      .min(1, `${compensationOnMessage} (at least one; leave 'on' out for the default [FAILED])`)
      .optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? "compensation must be a mapping with a 'definition', e.g. { definition: undo-loan }" : undefined) },
);
// --- end of compensation ---

/**
 * A whole definition document: `tasks:` (a DAG, each task naming its needs)
 * or `steps:` (a routine, each step needing the one before). Exactly one of
 * the two is required; that rule, like the graph rules, is checked in
 * `#domain/definition.ts` so that it is reported alongside the others.
 */
export const DefinitionDocumentSchema = z.strictObject(
  {
    description: z.string({ error: 'description must be text' }).optional(),
    ...processFailureKeys,
    ...maxParallelKeys,
    compensation: CompensationDocumentSchema.optional(),
    /** Process concurrency (issue 18): `{limit, key?, onLimit?}`. */
    concurrency: ProcessConcurrencyDocumentSchema.optional(),
    /** A JSON Schema (draft 2020-12) that a process's input must match; checked further in `#domain/input-schema.ts`. */
    inputSchema: z.record(z.string(), z.unknown(), { error: 'inputSchema must be a mapping: a JSON Schema (draft 2020-12) object' }).optional(),
    tasks: listOf(TaskDocumentSchema, 'task').optional(),
    steps: listOf(StepDocumentSchema, 'step').optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? "a definition must be a mapping with a 'tasks' list" : undefined) },
);
export type DefinitionDocument = z.infer<typeof DefinitionDocumentSchema>;

/**
 * One task of a validated definition, with every default applied: the single
 * source of the normalised task's fields. The stored item schema, the API's
 * view and the canonical form (the content hash) all derive from it.
 */
export const TaskSpecSchema = z.object({
  name: z.string(),
  needs: z.array(z.string()),
  queue: z.string(),
  /** The lease a worker gets per claim. */
  timeoutSeconds: z.number().int().positive(),
  // Failure semantics, as written (a task's own keys; `defaults` apply when it runs: #domain/retry-policy.ts).
  ...taskFailureKeys,
  /** Present on a map task: its children run the task once per item. */
  map: MapSpecSchema.optional(),
  /** Present on a process task: it runs a child process of another definition. */
  process: SubProcessSpecSchema.optional(),
  /** Flow control across processes (issue 18), as written. */
  ...taskLimitKeys,
  /** A condition over `input` and `upstream`, evaluated once when the task is ready; false: SKIPPED (`ConditionFalse`). */
  when: z.string().optional(),
  /** Absent: `allSettled`. */
  join: z.enum(JOIN_RULES).optional(),
});
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

/** A validated, normalised definition (language v1). A `steps:` document is stored in this, its `tasks:`, form. */
export const DefinitionSpecSchema = z.object({
  description: z.string().optional(),
  ...processFailureKeys,
  ...maxParallelKeys,
  /** As written; `on` absent means `[FAILED]` (#domain/compensation.ts). */
  compensation: z.object({ definition: z.string(), version: z.number().int().positive().optional(), on: z.array(z.enum(COMPENSATION_STATUSES)).optional() }).optional(),
  inputSchema: z.record(z.string(), z.unknown()).optional(),
  /** Process concurrency, `onLimit` defaulted (#domain/process-concurrency.ts). */
  concurrency: ProcessConcurrencySpecSchema.optional(),
  tasks: z.array(TaskSpecSchema),
});
export type DefinitionSpec = z.infer<typeof DefinitionSpecSchema>;

/**
 * Turns zod's issues into problems. An unrecognised-keys issue becomes one
 * problem per key, located at the key and with a "did you mean" hint, because
 * the usual cause is a typo (`need:` for `needs:`).
 *
 * @example
 * const result = DefinitionDocumentSchema.safeParse({ tasks: [{ name: 'A', need: ['B'] }] });
 * if (!result.success) schemaProblems(result.error);
 * // [{ at: ['tasks', 0, 'need'], message: "unknown key 'need'; did you mean 'needs'?" }]
 */
export function schemaProblems(error: z.ZodError): SchemaProblem[] {
  return error.issues.flatMap((issue): SchemaProblem[] => {
    const at = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
    if (issue.code !== 'unrecognized_keys') return [{ at, message: issue.message }];
    const known = Object.keys(knownKeysAt(at).shape);
    return issue.keys.map((key) => ({
      at: [...at, key],
      message: at[0] === 'steps' && key === 'needs' ? STEP_NEEDS_MESSAGE : unknownKeyMessage(key, known),
    }));
  });
}

const STEP_NEEDS_MESSAGE = "a step cannot have 'needs': each step needs the step before it (write 'tasks' instead of 'steps' for any other graph)";

/** The mapping a path points into, for the "did you mean" of an unknown key. */
function knownKeysAt(at: readonly PathSegment[]): { shape: object } {
  const last = at.at(-1);
  if (at.length === 0) return DefinitionDocumentSchema;
  if (last === 'retry') return RetryDocumentSchema;
  if (last === 'defaults') return DefaultsDocumentSchema;
  if (last === 'compensation') return CompensationDocumentSchema;
  if (last === 'concurrency' && at.length === 1) return ProcessConcurrencyDocumentSchema;
  if (last === 'map') return MapDocumentSchema;
  if (last === 'itemsFrom') return MapItemsFromDocumentSchema;
  // A task's own keys (a top-level `concurrency` is the process's, at a path of length 1).
  if (last === 'concurrency' && at.length === 3) return TaskConcurrencySchema;
  if (last === 'rateLimit') return TaskRateLimitSchema;
  return at[0] === 'steps' ? StepObjectSchema : TaskDocumentSchema;
}

function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  const hint = suggestion === undefined ? `allowed keys: ${known.join(', ')}` : `did you mean '${suggestion}'?`;
  return `unknown key '${key}'; ${hint}`;
}

/**
 * The known key a mistyped key most likely meant: a small edit distance
 * (case-insensitive) or, for keys of 4+ characters, a prefix (`timeout` for
 * `timeoutSeconds`). Undefined when nothing is close.
 *
 * @example
 * closestKey('need', ['name', 'needs', 'queue', 'timeoutSeconds']) // 'needs'
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const wanted = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const lower = candidate.toLowerCase();
    const distance = editDistance(wanted, lower);
    const close = distance <= Math.max(1, Math.floor(lower.length / 3)) || (wanted.length >= 4 && lower.startsWith(wanted));
    if (close && (best === undefined || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Levenshtein distance; inputs are key names, so the quadratic cost is tiny. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
