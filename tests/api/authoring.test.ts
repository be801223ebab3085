import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

/** The authoring features through the real handlers: `steps:`, `inputSchema`, and the rules on names. */
let api: TestApi;
const run = Math.random().toString(36).slice(2, 8);
const name = (base: string) => `${base}-${run}`;
const yaml = { 'content-type': 'application/yaml' };

type ErrorBody = { error: { code: string; message: string; details?: { path?: string; message: string; line?: number; column?: number }[] } };

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

const EXPORT = `description: nightly export
steps:
  - Extract
  - Transform
  - name: Load
    queue: default
    timeoutSeconds: 600
`;

const LOAN_INPUT = {
  type: 'object',
  properties: { applicant: { type: 'string', minLength: 1 }, amount: { type: 'number', exclusiveMinimum: 0 } },
  required: ['applicant', 'amount'],
};

describe('steps: routines', () => {
  it('stores a routine in its tasks form, which GET returns for the version', async () => {
    const exportName = name('export');
    const put = await api.request('PUT', `/definitions/${exportName}`, EXPORT, yaml);
    expect(put.status).toBe(201);
    const stored = {
      name: exportName,
      version: 1,
      description: 'nightly export',
      tasks: [
        { name: 'Extract', needs: [], queue: 'default', timeoutSeconds: 300 },
        { name: 'Transform', needs: ['Extract'], queue: 'default', timeoutSeconds: 300 },
        { name: 'Load', needs: ['Transform'], queue: 'default', timeoutSeconds: 600 },
      ],
      createdAt: expect.any(String),
    };
    expect(put.body).toEqual(stored);
    expect((await api.request('GET', `/definitions/${exportName}/versions/1`)).body).toEqual(stored);
  });

  it('treats the equivalent tasks form as the same content: no new version', async () => {
    const exportName = name('export-same');
    await api.request('PUT', `/definitions/${exportName}`, EXPORT, yaml);
    const tasks = {
      description: 'nightly export',
      tasks: [{ name: 'Extract' }, { name: 'Transform', needs: ['Extract'] }, { name: 'Load', needs: ['Transform'], timeoutSeconds: 600 }],
    };
    const again = await api.request('PUT', `/definitions/${exportName}`, tasks);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ version: 1 });
  });

  it('answers 400 with one located entry per problem', async () => {
    const bad = 'tasks:\n  - name: A\nsteps:\n  - B\n  - name: C\n    needs: [B]\n';
    const res = await api.request<ErrorBody>('PUT', `/definitions/${name('bad-steps')}`, bad, yaml);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidDefinition');
    expect(res.body.error.details).toEqual([
      { path: 'steps[1].needs', message: expect.stringContaining("a step cannot have 'needs'"), line: 6, column: 5 },
      { path: 'steps', message: "a definition has either 'tasks' (a graph) or 'steps' (a routine), not both", line: 3, column: 1 },
    ]);
  });
});

describe('inputSchema', () => {
  it('is stored with the version and returned by GET', async () => {
    const loan = name('loan-input');
    const put = await api.request('PUT', `/definitions/${loan}`, { inputSchema: LOAN_INPUT, tasks: [{ name: 'Review' }] });
    expect(put.status).toBe(201);
    expect((await api.request('GET', `/definitions/${loan}/versions/1`)).body).toMatchObject({ inputSchema: LOAN_INPUT });
    expect((await api.request('GET', `/definitions/${loan}`)).body).toMatchObject({ inputSchema: LOAN_INPUT });
  });

  it('stores any JSON Schema, including what a DynamoDB map could not hold', async () => {
    const loan = name('loan-odd-schema');
    const schema = { type: 'object', properties: { '': { type: 'number', maximum: 1e300 } }, required: [''] };
    const put = await api.request('PUT', `/definitions/${loan}`, { inputSchema: schema, tasks: [{ name: 'Review' }] });
    expect(put.status).toBe(201);
    expect((await api.request('GET', `/definitions/${loan}/versions/1`)).body).toMatchObject({ inputSchema: schema });
    const res = await api.request<ErrorBody>('POST', '/processes', { definition: loan, input: {} });
    expect(res.body.error.details).toEqual([{ path: '/input/', message: "must have required property ''" }]);
  });

  it('makes a changed schema a new version', async () => {
    const loan = name('loan-input-v2');
    await api.request('PUT', `/definitions/${loan}`, { inputSchema: LOAN_INPUT, tasks: [{ name: 'Review' }] });
    const changed = await api.request('PUT', `/definitions/${loan}`, { inputSchema: { ...LOAN_INPUT, required: ['applicant'] }, tasks: [{ name: 'Review' }] });
    expect(changed.status).toBe(201);
    expect(changed.body).toMatchObject({ version: 2 });
  });

  it('rejects an invalid schema at PUT with details', async () => {
    const res = await api.request<ErrorBody>('PUT', `/definitions/${name('bad-schema')}`, {
      inputSchema: { type: 'object', properties: { amount: { type: 'numbr' } }, required: 'amount' },
      tasks: [{ name: 'Review' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidDefinition');
    expect(res.body.error.details?.map((d) => d.path)).toEqual(['inputSchema.properties.amount.type', 'inputSchema.required']);
  });

  it('answers a start with a bad input 400, listing every violation at its JSON pointer (sorted by pointer), and starts nothing', async () => {
    const loan = name('loan-start');
    await api.request('PUT', `/definitions/${loan}`, { inputSchema: LOAN_INPUT, tasks: [{ name: 'Review' }] });
    const res = await api.request<ErrorBody>('POST', '/processes', { definition: loan, input: { applicant: '', amount: -1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationError');
    expect(res.body.error.details).toEqual([
      { path: '/input/amount', message: 'must be > 0' },
      { path: '/input/applicant', message: 'must NOT have fewer than 1 characters' },
    ]);
    const missing = await api.request<ErrorBody>('POST', '/processes', { definition: loan });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details).toEqual([{ path: '/input', message: 'must be object' }]);
    const listed = await api.request<{ items: unknown[] }>('GET', `/processes?definition=${encodeURIComponent(loan)}`);
    expect(listed.body.items).toEqual([]);
  });

  it('starts a process whose input matches', async () => {
    const loan = name('loan-ok');
    await api.request('PUT', `/definitions/${loan}`, { inputSchema: LOAN_INPUT, tasks: [{ name: 'Review' }] });
    const res = await api.request('POST', '/processes', { definition: loan, input: { applicant: 'Ada', amount: 10 } });
    expect(res.status).toBe(201);
  });
});

describe('names', () => {
  it('rejects task names that cannot travel through URLs or SQS, one entry each', async () => {
    const res = await api.request<ErrorBody>('PUT', `/definitions/${name('bad-names')}`, { tasks: [{ name: 'a/b' }, { name: 'c\uffff' }, { name: 'd\u0007' }] });
    expect(res.status).toBe(400);
    expect(res.body.error.details?.map((d) => d.path)).toEqual(['tasks[0].name', 'tasks[1].name', 'tasks[2].name']);
  });
});
