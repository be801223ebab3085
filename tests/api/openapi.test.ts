import { readFile } from 'node:fs/promises';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#config/routes.ts';
import type { TributaryError } from '#domain/errors.ts';
import { statusOf } from '#http/error-response.ts';
import { API_CONTRACT, ERROR_STATUS } from '#schemas/api-contract.ts';
import { buildOpenApiDocument } from '#schemas/openapi-document.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { responsesNotInSpec } from '../support/openapi-responses.ts';

const COMMITTED = new URL('../../openapi.json', import.meta.url);

describe('openapi.json', () => {
  it('is what the code generates now (regenerate with `npm run openapi`)', async () => {
    const committed = await readFile(COMMITTED, 'utf8');
    expect(committed).toBe(`${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(JSON.parse(await readFile(COMMITTED, 'utf8')) as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('covers exactly the routes of the route table, each with its params', () => {
    expect(Object.keys(API_CONTRACT).sort()).toEqual(routes.map((r) => r.id).sort());
    const doc = buildOpenApiDocument();
    for (const route of routes) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()] as { parameters?: { name: string; in: string }[] } | undefined;
      expect(op, route.id).toBeDefined();
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect((op?.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name), route.id).toEqual(pathParams);
    }
  });

  it("maps each error code to the same status as the API's error mapping", () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) expect(statusOf({ code } as TributaryError), code).toBe(status);
  });
});

describe('GET /openapi.json and the response check', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it('serves the committed document', async () => {
    const res = await api.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(await readFile(COMMITTED, 'utf8')));
  });

  it('flags a body the spec does not describe, a status it does not declare, and an unknown error code (the control)', async () => {
    const problems = await responsesNotInSpec([
      { method: 'GET', path: '/health', status: 200, body: { status: 'ok' } },
      { method: 'GET', path: '/health', status: 200, body: { status: 'ok', extra: 1 } },
      { method: 'GET', path: '/health', status: 404, body: { error: { code: 'RouteNotFound', message: 'x' } } },
      { method: 'GET', path: '/processes/abc', status: 404, body: { error: { code: 'TaskNotFound', message: 'x' } } },
      { method: 'GET', path: '/processes?limit=5', status: 200, body: { items: [{ id: 'a' }] } },
    ]);
    expect(problems).toHaveLength(4);
    expect(problems[0]).toContain('GET /health → 200');
    expect(problems[1]).toContain('status not declared');
  });
});
