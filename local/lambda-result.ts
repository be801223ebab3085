import type { ServerResponse } from 'node:http';

/** The structured result shape (APIGatewayProxyStructuredResultV2), checked at run time. */
interface StructuredResult {
  statusCode: number;
  headers?: Record<string, boolean | number | string>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/**
 * Writes a handler's return value as API Gateway HTTP APIs would (payload 2.0):
 * a result with a `statusCode` is used as given; anything else is a 200 whose
 * JSON body is the value itself (a string is passed through unchanged).
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.response
 */
export function writeLambdaResult(res: ServerResponse, result: unknown): void {
  if (!isStructured(result)) {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.end(typeof result === 'string' ? result : JSON.stringify(result ?? null));
    return;
  }
  res.statusCode = result.statusCode;
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, String(value));
  if (result.cookies && result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  const body = result.body ?? '';
  res.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function isStructured(result: unknown): result is StructuredResult {
  return typeof result === 'object' && result !== null && typeof (result as { statusCode?: unknown }).statusCode === 'number';
}
