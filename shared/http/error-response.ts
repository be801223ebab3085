import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isTributaryError, type TributaryError } from '#domain/errors.ts';

/** The one table from error code to HTTP status. Anything not listed is a 500. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  InvalidDefinition: 400,
  ValidationError: 400,
  DefinitionNotFound: 404,
  ProcessNotFound: 404,
  TaskNotFound: 404,
  RouteNotFound: 404,
  TaskAlreadyClaimed: 409,
  TaskNotActive: 409,
  LeaseMismatch: 409,
  ProcessNotRunning: 409,
  ConcurrencyConflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
};

export function statusOf(error: TributaryError): number {
  return STATUS_BY_CODE[error.code] ?? 500;
}

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    // The newline keeps a shell prompt off the end of curl's output.
    body: `${JSON.stringify(body)}\n`,
  };
}

/**
 * Turns any thrown value into the API's error body `{"error":{code,message,details?}}`.
 * Unknown errors become a generic 500 with no internals in the body; they are logged.
 */
export function errorResponse(error: unknown, log: (msg: string, e: unknown) => void = defaultLog): APIGatewayProxyStructuredResultV2 {
  if (isTributaryError(error)) {
    const status = statusOf(error);
    if (status < 500) {
      const body: { code: string; message: string; details?: unknown } = { code: error.code, message: error.message };
      if (error.details !== undefined) body.details = error.details;
      return jsonResponse(status, { error: body });
    }
  }
  log('unhandled error', error);
  return jsonResponse(500, { error: { code: 'InternalError', message: 'internal error' } });
}

function defaultLog(msg: string, e: unknown): void {
  console.error(JSON.stringify({ level: 'ERROR', message: msg, error: e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : String(e) }));
}
