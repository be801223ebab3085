import { z } from 'zod';
import { routes, type RouteSpec } from '#config/routes.ts';
import { API_CONTRACT, ERROR_STATUS, type ErrorCode, type RouteContract } from './api-contract.ts';
import { errorBodySchema } from './responses.ts';

type JsonSchema = Record<string, unknown>;

/** Where a definition's own $defs go in the document. */
const COMPONENTS = '#/components/schemas/';

const REASONS: Readonly<Record<number, string>> = {
  400: 'the request does not match the schema',
  404: 'not found',
  409: 'conflict with the current state',
  413: 'the request body is over 256 KiB',
  415: 'unsupported content type',
  500: 'internal error (no details are exposed)',
};

/**
 * Builds the OpenAPI 3.1 document of the HTTP API from the route table and
 * the zod schemas of each route (shared/schemas/api-contract.ts). Pure and
 * deterministic: the committed openapi.json is its output, and a test fails
 * when the two differ.
 *
 * @example
 * const doc = buildOpenApiDocument();
 * doc.paths['/processes'].post.responses['201'];
 */
export function buildOpenApiDocument(version = '0.1.0'): { openapi: string; paths: Record<string, Record<string, unknown>> } & JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => toComponentSchema(schema, io, components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const contract = API_CONTRACT[route.id];
    if (!contract) throw new Error(`route ${route.id} has no entry in API_CONTRACT`);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route, contract, convert);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Tributary',
      version,
      description:
        'Serverless DAG workflow orchestrator. Deployed APIs are IAM-authorized (SigV4, service execute-api) or JWT-authorized; the local stack (`npm start`) takes no auth. Every error has the body {"error":{"code","message","details"?}}.',
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'the local stack (npm start)' }],
    tags: [
      { name: 'definitions', description: 'Versioned, immutable workflow definitions' },
      { name: 'processes', description: 'Runs of a definition' },
      { name: 'tasks', description: 'What workers call: claim, heartbeat, complete, fail' },
      { name: 'meta', description: 'Health and this document' },
    ],
    paths,
    components: { schemas: Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b))) },
  };
}

function operation(route: RouteSpec, contract: RouteContract, convert: (s: z.ZodType, io: 'input' | 'output') => JsonSchema): JsonSchema {
  const parameters = [
    ...objectParameters(contract.params, 'path', convert),
    ...objectParameters(contract.query, 'query', convert),
  ];
  const responses: Record<string, unknown> = {};
  for (const [status, { description, schema }] of Object.entries(contract.responses)) {
    responses[status] = { description, content: { 'application/json': { schema: convert(schema, 'output') } } };
  }
  const validates = contract.params !== undefined || contract.query !== undefined || contract.body !== undefined;
  // Every route refuses a body over the size limit, even one that takes no body (shared/http/http-handler.ts).
  const codes: ErrorCode[] = [...(validates ? (['ValidationError'] as const) : []), ...contract.errors, 'PayloadTooLarge', 'InternalError'];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const unique = [...new Set(list)] as [string, ...string[]];
    responses[String(status)] = {
      description: `${REASONS[status] ?? 'error'}: ${unique.join(', ')}`,
      content: { 'application/json': { schema: convert(errorBodySchema(unique), 'output') } },
    };
  }
  const body = contract.body
    ? {
        // An empty body is read as {}: it is optional when {} is valid.
        required: !contract.body.safeParse({}).success,
        content: {
          'application/json': { schema: convert(contract.body, 'input') },
          ...(contract.yamlBody ? { 'application/yaml': { schema: { type: 'string', description: 'the same document as YAML' } } } : {}),
        },
      }
    : undefined;
  return {
    operationId: lowerFirst(route.id),
    summary: contract.summary,
    tags: [contract.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses,
  };
}

function objectParameters(schema: z.ZodObject | undefined, where: 'path' | 'query', convert: (s: z.ZodType, io: 'input' | 'output') => JsonSchema): JsonSchema[] {
  if (!schema) return [];
  const json = convert(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

/** A zod schema as JSON Schema 2020-12, with named schemas (`.meta({ id })`) moved to components and referenced. */
function toComponentSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, JsonSchema>): JsonSchema {
  const raw = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const relinked = JSON.parse(JSON.stringify(raw).replaceAll('"#/$defs/', `"${COMPONENTS}`)) as typeof raw;
  const { $schema: _, $defs, ...rest } = relinked;
  for (const [id, def] of Object.entries($defs ?? {})) {
    // A name used for input and output alike must mean one shape.
    const existing = components[id];
    if (existing && JSON.stringify(existing) !== JSON.stringify(def)) throw new Error(`component ${id} has two shapes (${io})`);
    components[id] = def;
  }
  return rest;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
