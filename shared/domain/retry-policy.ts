/**
 * Failure semantics of one task, pure: its retry policy resolved from the
 * definition's `defaults` and its own keys, the backoff before each retry, and
 * the decision whether a failed attempt is retried. Randomness (jitter) and
 * time come in as arguments.
 */

export const JITTER_MODES = ['full', 'none'] as const;
export type Jitter = (typeof JITTER_MODES)[number];

export const FAILURE_POLICIES = ['failFast', 'skipDownstream'] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/** A task's retry policy with every default applied. */
export interface RetryPolicy {
  /** Every attempt, the first included; 1 = never retry. */
  readonly maxAttempts: number;
  /** Delay before the 2nd attempt. */
  readonly intervalSeconds: number;
  /** Multiplier for each further attempt. */
  readonly backoffRate: number;
  /** Cap on one delay. */
  readonly maxIntervalSeconds: number;
  readonly jitter: Jitter;
  /** Error codes that end the task at once. */
  readonly nonRetryable: string[];
}

/** Retry keys as written (in `defaults.retry` or a task's `retry`): each optional. */
export type RetryOverrides = Partial<RetryPolicy>;

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  intervalSeconds: 1,
  backoffRate: 2,
  maxIntervalSeconds: 300,
  jitter: 'full',
  nonRetryable: [],
};

/** What a stored definition says about failures, besides the tasks' own keys. */
export interface FailureDefaults {
  readonly retry?: RetryOverrides;
  readonly attemptTimeoutSeconds?: number;
}

/** The failure keys of one task as stored (what it wrote itself). */
export interface TaskFailureKeys {
  readonly retry?: RetryOverrides;
  readonly optional?: boolean;
  readonly attemptTimeoutSeconds?: number;
}

/** A task's failure semantics, resolved. */
export interface TaskFailurePolicy {
  readonly retry: RetryPolicy;
  readonly optional: boolean;
  readonly attemptTimeoutSeconds?: number;
}

/**
 * A task's policy: its own keys win over `defaults`, which win over {@link DEFAULT_RETRY}.
 *
 * @example
 * resolveTaskPolicy({ retry: { maxAttempts: 5 } }, { retry: { intervalSeconds: 10 } }).retry
 * // { maxAttempts: 5, intervalSeconds: 10, backoffRate: 2, maxIntervalSeconds: 300, jitter: 'full', nonRetryable: [] }
 */
export function resolveTaskPolicy(defaults: FailureDefaults | undefined, task: TaskFailureKeys): TaskFailurePolicy {
  const attemptTimeoutSeconds = task.attemptTimeoutSeconds ?? defaults?.attemptTimeoutSeconds;
  return {
    retry: { ...DEFAULT_RETRY, ...defined(defaults?.retry), ...defined(task.retry) },
    optional: task.optional ?? false,
    ...(attemptTimeoutSeconds === undefined ? {} : { attemptTimeoutSeconds }),
  };
}

/**
 * The delay before attempt `nextAttempt` (2 for the first retry), in ms:
 * `intervalSeconds × backoffRate^(nextAttempt − 2)`, capped by
 * `maxIntervalSeconds`; with full jitter, `random` (in [0, 1)) scales it.
 *
 * @example
 * backoffMs({ ...DEFAULT_RETRY, jitter: 'none' }, 4, 0) // 4000 (1 s × 2²)
 */
export function backoffMs(policy: RetryPolicy, nextAttempt: number, random: number): number {
  const computed = Math.min(policy.maxIntervalSeconds, policy.intervalSeconds * policy.backoffRate ** Math.max(0, nextAttempt - 2)) * 1000;
  const capped = Math.min(computed, policy.maxIntervalSeconds * 1000);
  return Math.floor(policy.jitter === 'full' ? capped * Math.min(Math.max(random, 0), 1) : capped);
}

/** An attempt's error as the engine sees it. */
export interface AttemptError {
  readonly code?: string;
  /** `false` ends the task at once. */
  readonly retryable?: boolean;
  /** Overrides the computed delay. */
  readonly retryAfterSeconds?: number;
}

export type RetryDecision = { readonly retry: true; readonly nextAttemptAt: number } | { readonly retry: false; readonly reason: 'exhausted' | 'nonRetryable' };

/**
 * Whether a failed `attempt` is retried, and when the next one may start.
 *
 * @example
 * decideRetry(DEFAULT_RETRY, 1, { code: 'Timeout' }, { now: 0, random: 0.5 }) // { retry: true, nextAttemptAt: 500 }
 * decideRetry(DEFAULT_RETRY, 3, {}, { now: 0, random: 0.5 })                  // { retry: false, reason: 'exhausted' }
 */
export function decideRetry(policy: RetryPolicy, attempt: number, error: AttemptError, at: { now: number; random: number }): RetryDecision {
  if (error.retryable === false || (error.code !== undefined && policy.nonRetryable.includes(error.code))) return { retry: false, reason: 'nonRetryable' };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: 'exhausted' };
  const delay = error.retryAfterSeconds === undefined ? backoffMs(policy, attempt + 1, at.random) : Math.max(0, error.retryAfterSeconds) * 1000;
  return { retry: true, nextAttemptAt: at.now + Math.ceil(delay) };
}

/** Drops undefined keys, so a spread does not overwrite a default with `undefined`. */
function defined<T extends object>(value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Longest message kept in a task's `lastError`, and the largest `details` kept there (JSON bytes). */
export const LAST_ERROR_LIMITS = { message: 4096, detailsBytes: 4096 } as const;
/** Longest message kept per ended attempt in the history (its details are not kept there). */
export const ATTEMPT_ERROR_LIMITS = { message: 512, detailsBytes: 0 } as const;

/**
 * A bounded copy of an error, for the places that keep one per attempt or
 * beside the output: a task item holds at most 400 KB, and the full error
 * (up to 256 KiB) is kept once, on the task that failed for good.
 *
 * @example
 * summariseError({ message: 'x'.repeat(5000), code: 'E' }, ATTEMPT_ERROR_LIMITS) // { message: 'xxx…(512 chars)', code: 'E' }
 */
export function summariseError<E extends { message: string; code?: string | undefined; details?: unknown }>(
  error: E,
  limits: { readonly message: number; readonly detailsBytes: number },
): { message: string; code?: string; details?: unknown } {
  const message = error.message.length <= limits.message ? error.message : `${error.message.slice(0, limits.message - 1)}…`;
  let details: unknown;
  if (error.details !== undefined && limits.detailsBytes > 0) {
    const size = Buffer.byteLength(JSON.stringify(error.details) ?? '', 'utf8');
    if (size <= limits.detailsBytes) details = error.details;
  }
  return { message, ...(error.code === undefined ? {} : { code: error.code }), ...(details === undefined ? {} : { details }) };
}
