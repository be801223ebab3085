/**
 * Errors a task handler throws to tell Tributary how to treat its failure.
 * Any other thrown error is a retryable failure with `code: error.name`,
 * retried by the task's retry policy.
 *
 * @example
 * if (response.status === 402) throw new NonRetryableTaskError('card declined', { code: 'CardDeclined' });
 * if (response.status === 429) throw new RetryAfterTaskError('rate limited', 30);
 */

/** Options common to both: the error `code` recorded on the task (default: the class name) and its `details`. */
export interface TaskFailureOptions extends ErrorOptions {
  readonly code?: string;
  readonly details?: unknown;
}

/** Ends the task at once, whatever attempts are left (`retryable: false`). */
export class NonRetryableTaskError extends Error {
  readonly retryable = false as const;
  readonly code: string;
  readonly details?: unknown;
  constructor(message: string, options?: TaskFailureOptions) {
    super(message, options);
    this.name = 'NonRetryableTaskError';
    this.code = options?.code ?? this.name;
    if (options?.details !== undefined) this.details = options.details;
  }
}

/** Fails the attempt and asks for the next one no sooner than `retryAfterSeconds` from now (overrides the backoff). */
export class RetryAfterTaskError extends Error {
  readonly code: string;
  readonly details?: unknown;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: TaskFailureOptions,
  ) {
    super(message, options);
    this.name = 'RetryAfterTaskError';
    this.code = options?.code ?? this.name;
    if (options?.details !== undefined) this.details = options.details;
  }
}

export function isNonRetryableTaskError(e: unknown): e is NonRetryableTaskError {
  return e instanceof NonRetryableTaskError;
}

export function isRetryAfterTaskError(e: unknown): e is RetryAfterTaskError {
  return e instanceof RetryAfterTaskError;
}
