/**
 * The one table from error code to HTTP status: the handlers answer with it
 * (`shared/http/error-response.ts`), and the OpenAPI document lists each
 * route's codes under these statuses.
 */
export const ERROR_STATUS = {
  InvalidDefinition: 400,
  ValidationError: 400,
  InvalidSchedule: 400,
  DefinitionNotFound: 404,
  ProcessNotFound: 404,
  TaskNotFound: 404,
  ScheduleNotFound: 404,
  RouteNotFound: 404,
  TaskAlreadyClaimed: 409,
  TaskNotActive: 409,
  LeaseMismatch: 409,
  ProcessNotRunning: 409,
  ProcessPaused: 409,
  ConcurrencyConflict: 409,
  ProcessStillRunning: 409,
  NothingToRerun: 409,
  IncompatibleVersion: 409,
  IdempotencyKeyReused: 409,
  ConcurrencyLimited: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  InternalError: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * Codes of domain errors that never answer an HTTP call: the use case that
 * meets one records it as the failure of a task (an expression that fails at
 * run time fails its map task with `MapItemsInvalid`, its condition with
 * `ConditionError`). One that escaped to the edge would be a bug: a 500.
 */
export const TASK_FAILURE_ERROR_CODES = ['ExpressionFailed', 'MapItemsInvalid'] as const;

/**
 * Errors the HTTP layer in front of the handlers answers itself, on any
 * route: the local server's (`local/http-server.ts`), in the API's error
 * body. Deployed, API Gateway answers these cases with its own bodies.
 */
export const EDGE_ERROR_STATUS = {
  MethodNotAllowed: 405,
  UriTooLong: 414,
  HeadersTooLarge: 431,
} as const;
