import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConflict, TributaryApiError, TributaryClient } from '../../client/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { createIsolatedResources } from '../support/resources.ts';

/** The client against the real handlers over HTTP, on this file's own table and queues. */

const LOAN = `description: Loan application
tasks:
  - name: Open Loan Application
  - name: Review Credit
    needs: [Open Loan Application]
  - name: Check Identity
    needs: [Open Loan Application]
  - name: Decide
    needs: [Review Credit, Check Identity]
`;

let api: TestApi;
let client: TributaryClient;

beforeAll(async () => {
  api = await startTestApi({ resources: await createIsolatedResources('client-api') });
  client = new TributaryClient({ baseUrl: api.url, retries: 0 });
});
afterAll(() => api?.close());

async function errorOf(p: Promise<unknown>): Promise<TributaryApiError> {
  const error = await p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TributaryApiError);
  return error as TributaryApiError;
}

describe('TributaryClient against the API', () => {
  it('answers health', async () => {
    expect(await client.health()).toEqual({ status: 'ok' });
  });

  it('puts definitions as YAML or JSON, versions changes, and reads them back', async () => {
    const first = await client.putDefinition('loan', LOAN);
    expect(first.created).toBe(true);
    expect(first.definition).toMatchObject({ name: 'loan', version: 1, description: 'Loan application' });
    expect(first.definition.tasks[3]).toEqual({ name: 'Decide', needs: ['Review Credit', 'Check Identity'], queue: 'default', timeoutSeconds: 300 });
    expect(await client.putDefinition('loan', LOAN)).toMatchObject({ created: false, definition: { version: 1 } });

    const second = await client.putDefinition('loan', { tasks: [{ name: 'Open Loan Application', timeoutSeconds: 60 }] });
    expect(second).toMatchObject({ created: true, definition: { version: 2 } });
    expect((await client.getDefinition('loan')).version).toBe(2);
    expect((await client.getDefinition('loan', 1)).tasks).toHaveLength(4);
    expect((await client.listDefinitions({ limit: 100 })).items).toContainEqual(expect.objectContaining({ name: 'loan', latestVersion: 2 }));
  });

  it('surfaces an invalid definition as a 400 with every problem located', async () => {
    const error = await errorOf(client.putDefinition('broken', 'tasks:\n  - name: A\n    needs: [B]\n'));
    expect(error).toMatchObject({ status: 400, code: 'InvalidDefinition' });
    expect(error.details).toEqual([expect.objectContaining({ path: 'tasks[0].needs[0]', line: 3 })]);
  });

  it('maps unknown names to 404s with the API code', async () => {
    expect(await errorOf(client.getProcess('no-such-process'))).toMatchObject({ status: 404, code: 'ProcessNotFound' });
    expect(await errorOf(client.getDefinition('no-such-definition'))).toMatchObject({ status: 404, code: 'DefinitionNotFound' });
    expect(await errorOf(client.startProcess({ definition: 'no-such-definition' }))).toMatchObject({ code: 'DefinitionNotFound' });
  });

  it('starts a process once per idempotency key and lists it', async () => {
    const key = `client-api-${Date.now()}`;
    const first = await client.startProcess({ definition: 'loan', version: 1, input: { applicant: 'Ada' }, idempotencyKey: key });
    expect(first).toMatchObject({ created: true, process: { definition: 'loan', version: 1, status: 'RUNNING', input: { applicant: 'Ada' } } });
    const again = await client.startProcess({ definition: 'loan', version: 1, input: { applicant: 'Ada' }, idempotencyKey: key });
    expect(again).toMatchObject({ created: false, process: { id: first.process.id } });

    const view = await client.getProcess(first.process.id);
    expect(view.progress).toEqual({ total: 4, completed: 0, failed: 0, skipped: 0, cancelled: 0, percent: 0 });
    expect(view.tasks.map((t) => [t.name, t.status])).toEqual([
      ['Open Loan Application', 'SCHEDULED'],
      ['Review Credit', 'PENDING'],
      ['Check Identity', 'PENDING'],
      ['Decide', 'PENDING'],
    ]);
    expect((await client.activeTasks(first.process.id)).map((t) => t.name)).toEqual(['Open Loan Application']);
  });

  it('lists processes by definition and status', async () => {
    const { process } = await client.startProcess({ definition: 'loan', version: 1 });
    for (const options of [{ definition: 'loan' }, { status: 'RUNNING' as const }, { definition: 'loan', status: 'RUNNING' as const }]) {
      const page = await client.listProcesses({ ...options, limit: 100 });
      expect(page.items).toContainEqual(expect.objectContaining({ id: process.id, definition: 'loan', version: 1, status: 'RUNNING' }));
    }
  });

  it('claims, heartbeats and completes tasks whose names need encoding, with upstream outputs', async () => {
    const { process } = await client.startProcess({ definition: 'loan', version: 1, input: { applicant: 'Ada' } });
    await client.complete(process.id, 'Open Loan Application', { output: { amount: 1000000 } });

    const claim = await client.claim(process.id, 'Review Credit', 'w1');
    expect(claim).toMatchObject({ attempt: 1, input: { process: { applicant: 'Ada' }, upstream: { 'Open Loan Application': { amount: 1000000 } } } });
    // The same worker gets its own live lease back; another worker is refused.
    expect((await client.claim(process.id, 'Review Credit', 'w1')).leaseToken).toBe(claim.leaseToken);
    const taken = await errorOf(client.claim(process.id, 'Review Credit', 'w2'));
    expect(isConflict(taken)).toBe(true);
    expect(taken.code).toBe('TaskAlreadyClaimed');

    const beat = await client.heartbeat(process.id, 'Review Credit', claim.leaseToken);
    expect(Date.parse(beat.leaseExpiresAt)).toBeGreaterThan(Date.now());
    expect(await errorOf(client.heartbeat(process.id, 'Review Credit', 'not-the-token'))).toMatchObject({ status: 409, code: 'LeaseMismatch' });

    const done = { leaseToken: claim.leaseToken, output: { score: 720 } };
    expect(await client.complete(process.id, 'Review Credit', done)).toEqual({ processId: process.id, task: 'Review Credit', status: 'COMPLETED' });
    // A repeat with the same token after success is a success: what makes the client's retry safe.
    expect((await client.complete(process.id, 'Review Credit', done)).status).toBe('COMPLETED');
    expect(await errorOf(client.heartbeat(process.id, 'Review Credit', claim.leaseToken))).toMatchObject({ status: 409, code: 'TaskNotActive' });
    expect((await client.getProcess(process.id)).tasks[1]).toMatchObject({ status: 'COMPLETED', workerId: 'w1', output: { score: 720 } });
  });

  it('fails a task, which fails the process, and reports the error', async () => {
    const { process } = await client.startProcess({ definition: 'loan', version: 1 });
    const claim = await client.claim(process.id, 'Open Loan Application', 'w1');
    const failure = { leaseToken: claim.leaseToken, error: { message: 'applicant withdrew', code: 'Withdrawn', retryable: false } };
    expect((await client.fail(process.id, 'Open Loan Application', failure)).status).toBe('FAILED');
    expect((await client.fail(process.id, 'Open Loan Application', failure)).status).toBe('FAILED');
    const view = await client.getProcess(process.id);
    expect(view.status).toBe('FAILED');
    expect(view.tasks[0]).toMatchObject({ status: 'FAILED', error: { message: 'applicant withdrew', code: 'Withdrawn' } });
  });

  it('pauses and resumes a process, repeatably; a claim while paused is refused with 409 ProcessPaused', async () => {
    const { process } = await client.startProcess({ definition: 'loan', version: 1 });
    expect((await client.pause(process.id, { reason: 'maintenance' })).status).toBe('PAUSED');
    expect((await client.pause(process.id)).status).toBe('PAUSED');
    expect(await errorOf(client.claim(process.id, 'Open Loan Application', 'w1'))).toMatchObject({ status: 409, code: 'ProcessPaused' });
    expect((await client.resume(process.id)).status).toBe('RUNNING');
    expect((await client.resume(process.id)).status).toBe('RUNNING');
    expect((await client.claim(process.id, 'Open Loan Application', 'w1')).attempt).toBe(1);
    const types = (await client.getHistory(process.id)).items.map((e) => e.type);
    expect(types.filter((t) => t === 'ProcessPaused' || t === 'ProcessResumed')).toEqual(['ProcessPaused', 'ProcessResumed']);
    await client.cancelProcess(process.id);
  });

  it('cancels a process, repeatably, after which claims are refused', async () => {
    const { process } = await client.startProcess({ definition: 'loan', version: 1 });
    expect((await client.cancelProcess(process.id)).status).toBe('CANCELLED');
    expect((await client.cancelProcess(process.id)).status).toBe('CANCELLED');
    expect(await errorOf(client.claim(process.id, 'Open Loan Application', 'w1'))).toMatchObject({ status: 409, code: 'ProcessNotRunning' });
    expect(await client.activeTasks(process.id)).toEqual([]);
  });
});
