import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';

/** POST /processes/{id}/tasks/{task}/release-lease over HTTP, through the control function, on DynamoDB Local and SQS. */
describe('the operator release over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it("releases a RUNNING task without its token; the worker's later calls get 409 LeaseMismatch; the next claim keeps the attempt", async () => {
    const name = `operator-release-${Date.now()}`;
    expect((await api.request('PUT', `/definitions/${name}`, { tasks: [{ name: 'work item' }] })).status).toBe(201);
    const { body: started } = await api.request<{ id: string }>('POST', '/processes', { definition: name, input: {} });
    const path = `/processes/${started.id}/tasks/work%20item`;
    const { body: lease } = await api.request<{ leaseToken: string; attempt: number }>('POST', `${path}/claim`, { workerId: 'doomed' });

    const released = await api.request('POST', `${path}/release-lease`, { reason: 'host terminated' });
    expect([released.status, released.body]).toEqual([200, { processId: started.id, task: 'work item', status: 'SCHEDULED', attempt: 1 }]);

    const heartbeat = await api.request<{ error: { code: string } }>('POST', `${path}/heartbeat`, { leaseToken: lease.leaseToken });
    expect([heartbeat.status, heartbeat.body.error.code]).toEqual([409, 'LeaseMismatch']);
    const complete = await api.request<{ error: { code: string } }>('POST', `${path}/complete`, { leaseToken: lease.leaseToken, output: {} });
    expect([complete.status, complete.body.error.code]).toEqual([409, 'LeaseMismatch']);

    const again = await api.request<{ attempt: number }>('POST', `${path}/claim`, { workerId: 'healthy' });
    expect([again.status, again.body.attempt]).toEqual([200, 1]);
  });

  it('answers 409 TaskNotActive for a task that is not running, and 400 for an unknown body field', async () => {
    const name = `operator-release-idle-${Date.now()}`;
    await api.request('PUT', `/definitions/${name}`, { tasks: [{ name: 'A' }] });
    const { body: started } = await api.request<{ id: string }>('POST', '/processes', { definition: name, input: {} });
    const idle = await api.request<{ error: { code: string } }>('POST', `/processes/${started.id}/tasks/A/release-lease`, {});
    expect([idle.status, idle.body.error.code]).toEqual([409, 'TaskNotActive']);
    const bad = await api.request<{ error: { code: string } }>('POST', `/processes/${started.id}/tasks/A/release-lease`, { leaseToken: 'x' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ValidationError']);
  });
});
