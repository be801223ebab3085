import { z } from 'zod';
import { FAILURE_POLICIES, JITTER_MODES } from '#domain/retry-policy.ts';

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
const taskFailureKeys = {
  retry: RetryDocumentSchema.optional(),
  optional: z.boolean({ error: 'optional must be true or false' }).optional(),
  attemptTimeoutSeconds: attemptTimeoutSchema.optional(),
};
// --- end of failure semantics (task keys) ---

/** One entry of `tasks`. Strict, so that a typo such as `need:` is an error rather than a silently ignored key. */
export const TaskDocumentSchema = z.strictObject(
  {
    name: z
      .string({ error: (iss) => (iss.input === undefined ? "a task needs a 'name'" : nameMessage) })
      .min(1, nameMessage)
      .max(MAX_TASK_NAME_LENGTH, nameMessage),
    needs: z
      .array(z.string({ error: 'each need must be a task name (text)' }), {
        error: 'needs must be a list of task names, e.g. [Open Loan Application]',
      })
      .optional(),
    queue: z.string({ error: 'queue must be the name of a configured queue (text)' }).optional(),
    timeoutSeconds: z
      .number({ error: timeoutMessage })
      .int(timeoutMessage)
      .min(1, timeoutMessage)
      .max(MAX_TIMEOUT_SECONDS, timeoutMessage)
      .optional(),
    ...taskFailureKeys,
  },
  { error: (iss) => (iss.code === 'invalid_type' ? "each task must be a mapping with at least a 'name'" : undefined) },
);
export type TaskDocument = z.infer<typeof TaskDocumentSchema>;

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

const processFailureKeys = {
  timeoutSeconds: z.number({ error: processTimeoutMessage }).int(processTimeoutMessage).min(1, processTimeoutMessage).max(MAX_PROCESS_TIMEOUT_SECONDS, processTimeoutMessage).optional(),
  onFailure: z.enum(FAILURE_POLICIES, { error: `onFailure must be one of: ${FAILURE_POLICIES.join(', ')}` }).optional(),
  defaults: DefaultsDocumentSchema.optional(),
};
// --- end of failure semantics (top-level keys) ---

/** A whole definition document. */
export const DefinitionDocumentSchema = z.strictObject(
  {
    description: z.string({ error: 'description must be text' }).optional(),
    ...processFailureKeys,
    tasks: z
      .array(TaskDocumentSchema, {
        error: (iss) => (iss.input === undefined ? "a definition needs a 'tasks' list" : "'tasks' must be a list of tasks"),
      })
      .min(1, 'a definition needs at least one task')
      .max(MAX_TASKS, `a definition may declare at most ${MAX_TASKS} tasks`),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? "a definition must be a mapping with a 'tasks' list" : undefined) },
);
export type DefinitionDocument = z.infer<typeof DefinitionDocumentSchema>;

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
    return issue.keys.map((key) => ({ at: [...at, key], message: unknownKeyMessage(key, known) }));
  });
}

/** The mapping a path points into, for the "did you mean" of an unknown key. */
function knownKeysAt(at: readonly PathSegment[]): { shape: object } {
  const last = at.at(-1);
  if (at.length === 0) return DefinitionDocumentSchema;
  if (last === 'retry') return RetryDocumentSchema;
  if (last === 'defaults') return DefaultsDocumentSchema;
  return TaskDocumentSchema;
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
