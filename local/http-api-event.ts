import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Account id that the local stack reports; the SQS emulator uses the same one in queue ARNs. */
export const LOCAL_ACCOUNT_ID = '123456789012';
export const LOCAL_API_ID = 'local';

export interface HttpRequestInput {
  readonly method: string;
  /** Request target as received: path and query, still percent-encoded. */
  readonly url: string;
  /** Header name to every value received under it (Node's `headersDistinct`). */
  readonly headers: Readonly<Record<string, readonly string[] | undefined>>;
  readonly body: Buffer;
  readonly sourceIp: string;
  /** e.g. `HTTP/1.1` */
  readonly protocol: string;
  readonly routeKey: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly now: Date;
}

/**
 * Builds the event API Gateway HTTP APIs send to Lambda (payload format 2.0):
 * header names lower-cased with repeated values joined by `,`, cookies moved
 * out of the headers into `cookies`, repeated query keys joined by `,`, path
 * parameters decoded, and a body that is text or base64 by its content type.
 * Optional fields are left out when empty, as API Gateway does.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function buildHttpApiEvent(input: HttpRequestInput): APIGatewayProxyEventV2 {
  const queryAt = input.url.indexOf('?');
  const rawPath = queryAt === -1 ? input.url : input.url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : input.url.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (const [name, values] of Object.entries(input.headers)) {
    if (values === undefined) continue;
    if (name.toLowerCase() === 'cookie') cookies = cookies.concat(values.flatMap(splitCookies));
    else headers[name.toLowerCase()] = values.join(',');
  }
  // API Gateway adds these; handlers may read the client address from them.
  headers['x-forwarded-for'] ??= input.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';

  const domainName = headers.host ?? 'localhost';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: input.routeKey,
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_API_ID,
      domainName,
      domainPrefix: domainName.replace(/:\d+$/, '').split('.')[0]!,
      http: {
        method: input.method.toUpperCase(),
        path: rawPath,
        protocol: input.protocol,
        sourceIp: input.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: input.requestId,
      routeKey: input.routeKey,
      stage: '$default',
      time: formatRequestTime(input.now),
      timeEpoch: input.now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies.length > 0) event.cookies = cookies;
  const query = parseQuery(rawQueryString);
  if (query) event.queryStringParameters = query;
  if (Object.keys(input.pathParameters).length > 0) event.pathParameters = { ...input.pathParameters };
  if (input.body.length > 0) {
    const asText = isTextContentType(headers['content-type']) ? decodeUtf8(input.body) : undefined;
    event.body = asText ?? input.body.toString('base64');
    event.isBase64Encoded = asText === undefined;
  }
  return event;
}

/** Repeated keys are joined by `,` (`a=1&a=2` → `{ a: '1,2' }`), as HTTP APIs do. */
export function parseQuery(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  return Object.keys(query).length > 0 ? query : undefined;
}

/**
 * Content types passed to Lambda as text. Without a content type the body is
 * sent as text when it is valid UTF-8, which is what clients like curl send.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.trim() === '') return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    /^application\/([\w.-]+\+)?(json|xml|yaml|x-yaml|javascript|x-www-form-urlencoded|graphql)$/.test(type) ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
}

function decodeUtf8(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

function splitCookies(header: string): string[] {
  return header
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's CLF-style request time, e.g. `12/Mar/2020:19:03:58 +0000`. */
export function formatRequestTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
