import { TributaryError } from './errors.ts';

/**
 * The refusals of a claim for a task limit (issue 18). Both leave the task
 * SCHEDULED and say, in `details.notBefore` (ISO), when a claim may succeed:
 * the worker hides its message until then (`client/message-policy.ts`).
 */

/** Every slot of the task's concurrency pool is held by a live lease. `notBefore`: the earliest holder's lease expiry. */
export class ConcurrencyLimitedError extends TributaryError {
  readonly code = 'ConcurrencyLimited';
  override readonly retryable = true;
  readonly notBefore: string;
  constructor(task: string, key: string, limit: number, notBefore: string, options?: ErrorOptions) {
    super(`task '${task}' is at its concurrency limit (${limit} running for key ${JSON.stringify(key)}): try again at ${notBefore}`, { ...options, details: { notBefore, key, limit } });
    this.notBefore = notBefore;
  }
}

/** The task's rate limit is used up for its window. `notBefore`: when the oldest start in the window leaves it. */
export class RateLimitedError extends TributaryError {
  readonly code = 'RateLimited';
  override readonly retryable = true;
  readonly notBefore: string;
  constructor(task: string, key: string, limit: number, periodSeconds: number, notBefore: string, options?: ErrorOptions) {
    super(`task '${task}' is at its rate limit (${limit} starts in ${periodSeconds} s for key ${JSON.stringify(key)}): try again at ${notBefore}`, {
      ...options,
      details: { notBefore, key, limit, periodSeconds },
    });
    this.notBefore = notBefore;
  }
}
