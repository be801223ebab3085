import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { z } from 'zod';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError, type ProblemDetail } from '#domain/errors.ts';
import { MAX_JSON_DEPTH } from '#schemas/json-depth.ts';
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
  readonly handle: (req: HttpRequest<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<HttpResult>;
}

/**
 * Builds a thin API Gateway (payload v2) handler: headers are normalised, the
 * body's size and media type are checked, params, query and body are parsed with
 * zod (400 naming each problem), and typed errors are mapped to statuses.
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
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .handler(async (event) => {
      try {
        const params = parseWith(spec.params, event.pathParameters ?? {}, 'path');
        const query = parseWith(spec.query, event.queryStringParameters ?? {}, 'query');
        const body = spec.body || spec.decodeBody ? decodeBody(event, spec) : undefined;
        const result = await spec.handle({ params, query, body, event } as HttpRequest<z.infer<P>, z.infer<Q>, z.infer<B>>);
        return jsonResponse(result.status, result.body);
      } catch (error) {
        return errorResponse(error);
      }
    });
}

function decodeBody<B extends z.ZodType>(event: APIGatewayProxyEventV2, spec: HttpHandlerSpec<z.ZodType, z.ZodType, B>): unknown {
  const raw = event.body === undefined || event.body === null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const size = Buffer.byteLength(raw, 'utf8');
  if (size > MAX_BODY_BYTES) throw new PayloadTooLargeError('request body', size, MAX_BODY_BYTES);
  const contentType = (event.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (spec.decodeBody) return spec.decodeBody(raw, contentType);
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
