import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { routes } from '#config/routes.ts';
import { openApiDocumentFor } from '#http/served-openapi.ts';
import { ERROR_STATUS, TASK_FAILURE_ERROR_CODES } from '#schemas/error-status.ts';
import { API_LICENSE, buildOpenApiDocument, errorStatuses } from '#schemas/openapi-document.ts';
import { API_ROUTES, ROUTE_IDS } from '#schemas/routes/api-routes.ts';
import { pathParamsOf } from '#schemas/routes/route-declaration.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { responsesNotInSpec, type RecordedExchange } from '../support/openapi-responses.ts';

const COMMITTED = new URL('../../openapi.json', import.meta.url);
const REPO_ROOT = new URL('../../', import.meta.url);
type Operation = { operationId: string; parameters?: { name: string; in: string; description?: string }[]; requestBody?: { content: Record<string, { example?: unknown }> } };

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

  it('passes `redocly lint` with the recommended rules, offline (0 errors, 0 warnings)', async () => {
    // redocly.yaml turns telemetry off; the environment repeats it, and keeps the update check quiet.
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true', NO_COLOR: '1' };
    const cli = new URL('node_modules/@redocly/cli/bin/cli.js', REPO_ROOT).pathname;
    const run = await promisify(execFile)(process.execPath, [cli, 'lint', 'openapi.json', '--format=json'], { cwd: REPO_ROOT.pathname, env }).catch(
      (e: { stdout: string; stderr: string }) => e,
    );
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('has one operation per declared route, with its method, every path parameter, descriptions and an example body', () => {
    const doc = buildOpenApiDocument();
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
    for (const id of ROUTE_IDS) {
      const route = API_ROUTES[id];
      const op = doc.paths[route.path]![route.method.toLowerCase()] as Operation;
      expect(op.operationId, id).toBe(id.charAt(0).toLowerCase() + id.slice(1));
      expect((op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name), id).toEqual(pathParamsOf(route.path));
      for (const p of op.parameters ?? []) expect(p.description, `${id} ${p.name}`).toMatch(/\w/);
      if (route.body) {
        const example = op.requestBody?.content['application/json']?.example;
        expect(example, `${id} has an example body`).toBeDefined();
        expect(route.body.safeParse(example).success, `${id}'s example is a valid body`).toBe(true);
      }
    }
  });

  it('names every error code the API maps to a status, under that status, and no other', () => {
    const doc = buildOpenApiDocument();
    const documented = new Set<string>();
    for (const id of ROUTE_IDS) {
      const route = API_ROUTES[id];
      const responses = (doc.paths[route.path]![route.method.toLowerCase()] as { responses: Record<string, { 'x-error-codes'?: string[] }> }).responses;
      for (const [status, codes] of errorStatuses(route)) {
        expect(responses[String(status)]?.['x-error-codes'], `${id} ${status}`).toEqual(codes);
        for (const code of codes) documented.add(code);
      }
    }
    // RouteNotFound is the dispatcher's own answer to a route key no route has (none reach it through API Gateway).
    expect([...documented, 'RouteNotFound'].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
  });

  it('gives every error class of the domain a status in the table, or lists it as a task failure, so none becomes a 500 by omission', async () => {
    const source = await readFile(new URL('shared/domain/errors.ts', REPO_ROOT), 'utf8');
    const codes = [...source.matchAll(/readonly code = '(\w+)'/g)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) expect([...Object.keys(ERROR_STATUS), ...TASK_FAILURE_ERROR_CODES], code).toContain(code);
    for (const code of TASK_FAILURE_ERROR_CODES) expect(Object.keys(ERROR_STATUS), code).not.toContain(code);
  });

  it("names the serving stack's URL first in servers: API Gateway's domain name, and the stage unless it is $default", () => {
    const served = (stage: string) =>
      openApiDocumentFor({
        headers: { 'x-forwarded-proto': 'https' },
        requestContext: { domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', stage },
      } as unknown as APIGatewayProxyEventV2).servers;
    expect(served('$default')[0]).toMatchObject({ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com' });
    expect(served('prod')[0]).toMatchObject({ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod' });
    expect(served('prod').slice(1)).toEqual(buildOpenApiDocument().servers);
  });

  it('states the license of package.json', async () => {
    const pkg = JSON.parse(await readFile(new URL('package.json', REPO_ROOT), 'utf8')) as { license?: string };
    expect(pkg.license).toBe(API_LICENSE.identifier);
  });
});

describe('GET /openapi.json and the response check', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it("serves the committed document, with this server's own URL first in servers", async () => {
    const res = await api.request<{ servers: { url: string }[] }>('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const committed = JSON.parse(await readFile(COMMITTED, 'utf8')) as { servers: unknown[] };
    expect(res.body.servers[0]!.url).toBe(api.url);
    expect({ ...res.body, servers: res.body.servers.slice(1) }).toEqual(committed);
  });

  it('answers every documented operation, through the real server, with a status and body the document declares', async () => {
    const exchanges: RecordedExchange[] = [];
    for (const id of ROUTE_IDS) {
      const route = API_ROUTES[id];
      const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'version' ? '1' : `openapi-probe-${name}`));
      const res = await api.request(route.method, path, route.example);
      expect(res.body, `${id} reaches its handler`).not.toMatchObject({ error: { code: expect.stringMatching(/^(RouteNotFound|MethodNotAllowed)$/) } });
      exchanges.push({ method: route.method, path, status: res.status, body: res.body });
    }
    expect(await responsesNotInSpec(exchanges)).toEqual([]);
  });

  it('flags a body the spec does not describe, a status it does not declare, and an error code the response does not list (the control)', async () => {
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
    expect(problems[2]).toContain('error code TaskNotFound is not one getProcess declares for 404');
  });
});
