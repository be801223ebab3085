import { ErrorBodySchema } from './schemas.ts';

/**
 * Errors the client throws, classified by cause and by whether repeating the
 * same call can succeed. Every error a call can end with is one of these three
 * classes, so callers never have to inspect a raw `TypeError` from fetch.
 */

/** Every error code the Tributary API documents (a test keeps it equal to the server's table). */
export const API_ERROR_CODES = [
  'InvalidDefinition',
  'ValidationError',
  'InvalidSchedule',
  'DefinitionNotFound',
  'ProcessNotFound',
  'TaskNotFound',
  'ScheduleNotFound',
  'RouteNotFound',
  'TaskAlreadyClaimed',
  'TaskNotActive',
  'ProcessTaskNotClaimable',
  'LeaseMismatch',
  'ProcessNotRunning',
  'ProcessPaused',
  'ConcurrencyLimited',
  'RateLimited',
  'ConcurrencyConflict',
  'ProcessStillRunning',
  'NothingToRerun',
  'IncompatibleVersion',
  'IdempotencyKeyReused',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'InternalError',
] as const;

/** Error codes the Tributary API documents. Other codes (from newer servers or gateways) still come through as strings. */
export type TributaryErrorCode =
  | (typeof API_ERROR_CODES)[number]
  // Written by the client for responses without the API's error body (e.g. API Gateway's own 403 or 429).
  | 'Unauthorized'
  | 'Forbidden'
  | 'TooManyRequests'
  | 'HttpError'
  | (string & {});

/**
 * The API answered with an error status. `code` is the API's stable error code
 * (`body.error.code`); `details` lists problems for 400s, e.g. one entry per
 * definition problem with its line and column.
 *
 * @example
 * try {
 *   await client.claim(processId, 'Review Credit', 'worker-1');
 * } catch (error) {
 *   if (isTributaryApiError(error, 'TaskAlreadyClaimed')) return; // someone else has it
 *   throw error;
 * }
 */
export class TributaryApiError extends Error {
  override readonly name = 'TributaryApiError';
  readonly status: number;
  readonly code: TributaryErrorCode;
  readonly details?: unknown;
  /** `METHOD path` of the call, for logs. */
  readonly request: string;
  /** The response's `Retry-After` header (seconds or an HTTP date), when it had one. */
  readonly retryAfter?: string;

  constructor(
    init: { status: number; code: string; message: string; details?: unknown; request: string; retryAfter?: string | null },
    options?: ErrorOptions,
  ) {
    super(init.message, options);
    this.status = init.status;
    this.code = init.code;
    this.request = init.request;
    if (init.details !== undefined) this.details = init.details;
    if (init.retryAfter !== undefined && init.retryAfter !== null) this.retryAfter = init.retryAfter;
  }

  /** 5xx and 429: the server or a gateway may answer differently next time. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429;
  }

  /** 409: the call lost to the current state (claimed elsewhere, stale lease, process ended). */
  get isConflict(): boolean {
    return this.status === 409;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }
}

/** The request did not get an HTTP answer: connection refused or reset, DNS, or the client's own timeout. Retryable. */
export class TributaryNetworkError extends Error {
  override readonly name = 'TributaryNetworkError';
  readonly retryable = true;
  readonly request: string;

  constructor(message: string, request: string, options?: ErrorOptions) {
    super(message, options);
    this.request = request;
  }
}

/**
 * The API answered with a success status but a body the client does not
 * understand (not JSON, or not the documented shape). Not retryable: it means
 * a client and server version mismatch or a proxy in the way.
 */
export class TributaryResponseError extends Error {
  override readonly name = 'TributaryResponseError';
  readonly retryable = false;
  readonly status: number;
  readonly request: string;

  constructor(message: string, init: { status: number; request: string }, options?: ErrorOptions) {
    super(message, options);
    this.status = init.status;
    this.request = init.request;
  }
}

/**
 * True for a {@link TributaryApiError}, optionally with one of the given codes.
 *
 * @example
 * if (isTributaryApiError(error, 'LeaseMismatch', 'TaskNotActive')) abortTheWork();
 */
export function isTributaryApiError(error: unknown, ...codes: TributaryErrorCode[]): error is TributaryApiError {
  return error instanceof TributaryApiError && (codes.length === 0 || codes.includes(error.code));
}

/**
 * True for a 409: the call lost to the state on the server. Retrying the same
 * call will not help; re-read the state instead.
 *
 * @example
 * if (isConflict(error)) console.log(`lost the race: ${error.code}`);
 */
export function isConflict(error: unknown): error is TributaryApiError {
  return error instanceof TributaryApiError && error.status === 409;
}

/** True for a 404 (unknown definition, process or task). */
export function isNotFound(error: unknown): error is TributaryApiError {
  return error instanceof TributaryApiError && error.status === 404;
}

/**
 * True when repeating the same call may succeed: network errors, timeouts, 5xx and 429.
 *
 * @example
 * if (isRetryable(error)) setTimeout(tryAgain, 1000);
 */
export function isRetryable(error: unknown): boolean {
  return (error instanceof TributaryApiError || error instanceof TributaryNetworkError) && error.retryable;
}

/**
 * The reason a task's `AbortSignal` fires: this worker no longer holds the
 * lease (it expired and the task was handed out again, or the process ended).
 * Whatever the handler returns after this is dropped, not completed.
 */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  readonly processId: string;
  readonly task: string;

  constructor(processId: string, task: string, options?: ErrorOptions) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(`lease on task '${task}' of process '${processId}' is lost${why}`, options);
    this.processId = processId;
    this.task = task;
  }
}

/** Status texts for error bodies that are not the API's own (API Gateway's 403 and 429, proxies' 502). */
const CODE_BY_STATUS: Readonly<Record<number, string>> = { 401: 'Unauthorized', 403: 'Forbidden', 429: 'TooManyRequests' };

/**
 * The error for a non-2xx response: the API's own `{"error":{code,message,details}}`
 * when the body is one, otherwise a code from the status (API Gateway answers
 * its own 403 and 429 with `{"message":"…"}`).
 */
export function apiErrorFromResponse(status: number, text: string, request: string, retryAfter: string | null): TributaryApiError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = ErrorBodySchema.safeParse(body);
  if (parsed.success) {
    const { code, message, details } = parsed.data.error;
    return new TributaryApiError({ status, code, message, details, request, retryAfter });
  }
  // API Gateway's own errors look like {"message":"Forbidden"}.
  const gatewayMessage = typeof (body as { message?: unknown } | undefined)?.message === 'string' ? (body as { message: string }).message : undefined;
  const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'InternalError' : 'HttpError');
  const message = gatewayMessage ?? (text.trim() === '' ? `HTTP ${status}` : text.slice(0, 200));
  return new TributaryApiError({ status, code, message, request, retryAfter });
}
