/**
 * Every error Tributary raises on purpose. Each class names its cause, carries
 * a stable `code` (the HTTP API's error code) and says whether retrying the
 * same call can succeed. HTTP statuses are mapped at the edge (shared/http/).
 */

/** One problem in a request or definition, e.g. `{ path: 'tasks[1].needs', message: '...' }`. */
export interface ProblemDetail {
  readonly path?: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

export abstract class TributaryError extends Error {
  abstract readonly code: string;
  /** True when the same call may succeed later without changes. */
  readonly retryable: boolean = false;
  readonly details?: unknown;

  constructor(message: string, options?: ErrorOptions & { details?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    if (options?.details !== undefined) this.details = options.details;
  }
}

/** A definition document that does not parse or validate. `details` lists every problem. */
export class InvalidDefinitionError extends TributaryError {
  readonly code = 'InvalidDefinition';
  declare readonly details: readonly ProblemDetail[];
  constructor(problems: readonly ProblemDetail[], options?: ErrorOptions) {
    super(`definition is invalid: ${problems.length} problem(s): ${problems.map((p) => p.message).join('; ')}`, {
      ...options,
      details: problems,
    });
  }
}

/** A request whose body, path or query does not match the API's schema. */
export class ValidationError extends TributaryError {
  readonly code = 'ValidationError';
  declare readonly details?: readonly ProblemDetail[];
  constructor(message: string, problems?: readonly ProblemDetail[], options?: ErrorOptions) {
    super(message, { ...options, details: problems });
  }
}

export class DefinitionNotFoundError extends TributaryError {
  readonly code = 'DefinitionNotFound';
  constructor(name: string, version?: number, options?: ErrorOptions) {
    super(version === undefined ? `definition '${name}' does not exist` : `definition '${name}' has no version ${version}`, options);
  }
}

export class ProcessNotFoundError extends TributaryError {
  readonly code = 'ProcessNotFound';
  constructor(id: string, options?: ErrorOptions) {
    super(`process '${id}' does not exist`, options);
  }
}

export class TaskNotFoundError extends TributaryError {
  readonly code = 'TaskNotFound';
  constructor(processId: string, task: string, options?: ErrorOptions) {
    super(`process '${processId}' has no task '${task}'`, options);
  }
}

/** Another worker holds a live lease on the task. */
export class TaskAlreadyClaimedError extends TributaryError {
  readonly code = 'TaskAlreadyClaimed';
  override readonly retryable = true;
  constructor(task: string, options?: ErrorOptions) {
    super(`task '${task}' is claimed by another worker`, options);
  }
}

/** The task is not in a state that allows the call (e.g. PENDING, COMPLETED). */
export class TaskNotActiveError extends TributaryError {
  readonly code = 'TaskNotActive';
  /** A retry waiting for its backoff: when the task may be claimed (ISO), also in `details.notBefore`. */
  readonly notBefore?: string;
  constructor(task: string, status: string, options?: ErrorOptions & { notBefore?: string }) {
    super(
      options?.notBefore === undefined
        ? `task '${task}' is ${status}, not active`
        : `task '${task}' is ${status}, waiting for a retry: not before ${options.notBefore}`,
      { ...options, ...(options?.notBefore === undefined ? {} : { details: { notBefore: options.notBefore } }) },
    );
    if (options?.notBefore !== undefined) this.notBefore = options.notBefore;
  }
}

/** The lease token is stale, foreign or missing where one is required. */
export class LeaseMismatchError extends TributaryError {
  readonly code = 'LeaseMismatch';
  constructor(task: string, reason: string, options?: ErrorOptions) {
    super(`lease mismatch on task '${task}': ${reason}`, options);
  }
}

export class ProcessNotRunningError extends TributaryError {
  readonly code = 'ProcessNotRunning';
  constructor(id: string, status: string, options?: ErrorOptions) {
    super(`process '${id}' is ${status}`, options);
  }
}

/** A rerun of a process that has not ended (RUNNING or PAUSED). */
export class ProcessStillRunningError extends TributaryError {
  readonly code = 'ProcessStillRunning';
  constructor(id: string, status: string, options?: ErrorOptions) {
    super(`process '${id}' is ${status}: only an ended process can be rerun (cancel it first)`, options);
  }
}

/** A rerun that would run nothing again: a COMPLETED process without `fromTasks`. */
export class NothingToRerunError extends TributaryError {
  readonly code = 'NothingToRerun';
  constructor(id: string, status: string, options?: ErrorOptions) {
    super(`process '${id}' is ${status} and every task completed: name the tasks to run again in fromTasks`, options);
  }
}

/** A rerun onto a version that cannot take the completed tasks it would keep. `details` lists every difference. */
export class IncompatibleVersionError extends TributaryError {
  readonly code = 'IncompatibleVersion';
  declare readonly details: readonly { readonly task: string; readonly problem: string; readonly message: string }[];
  constructor(name: string, from: number, to: number, differences: readonly { task: string; problem: string; message: string }[], options?: ErrorOptions) {
    super(`version ${to} of '${name}' cannot take the tasks kept from version ${from}: ${differences.map((d) => d.message).join('; ')}`, { ...options, details: differences });
  }
}

/**
 * A claim on a paused process. Not retryable: the worker drops its message, and
 * the resume sends the messages of every SCHEDULED task again. The claim is undone
 * (the task is SCHEDULED again at the same attempt).
 */
export class ProcessPausedError extends TributaryError {
  readonly code = 'ProcessPaused';
  constructor(id: string, options?: ErrorOptions) {
    super(`process '${id}' is PAUSED: nothing is claimed until it is resumed`, options);
  }
}

/**
 * A start that reuses an idempotency key with a different definition, version
 * or input: the key already names another request's process. Not retryable.
 */
export class IdempotencyKeyReusedError extends TributaryError {
  readonly code = 'IdempotencyKeyReused';
  constructor(key: string, processId: string, options?: ErrorOptions) {
    super(
      `idempotencyKey '${key}' already started process '${processId}' with a different definition, version or input; use a new key for a different request`,
      options,
    );
  }
}

export class PayloadTooLargeError extends TributaryError {
  readonly code = 'PayloadTooLarge';
  constructor(what: string, size: number, limit: number, options?: ErrorOptions) {
    super(`${what} is ${size} bytes; the limit is ${limit}`, options);
  }
}

export class UnsupportedMediaTypeError extends TributaryError {
  readonly code = 'UnsupportedMediaType';
  constructor(contentType: string, supported: readonly string[], options?: ErrorOptions) {
    super(`content type '${contentType}' is not supported; use one of ${supported.join(', ')}`, options);
  }
}

/**
 * An optimistic-locking race was lost more times than the retry budget allows.
 * Retryable: the caller may try again.
 */
export class ConcurrencyConflictError extends TributaryError {
  readonly code = 'ConcurrencyConflict';
  override readonly retryable = true;
  constructor(what: string, options?: ErrorOptions) {
    super(`concurrent update of ${what}; retry`, options);
  }
}

/**
 * A CEL expression of a definition (a map's items, a condition, a concurrency
 * key, a sub-process's input) that failed when it was evaluated: the message
 * names the expression and the error. Terminal: the same expression over the
 * same variables fails again. It never answers an HTTP call: the use case that
 * evaluates turns it into the failure of its task (e.g. `MapItemsInvalid`).
 */
export class ExpressionError extends TributaryError {
  readonly code = 'ExpressionFailed';
  /** The expression, as written. */
  readonly source: string;
  /** What went wrong, without the expression (e.g. `no such key: files`). */
  readonly reason: string;
  constructor(source: string, reason: string, options?: ErrorOptions) {
    // Up to 4,096 characters may be written; the message quotes enough to recognise it.
    const quoted = source.length > 200 ? `${source.slice(0, 200)}…` : source;
    super(`expression ${JSON.stringify(quoted)} failed: ${reason}`, options);
    this.source = source;
    this.reason = reason;
  }
}

/**
 * A map's items cannot be read (`itemsFrom`): the object is missing or unreadable, it is not a JSON array / not
 * JSON Lines, or an item is over the size limit. Terminal: reading the same object again gives the same answer, so
 * the map task fails with this code and its failure policy applies. The message names what was found (the object,
 * the item and its byte offset, the size).
 */
export class MapItemsError extends TributaryError {
  readonly code = 'MapItemsInvalid';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A schedule spec that does not validate: `details` names each field (`body.cron`, `body.timezone`, …). */
export class InvalidScheduleError extends TributaryError {
  readonly code = 'InvalidSchedule';
  declare readonly details: readonly ProblemDetail[];
  constructor(problems: readonly ProblemDetail[], options?: ErrorOptions) {
    super(`schedule is invalid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, { ...options, details: problems });
  }
}

export class ScheduleNotFoundError extends TributaryError {
  readonly code = 'ScheduleNotFound';
  constructor(name: string, options?: ErrorOptions) {
    super(`schedule '${name}' not found`, options);
  }
}

/**
 * A claim, heartbeat, completion or failure of a process task (`process:`):
 * no worker runs it. Its child process ends it; the task shows `childProcessId`.
 */
export class ProcessTaskNotClaimableError extends TributaryError {
  readonly code = 'ProcessTaskNotClaimable';
  constructor(task: string, operation: string, options?: ErrorOptions) {
    super(`task '${task}' runs a sub-process: only its child process ends it, so it cannot be ${operation} by a worker`, options);
  }
}

export function isTributaryError(e: unknown): e is TributaryError {
  return e instanceof TributaryError;
}


/**
 * A start over a definition's process concurrency limit under `onLimit: rejectNew` (or a rerun with no free slot):
 * nothing was created. `details`: `{limit, key}` (the key's value, absent for a definition without a key).
 * Retryable: the same call succeeds once a slot frees.
 */
export class ProcessConcurrencyLimitedError extends TributaryError {
  readonly code = 'ConcurrencyLimited';
  override readonly retryable = true;
  declare readonly details: { readonly limit: number; readonly key?: string };
  constructor(definition: string, limit: number, key: string | undefined, options?: ErrorOptions) {
    super(`definition '${definition}' already has ${limit} process(es) running${key === undefined ? '' : ` for concurrency key ${JSON.stringify(key)}`} (its concurrency limit); retry later`, {
      ...options,
      details: { limit, ...(key === undefined ? {} : { key }) },
    });
  }
}
