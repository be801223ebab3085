import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { isTributaryError, type TributaryError } from '#domain/errors.ts';
import { ERROR_STATUS } from '#schemas/error-status.ts';

/** The status of a typed error, from the one table (`ERROR_STATUS`, which the OpenAPI document is built from too). Anything not listed is a 500. */
export function statusOf(error: TributaryError): number {
  return (ERROR_STATUS as Readonly<Record<string, number>>)[error.code] ?? 500;
}

/** The body of a 500: fixed, so it always serialises. */
const INTERNAL_ERROR_BODY = '{"error":{"code":"InternalError","message":"internal error"}}\n';

/**
 * A JSON response. It never throws: it often runs after a state change was
 * committed, and a throw there would turn a done change into a 500 that the
 * client retries. A body that cannot be serialised (too deep for
 * `JSON.stringify`, a BigInt, a cycle) is a bug, since request payloads are
 * bounded at the edge (json-depth.ts): it is logged and answered with a 500.
 */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
  log: (msg: string, e: unknown) => void = defaultLog,
): APIGatewayProxyStructuredResultV2 {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    safeLog(log, `response body of a ${statusCode} could not be serialised`, error);
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: INTERNAL_ERROR_BODY };
  }
  // The newline keeps a shell prompt off the end of curl's output.
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: `${text}\n` };
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
      return jsonResponse(status, { error: body }, {}, log);
    }
  }
  safeLog(log, 'unhandled error', error);
  return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: INTERNAL_ERROR_BODY };
}

/** Logging must not turn an answer into a throw either. */
function safeLog(log: (msg: string, e: unknown) => void, msg: string, e: unknown): void {
  try {
    log(msg, e);
  } catch {
    // Nothing left to tell; the response still goes out.
  }
}

function defaultLog(msg: string, e: unknown): void {
  const error = e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : describe(e);
  console.error(JSON.stringify({ level: 'ERROR', message: msg, error }));
}

function describe(e: unknown): string {
  try {
    return String(e);
  } catch {
    return Object.prototype.toString.call(e);
  }
}
