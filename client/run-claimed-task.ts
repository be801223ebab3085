import { isTributaryApiError, LeaseLostError } from './errors.ts';
import { isNonRetryableTaskError, isRetryAfterTaskError } from './task-failures.ts';
import { LEASE_LOST_CODES, LeaseKeeper } from './lease-keeper.ts';
import type { Claim, TaskError, TaskMessage } from './schemas.ts';
import type { TributaryClient } from './tributary-client.ts';
import type { TaskContext, TaskHandler } from './worker.ts';
import { errorFields, type WorkerLogger } from './worker-logger.ts';

/** Longest error message sent to the server: a handler's message can embed a whole response body. */
const MAX_ERROR_MESSAGE = 4096;

export interface RunClaimedTaskOptions {
  readonly client: TributaryClient;
  readonly handler: TaskHandler;
  readonly heartbeatEveryMs?: number;
  readonly logger: WorkerLogger;
  /**
   * Aborted when the worker shuts down: the claim is released at once (same
   * attempt, lease fenced) so another worker can take it without waiting for
   * the lease to run out, and the handler's signal aborts.
   */
  readonly stopping?: AbortSignal;
  /**
   * Where the result goes: the client's single `complete` and `fail` unless
   * given, e.g. a `ResultBatcher` that shares one call among results.
   */
  readonly results?: Pick<TributaryClient, 'complete' | 'fail'>;
}

/**
 * How a run ended: `completed`/`failed` when the server recorded it; `lease-lost`
 * when the lease went away first (the result was dropped); `not-ended` when the
 * final call failed for good (the lease then expires and the task is retried).
 */
export type RunOutcome = 'completed' | 'failed' | 'lease-lost' | 'released' | 'not-ended';

/**
 * Runs the handler for a claimed task while a {@link LeaseKeeper} heartbeats,
 * then completes the task with the handler's output, or fails it with
 * `{ message, code: error.name }` when the handler throws (with `retryable: false`
 * for a {@link NonRetryableTaskError}, `retryAfterSeconds` for a {@link RetryAfterTaskError}). Both final calls
 * carry the lease token, so the client retries them safely.
 *
 * @example
 * const claim = await client.claim(message.processId, message.task, workerId);
 * const outcome = await runClaimedTask({ client, handler, logger }, message, claim);
 */
export async function runClaimedTask(options: RunClaimedTaskOptions, message: TaskMessage, claim: Claim): Promise<RunOutcome> {
  const { client, handler, logger } = options;
  const { processId, task } = message;
  const fields = { processId, task, attempt: claim.attempt };
  const keeper = new LeaseKeeper({
    client,
    processId,
    task,
    leaseToken: claim.leaseToken,
    leaseExpiresAt: claim.leaseExpiresAt,
    logger,
    ...(options.heartbeatEveryMs === undefined ? {} : { everyMs: options.heartbeatEveryMs }),
  });
  const started = Date.now();
  let result: { ok: true; output: unknown } | { ok: false; error: TaskError };
  let released = false;
  const release = async (): Promise<void> => {
    try {
      await client.release(processId, task, { leaseToken: claim.leaseToken });
      released = true;
      keeper.abandon(new LeaseLostError(processId, task, { cause: new Error('released: the worker is stopping') }));
      logger.info('task released: the worker is stopping', fields);
    } catch (error) {
      // The task ended first, or its lease was already gone: either way nothing is left to give back.
      logger.warn('could not release the task on stop', { ...fields, ...errorFields(error) });
    }
  };
  const onStop = (): void => void release();
  options.stopping?.addEventListener('abort', onStop, { once: true });
  keeper.start();
  try {
    const output = await handler({ ...contextOf(message, claim), signal: keeper.signal });
    result = serializable(output) ? { ok: true, output } : { ok: false, error: { message: 'the handler returned a value that is not JSON-serializable', code: 'OutputNotSerializable' } };
  } catch (error) {
    result = { ok: false, error: taskError(error) };
  } finally {
    keeper.stop();
    options.stopping?.removeEventListener('abort', onStop);
  }
  const durationMs = Date.now() - started;
  if (released) {
    logger.info('the handler ended after its task was released; its result is dropped', { ...fields, durationMs });
    return 'released';
  }
  if (keeper.lost) {
    logger.warn('lease lost while the handler ran; its result is dropped', { ...fields, durationMs });
    return 'lease-lost';
  }
  const results = options.results ?? client;
  const end = async (r: typeof result): Promise<RunOutcome> => {
    if (r.ok) await results.complete(processId, task, { leaseToken: claim.leaseToken, output: r.output });
    else await results.fail(processId, task, { leaseToken: claim.leaseToken, error: r.error });
    logger.info(r.ok ? 'task completed' : 'task failed', { ...fields, durationMs, ...(r.ok ? {} : { error: r.error.message, code: r.error.code }) });
    return r.ok ? 'completed' : 'failed';
  };
  try {
    return await end(result);
  } catch (error) {
    if (isTributaryApiError(error, ...LEASE_LOST_CODES)) {
      logger.warn('the server refused the result: the lease is gone', { ...fields, ...errorFields(error) });
      return 'lease-lost';
    }
    if (result.ok && isTributaryApiError(error, 'PayloadTooLarge')) {
      // Left RUNNING, the task would be retried until it fails the same way; fail it now with the reason.
      return end({ ok: false, error: { message: `the task's output is too large: ${error.message}`, code: 'PayloadTooLarge' } }).catch((e: unknown) => {
        logger.error('could not fail the task after its output was refused', { ...fields, ...errorFields(e) });
        return 'not-ended' as const;
      });
    }
    logger.error('could not record the task result; the lease will expire and the task will be retried', { ...fields, ...errorFields(error) });
    return 'not-ended';
  }
}

/** What the handler is told, other than its signal: the task from the message, the rest from the claim (the authority). */
function contextOf(message: TaskMessage, claim: Claim): Omit<TaskContext, 'signal'> {
  const { processId, task, definition, version } = message;
  const child = claim.map === undefined ? {} : { map: claim.map, index: claim.index, item: claim.item };
  return { processId, task, definition, version, attempt: claim.attempt, input: claim.input, ...child };
}

function taskError(error: unknown): TaskError {
  if (isNonRetryableTaskError(error) || isRetryAfterTaskError(error)) {
    return {
      message: truncate(error.message || error.name),
      code: error.code,
      ...(error.details === undefined || !serializable(error.details) ? {} : { details: error.details }),
      ...(isNonRetryableTaskError(error) ? { retryable: false } : { retryAfterSeconds: error.retryAfterSeconds }),
    };
  }
  if (error instanceof Error) return { message: truncate(error.message || error.name), code: error.name };
  return { message: truncate(String(error)) };
}

function truncate(message: string): string {
  return message.length <= MAX_ERROR_MESSAGE ? message : `${message.slice(0, MAX_ERROR_MESSAGE - 1)}…`;
}

function serializable(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}
