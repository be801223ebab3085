import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type ProblemDetail } from '#domain/errors.ts';
import { MAX_JSON_DEPTH } from '#schemas/json-depth.ts';
import { METRIC } from '#observability/metric-names.ts';
import { countMetric, flushMetrics, logger, traceHandler, tracing } from '#observability/powertools.ts';
import { errorResponse, jsonResponse } from './error-response.ts';

/** Largest request body accepted (bytes). Outputs and inputs must fit a DynamoDB item with room to spare. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
}

export interface HttpRequest<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly event: APIGatewayProxyEventV2;
}

export interface HttpHandlerSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  readonly params?: P;
  readonly query?: Q;
  /** JSON body schema. Omit for routes without a body. */
  readonly body?: B;
  /**
   * Custom body decoding (e.g. YAML definitions). Receives the raw text and the
   * content type; overrides `body`'s JSON decoding.
   */
  readonly decodeBody?: (raw: string, contentType: string) => unknown;
  /** With `decodeBody`: the media types it reads (any other gets 415). No content type at all is accepted. */
  readonly mediaTypes?: readonly string[];
  readonly handle: (req: HttpRequest<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<HttpResult>;
  /**
   * Called with the response status, for outcome metrics (tasks completed,
   * stale results rejected). Runs in the handler layer, so the use cases stay
   * free of metrics.
   */
  readonly onResult?: (status: number) => void;
}

/**
 * Builds a thin API Gateway (payload v2) handler: headers are normalised, the
 * body's size (on every route) and media type are checked, params, query and
 * body are parsed with zod (400 naming each problem), and typed errors are
 * mapped to statuses. Every log line carries the Lambda and API request ids,
 * the route, and the `processId` and `task` of the path; a 5xx response counts
 * in the `HandledServerErrors` metric, which an alarm watches.
 *
 * @example
 * export const handler = httpHandler({
 *   params: z.object({ id: z.string() }),
 *   handle: async ({ params }) => ({ status: 200, body: await getProcess(deps, params.id) }),
 * });
 */
export function httpHandler<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType>(
  spec: HttpHandlerSpec<P, Q, B>,
): middy.MiddyfiedHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context> {
  const chain = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>();
  if (tracing) chain.use(traceHandler());
  return chain
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(httpHeaderNormalizer())
    .handler(async (event) => {
      logger.setCorrelationId(event.requestContext?.requestId);
      logger.appendKeys({
        route: event.routeKey,
        ...(event.pathParameters?.id === undefined ? {} : { processId: event.pathParameters.id }),
        ...(event.pathParameters?.task === undefined ? {} : { task: event.pathParameters.task }),
      });
      let response: APIGatewayProxyStructuredResultV2;
      try {
        const params = parseWith(spec.params, event.pathParameters ?? {}, 'path');
        const query = parseWith(spec.query, event.queryStringParameters ?? {}, 'query');
        const raw = rawBody(event);
        const body = spec.body || spec.decodeBody ? decodeBody(raw, event, spec) : undefined;
        const result = await spec.handle({ params, query, body, event } as HttpRequest<z.infer<P>, z.infer<Q>, z.infer<B>>);
        response = jsonResponse(result.status, result.body);
      } catch (error) {
        response = errorResponse(error, (message, e) => (e instanceof Error ? logger.error(message, e) : logger.error(message, { error: String(e) })));
      }
      const status = response.statusCode ?? 200;
      if (status >= 500) countMetric(METRIC.handledServerErrors);
      spec.onResult?.(status);
      flushMetrics();
      return response;
    });
}

/** The body as text, refused beyond {@link MAX_BODY_BYTES} whether or not the route reads it. */
function rawBody(event: APIGatewayProxyEventV2): string {
  const raw = event.body === undefined || event.body === null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const size = Buffer.byteLength(raw, 'utf8');
  if (size > MAX_BODY_BYTES) throw new PayloadTooLargeError('request body', size, MAX_BODY_BYTES);
  return raw;
}

function decodeBody<B extends z.ZodType>(raw: string, event: APIGatewayProxyEventV2, spec: HttpHandlerSpec<z.ZodType, z.ZodType, B>): unknown {
  const contentType = (event.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (spec.decodeBody) {
    if (spec.mediaTypes && contentType !== '' && !spec.mediaTypes.includes(contentType)) throw new UnsupportedMediaTypeError(contentType, spec.mediaTypes);
    return spec.decodeBody(raw, contentType);
  }
  if (raw.trim() === '') return parseWith(spec.body, {}, 'body');
  if (contentType !== '' && contentType !== 'application/json' && !contentType.endsWith('+json')) {
    throw new UnsupportedMediaTypeError(contentType, ['application/json']);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    // V8 parses iteratively today, but a parser that recurses throws RangeError on deep input: still the client's 400.
    if (e instanceof RangeError) {
      const message = `request body is nested too deeply to parse; payloads may nest at most ${MAX_JSON_DEPTH} levels of arrays and objects`;
      throw new ValidationError(message, [{ path: 'body', message }], { cause: e });
    }
    throw new ValidationError(`request body is not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  return parseWith(spec.body, json, 'body');
}

/** Parses `value` with `schema`, turning zod issues into a 400 naming each problem. */
export function parseWith<S extends z.ZodType | undefined>(schema: S, value: unknown, where: string): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems: ProblemDetail[] = result.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new ValidationError(`invalid ${where}: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems);
}
