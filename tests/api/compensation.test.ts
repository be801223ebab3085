import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { responsesNotInSpec, type RecordedExchange } from '../support/openapi-responses.ts';

/** Compensation (issue 8, part 5) through the real handlers: the PUT check, and the links GET /processes/{id} shows. */
let api: TestApi;
const run = Math.random().toString(36).slice(2, 8);
const name = (base: string) => `${base}-${run}`;
const yaml = { 'content-type': 'application/yaml' };
const exchanges: RecordedExchange[] = [];

type ErrorBody = { error: { code: string; details?: { path?: string; message: string; line?: number; column?: number }[] } };
type ProcessBody = { id: string; status: string; compensatedBy?: string; compensates?: string; input: unknown };

beforeAll(async () => {
  api = await startTestApi({ onResponse: (exchange) => exchanges.push(exchange) });
});
afterAll(async () => {
  await api.close();
});

describe('compensation over HTTP', () => {
  it('rejects a compensation definition that does not exist: 400 InvalidDefinition at compensation.definition, with line and column', async () => {
    const res = await api.request<ErrorBody>('PUT', `/definitions/${name('orphan')}`, `compensation:\n  definition: ${name('nowhere')}\ntasks:\n  - name: A\n`, yaml);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'InvalidDefinition', details: [{ path: 'compensation.definition', line: 2, column: 3 }] });
    expect((await api.request('GET', `/definitions/${name('orphan')}`)).status).toBe(404);
  });

  it('starts the compensation of a failed process; GET shows compensatedBy and compensates', async () => {
    const undo = name('undo');
    const loan = name('loan');
    expect((await api.request('PUT', `/definitions/${undo}`, 'tasks:\n  - name: Undo\n', yaml)).status).toBe(201);
    const put = await api.request('PUT', `/definitions/${loan}`, `compensation: { definition: ${undo} }\ntasks:\n  - name: A\n`, yaml);
    expect(put).toMatchObject({ status: 201, body: { compensation: { definition: undo } } });
    const started = await api.request<{ id: string }>('POST', '/processes', { definition: loan, input: { amount: 5 } });
    const claim = await api.request<{ leaseToken: string }>('POST', `/processes/${started.body.id}/tasks/A/claim`, { workerId: 'w' });
    await api.request('POST', `/processes/${started.body.id}/tasks/A/fail`, { leaseToken: claim.body.leaseToken, error: { message: 'no', retryable: false } });
    const failed = await api.request<ProcessBody>('GET', `/processes/${started.body.id}`);
    expect(failed.body).toMatchObject({ status: 'FAILED', compensatedBy: expect.any(String) });
    const compensation = await api.request<ProcessBody>('GET', `/processes/${failed.body.compensatedBy}`);
    expect(compensation.body).toMatchObject({ status: 'RUNNING', compensates: started.body.id, input: { process: { id: started.body.id, input: { amount: 5 } }, completed: {} } });
  });

  it('answered only what openapi.json describes', async () => {
    expect(await responsesNotInSpec(exchanges)).toEqual([]);
  });
});
