import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import spec from '../../openapi.json' with { type: 'json' };

/** One exchange a test made: enough to check the answer against the spec. */
export interface RecordedExchange {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly status: number;
  readonly body: unknown;
}

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

/** A response object, following a `$ref` into components. */
function resolve(response: unknown): unknown {
  const ref = (response as { $ref?: string } | undefined)?.$ref;
  if (ref === undefined) return response;
  const name = ref.replace('#/components/responses/', '');
  return (spec.components.responses as Record<string, unknown>)[name];
}

/**
 * Checks recorded responses against the committed openapi.json with
 * openapi-backend: the operation is found by method and path, then the body
 * is validated against that operation's schema for the status. Returns one
 * line per mismatch, empty when every response conforms.
 *
 * @example
 * const problems = await responsesNotInSpec(recorded);
 * expect(problems).toEqual([]);
 */
export async function responsesNotInSpec(exchanges: readonly RecordedExchange[]): Promise<string[]> {
  // quick: the document itself is checked as OpenAPI 3.1 by tests/api/openapi.test.ts; openapi-backend's own document check knows only 3.0.
  const api = new OpenAPIBackend({ definition: structuredClone(spec) as unknown as Document, quick: true, validate: true, customizeAjv: (ajv) => addFormats(ajv) });
  await api.init();
  const problems: string[] = [];
  for (const exchange of exchanges) {
    const url = new URL(exchange.path, 'http://localhost');
    const operation = api.matchOperation({ method: exchange.method, path: url.pathname, headers: {}, query: Object.fromEntries(url.searchParams) });
    const label = `${exchange.method} ${exchange.path} → ${exchange.status}`;
    if (!operation) {
      // Only the local adapter's own answers (unknown route or method) have no operation.
      if (![404, 405].includes(exchange.status)) problems.push(`${label}: no operation in the spec`);
      continue;
    }
    const declared = (operation.responses ?? {}) as Record<string, unknown>;
    if (!(String(exchange.status) in declared)) {
      problems.push(`${label}: status not declared for ${operation.operationId} (declared: ${Object.keys(declared).join(', ')})`);
      continue;
    }
    const result = api.validateResponse(exchange.body, operation, exchange.status);
    if (!result.valid) problems.push(`${label}: ${JSON.stringify(result.errors)}`);
    // One error schema serves every status, so the codes a response may carry are listed beside it.
    const response = resolve(declared[String(exchange.status)]) as { 'x-error-codes'?: string[] } | undefined;
    const code = (exchange.body as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (response?.['x-error-codes'] && typeof code === 'string' && !response['x-error-codes'].includes(code)) {
      problems.push(`${label}: error code ${code} is not one ${operation.operationId} declares for ${exchange.status} (${response['x-error-codes'].join(', ')})`);
    }
  }
  return problems;
}
