import { z } from 'zod';
import { EDGE_ERROR_STATUS, ERROR_STATUS, type ErrorCode } from './error-status.ts';
import { ErrorBodySchema, GatewayErrorSchema } from './responses.ts';
import { API_ROUTES, type RouteId } from './routes/api-routes.ts';
import { JSON_MEDIA_TYPES, type AnyRoute, type RouteGroup } from './routes/route-declaration.ts';

type JsonSchema = Record<string, unknown>;

/** An OpenAPI 3.1 document, typed as far as the tests and the served copy need. */
export type OpenApiDocument = JsonSchema & {
  openapi: string;
  info: JsonSchema;
  servers: JsonSchema[];
  paths: Record<string, Record<string, JsonSchema>>;
  components: { schemas: Record<string, JsonSchema> } & JsonSchema;
};

/** Where a schema's own $defs go in the document. */
const COMPONENTS = '#/components/schemas/';
const ERROR_REF = { $ref: `${COMPONENTS}Error` };

/** The license of the package (package.json `license`); a test keeps the two in step. */
export const API_LICENSE = { name: 'UNLICENSED', identifier: 'UNLICENSED' } as const;

const REASONS: Readonly<Record<number, string>> = {
  400: 'the request does not match the schema',
  404: 'not found',
  409: 'conflict with the current state',
  413: 'the request body is over 256 KiB',
  415: 'unsupported content type',
  500: 'internal error (no details are exposed)',
};

/** The default JWT scope of each group (`DEFAULT_JWT_SCOPES` in infra/, overridable per deployment). */
const JWT_SCOPE: Readonly<Record<RouteGroup, string | undefined>> = { health: undefined, read: 'tributary/read', control: 'tributary/control', worker: 'tributary/work' };

/** Answers every operation can get from API Gateway or the local server, before any handler runs. */
const SHARED_RESPONSES: Record<string, JsonSchema> = {
  Unauthorized: gatewayResponse('401: no valid credentials (a missing or bad SigV4 signature or JWT). API Gateway answers it with its own body.'),
  Forbidden: gatewayResponse("403: the caller may not call this route (IAM policy, or the JWT lacks the route group's scope). API Gateway answers it with its own body."),
  TooManyRequests: gatewayResponse("429: over the stage's throttle; retry with backoff. API Gateway answers it with its own body."),
  MethodNotAllowed: edgeResponse('MethodNotAllowed', 'the path exists, but not with this method; the Allow header lists the methods it has (the local server)'),
  UriTooLong: edgeResponse('UriTooLong', `the request URL is over 16 KiB (the local server)`),
  HeadersTooLarge: edgeResponse('HeadersTooLarge', 'the request line and headers are over 16 KiB (the local server)'),
  Error: { description: 'any other error, in the API error body', content: { 'application/json': { schema: ERROR_REF } } },
};

/**
 * Builds the OpenAPI 3.1 document of the HTTP API from the route
 * declarations (`shared/schemas/routes/`). Pure and deterministic: the
 * committed openapi.json is its output, and a test fails when the two differ.
 * GET /openapi.json serves it with the serving stack's URL first in `servers`.
 *
 * @example
 * const doc = buildOpenApiDocument();
 * doc.paths['/processes'].post.responses['201'];
 */
export function buildOpenApiDocument(version = '0.1.0'): OpenApiDocument {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => toComponentSchema(schema, io, components);
  convert(ErrorBodySchema, 'output');
  convert(GatewayErrorSchema, 'output');
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const id of Object.keys(API_ROUTES) as RouteId[]) {
    const route: AnyRoute = API_ROUTES[id];
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(id, route, convert);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tributary',
      version,
      license: API_LICENSE,
      description:
        'Serverless DAG workflow orchestrator. A deployed API takes either AWS IAM (SigV4) or JWT authorization, chosen when it is deployed; the local stack (`npm start`) takes none. ' +
        `Under JWT, the worker routes are also served under \`/iam\` with IAM authorization. Every error the API itself answers has the body {"error":{"code","message","details"?}} (schema Error); each response lists the codes it can carry in \`x-error-codes\`.`,
    },
    servers: [
      {
        url: '{baseUrl}',
        description: 'a Tributary API: a deployed stack (its ApiUrl output), or the local stack (`npm start`). GET /openapi.json names the URL it was served from.',
        variables: { baseUrl: { default: 'http://127.0.0.1:3000', description: 'the base URL, without a trailing slash' } },
      },
    ],
    tags: [
      { name: 'definitions', description: 'Versioned, immutable workflow definitions' },
      { name: 'processes', description: 'Runs of a definition' },
      { name: 'tasks', description: 'What workers call: claim, heartbeat, complete, fail, release' },
      { name: 'schedules', description: 'Starting processes on a clock: overlap and catch-up policies, trigger, backfill' },
      { name: 'meta', description: 'Health and this document' },
    ],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))),
      responses: SHARED_RESPONSES,
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          in: 'header',
          name: 'Authorization',
          description:
            'AWS Signature Version 4 (service `execute-api`), for an API deployed with IAM authorization (the default): sign each request with credentials allowed `execute-api:Invoke` on the route.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
        jwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: "For an API deployed with JWT authorization: a token from the configured issuer and audience, with the route group's scope (defaults: tributary/read, tributary/control, tributary/work).",
        },
      },
    },
  };
}

function operation(id: RouteId, route: AnyRoute, convert: (s: z.ZodType, io: 'input' | 'output') => JsonSchema): JsonSchema {
  const parameters = [...objectParameters(route.params, 'path', convert), ...objectParameters(route.query, 'query', convert)];
  const responses: Record<string, unknown> = {};
  for (const [status, { description, schema }] of Object.entries(route.responses)) {
    responses[status] = { description, content: { 'application/json': { schema: convert(schema, 'output') } } };
  }
  for (const [status, codes] of errorStatuses(route)) {
    responses[String(status)] = {
      description: `${REASONS[status] ?? 'error'}: ${codes.join(', ')}`,
      'x-error-codes': codes,
      content: { 'application/json': { schema: ERROR_REF } },
    };
  }
  Object.assign(responses, {
    '401': { $ref: '#/components/responses/Unauthorized' },
    '403': { $ref: '#/components/responses/Forbidden' },
    '405': { $ref: '#/components/responses/MethodNotAllowed' },
    '414': { $ref: '#/components/responses/UriTooLong' },
    '429': { $ref: '#/components/responses/TooManyRequests' },
    '431': { $ref: '#/components/responses/HeadersTooLarge' },
    default: { $ref: '#/components/responses/Error' },
  });
  const scope = JWT_SCOPE[route.group];
  return {
    operationId: id.charAt(0).toLowerCase() + id.slice(1),
    summary: route.summary,
    description: route.description,
    tags: [route.tag],
    security: [{ sigv4: [] }, { jwt: scope === undefined ? [] : [scope] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBody(route, route.body, convert) } : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => (a === 'default' ? 1 : b === 'default' ? -1 : Number(a) - Number(b)))),
  };
}

/** The error codes a route can answer, by status: its own, plus what every route can (see {@link RouteDeclaration.errors}). */
export function errorStatuses(route: AnyRoute): [number, string[]][] {
  const takesInput = route.params !== undefined || route.query !== undefined || route.body !== undefined;
  // Every route refuses a body over the size limit, even one that takes no body (shared/http/http-handler.ts).
  const codes: ErrorCode[] = [...(takesInput ? (['ValidationError'] as const) : []), ...route.errors, 'PayloadTooLarge', 'InternalError'];
  const byStatus = new Map<number, string[]>();
  for (const code of new Set(codes)) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return [...byStatus].sort(([a], [b]) => a - b);
}

function requestBody(route: AnyRoute, body: z.ZodType, convert: (s: z.ZodType, io: 'input' | 'output') => JsonSchema): JsonSchema {
  const json = { schema: convert(body, 'input'), ...(route.example === undefined ? {} : { example: route.example }) };
  const content: Record<string, JsonSchema> = {};
  for (const type of route.mediaTypes ?? JSON_MEDIA_TYPES) {
    content[type] = type === 'application/json' ? json : { schema: { type: 'string', description: 'the same document as text (YAML; JSON is YAML too)' } };
  }
  // An empty JSON body is read as {}, so by default the body is optional exactly when {} is valid.
  return { required: route.bodyRequired ?? !body.safeParse({}).success, content };
}

function objectParameters(schema: z.ZodObject | undefined, where: 'path' | 'query', convert: (s: z.ZodType, io: 'input' | 'output') => JsonSchema): JsonSchema[] {
  if (!schema) return [];
  const json = convert(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    if (typeof description !== 'string') throw new Error(`${where} parameter '${name}' has no description (.describe() it)`);
    return { name, in: where, required: where === 'path' || (json.required ?? []).includes(name), description, schema: rest };
  });
}

/** A zod schema as JSON Schema 2020-12, with named schemas (`.meta({ id })`) moved to components and referenced. */
function toComponentSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const relinked = JSON.parse(JSON.stringify(raw).replaceAll('"#/$defs/', `"${COMPONENTS}`), widenIntegers) as typeof raw;
  const { $schema: _, $defs, id, ...rest } = relinked;
  // A top-level `.meta({ id })` names the schema itself: it becomes a component too.
  const named = typeof id === 'string' ? { ...($defs ?? {}), [id]: rest } : ($defs ?? {});
  for (const [name, def] of Object.entries(named)) {
    // A name used for input and output alike must mean one shape.
    const existing = components[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(def)) throw new Error(`component ${name} has two shapes (${io})`);
    components[name] = def;
  }
  return typeof id === 'string' ? { $ref: `${COMPONENTS}${id}` } : rest;
}

/** An integer whose range passes 32 bits is an int64, so that generated clients do not truncate it. */
function widenIntegers(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const node = value as JsonSchema;
  if (node.type !== 'integer' || node.format !== undefined) return value;
  const max = typeof node.maximum === 'number' ? node.maximum : Infinity;
  const min = typeof node.minimum === 'number' ? node.minimum : -Infinity;
  return max > 2 ** 31 - 1 || min < -(2 ** 31) ? { ...node, format: 'int64' } : value;
}

function gatewayResponse(description: string): JsonSchema {
  return { description, content: { 'application/json': { schema: { $ref: `${COMPONENTS}GatewayError` } } } };
}

function edgeResponse(code: keyof typeof EDGE_ERROR_STATUS, description: string): JsonSchema {
  return { description: `${EDGE_ERROR_STATUS[code]}: ${description}`, 'x-error-codes': [code], content: { 'application/json': { schema: ERROR_REF } } };
}
