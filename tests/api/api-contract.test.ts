import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { responsesNotInSpec, type RecordedExchange } from '../support/openapi-responses.ts';

/** The HTTP API contract, through the real handlers as API Gateway (payload v2) invokes them. */
let api: TestApi;
const run = Math.random().toString(36).slice(2, 8);
const name = (base: string) => `${base}-${run}`;

const LOAN = `
description: loan application
tasks:
  - name: Open Loan Application
  - name: Review Credit
    needs: [Open Loan Application]
  - name: Decide
    needs: [Review Credit]
`;
const yaml = { 'content-type': 'application/yaml' };

/** Every answer the tests below receive; the last test checks them all against openapi.json. */
const exchanges: RecordedExchange[] = [];

beforeAll(async () => {
  api = await startTestApi({ onResponse: (exchange) => exchanges.push(exchange) });
});
afterAll(async () => {
  await api.close();
});

type ErrorBody = { error: { code: string; message: string; details?: { path?: string; message: string; line?: number; column?: number }[] } };

describe('definitions', () => {
  it('creates version 1, returns it again for identical content, and appends version 2 on change', async () => {
    const loan = name('loan');
    const first = await api.request('PUT', `/definitions/${loan}`, LOAN, yaml);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      name: loan,
      version: 1,
      description: 'loan application',
      tasks: [
        { name: 'Open Loan Application', needs: [], queue: 'default', timeoutSeconds: 300 },
        { name: 'Review Credit', needs: ['Open Loan Application'], queue: 'default', timeoutSeconds: 300 },
        { name: 'Decide', needs: ['Review Credit'], queue: 'default', timeoutSeconds: 300 },
      ],
      createdAt: expect.any(String),
    });
    const same = await api.request('PUT', `/definitions/${loan}`, LOAN, yaml);
    expect(same.status).toBe(200);
    expect(same.body).toEqual(first.body);
    const changed = await api.request('PUT', `/definitions/${loan}`, { tasks: [{ name: 'Only' }] });
    expect(changed.status).toBe(201);
    expect(changed.body).toMatchObject({ version: 2, tasks: [{ name: 'Only', needs: [] }] });
    expect((await api.request('GET', `/definitions/${loan}`)).body).toMatchObject({ version: 2 });
    expect((await api.request('GET', `/definitions/${loan}/versions/1`)).body).toEqual(first.body);
  });

  it('answers a definition with its failure keys as written, within the OpenAPI document', async () => {
    const resilient = name('resilient');
    const doc = {
      timeoutSeconds: 3600,
      onFailure: 'skipDownstream',
      defaults: { retry: { maxAttempts: 5, jitter: 'none' }, attemptTimeoutSeconds: 60 },
      tasks: [{ name: 'Fetch', retry: { maxAttempts: 2, nonRetryable: ['Gone'] }, optional: true, attemptTimeoutSeconds: 30 }],
    };
    const put = await api.request('PUT', `/definitions/${resilient}`, doc);
    expect(put.status).toBe(201);
    const got = await api.request('GET', `/definitions/${resilient}`);
    expect(got.body).toMatchObject({ ...doc, tasks: [{ ...doc.tasks[0], needs: [], queue: 'default' }] });
  });

  it('answers 404 DefinitionNotFound for an unknown name or version', async () => {
    const unknown = await api.request<ErrorBody>('GET', `/definitions/${name('nope')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('DefinitionNotFound');
    await api.request('PUT', `/definitions/${name('v')}`, LOAN, yaml);
    const version = await api.request<ErrorBody>('GET', `/definitions/${name('v')}/versions/9`);
    expect(version.status).toBe(404);
    expect(version.body.error.code).toBe('DefinitionNotFound');
    expect((await api.request<ErrorBody>('GET', `/definitions/${name('v')}/versions/zero`)).body.error.code).toBe('ValidationError');
  });

  it('reports every problem of an invalid definition at once, and stores nothing', async () => {
    const bad = `tasks:\n  - name: A\n    needs: [Ghost, C]\n  - name: A\n  - name: C\n    needs: [C]\n    need: [A]\n`;
    const res = await api.request<ErrorBody>('PUT', `/definitions/${name('bad')}`, bad, yaml);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidDefinition');
    const messages = res.body.error.details!.map((d) => d.message).join('\n');
    expect(messages).toMatch(/Ghost/);
    expect(messages).toMatch(/duplicate/i);
    expect(messages).toMatch(/C -> C/);
    expect(messages).toMatch(/need/);
    expect((await api.request('GET', `/definitions/${name('bad')}`)).status).toBe(404);
  });

  it('refuses a definition too large to store as one item, with 400 and nothing stored', async () => {
    // 5,000 tasks in compact YAML fit the 256 KiB body limit; with every default written out they do not fit one item.
    const yamlBody = `tasks:\n${Array.from({ length: 5000 }, (_, i) => `- name: ${String(i).padStart(40, 'n')}\n`).join('')}`;
    expect(yamlBody.length).toBeLessThan(256 * 1024);
    const large = await api.request<ErrorBody>('PUT', `/definitions/${name('large')}`, yamlBody, yaml);
    expect(large.status).toBe(400);
    expect(large.body.error.code).toBe('InvalidDefinition');
    expect(large.body.error.message).toMatch(/limit is 350000/);
    expect((await api.request('GET', `/definitions/${name('large')}`)).status).toBe(404);
  });

  it('gives the line and column of YAML that does not parse', async () => {
    const res = await api.request<ErrorBody>('PUT', `/definitions/${name('yaml')}`, 'tasks:\n  - name: A\n   needs: [B\n', yaml);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('InvalidDefinition');
    expect(res.body.error.details?.[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number) });
  });

  it('refuses unsupported media types with 415 and oversized bodies with 413', async () => {
    const media = await api.request<ErrorBody>('PUT', `/definitions/${name('xml')}`, '<tasks/>', { 'content-type': 'application/xml' });
    expect(media.status).toBe(415);
    expect(media.body.error.code).toBe('UnsupportedMediaType');
    const big = await api.request<ErrorBody>('POST', '/processes', { definition: 'x', input: 'z'.repeat(300 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PayloadTooLarge');
    // Routes that read no body refuse an oversized one too.
    const cancel = await api.request<ErrorBody>('POST', '/processes/no-such-process/cancel', 'z'.repeat(300 * 1024), { 'content-type': 'text/plain' });
    expect(cancel.status).toBe(413);
    expect(cancel.body.error.code).toBe('PayloadTooLarge');
  });

  it('lists definitions with pagination', async () => {
    for (const n of ['list-a', 'list-b', 'list-c']) await api.request('PUT', `/definitions/${name(n)}`, LOAN, yaml);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await api.request<{ items: { name: string; latestVersion: number }[]; nextToken?: string }>(
        'GET',
        `/definitions?limit=2${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      names.push(...page.body.items.map((i) => i.name));
      token = page.body.nextToken;
    } while (token);
    expect(names).toEqual(expect.arrayContaining([name('list-a'), name('list-b'), name('list-c')]));
    expect((await api.request<ErrorBody>('GET', '/definitions?nextToken=garbage')).body.error.code).toBe('ValidationError');
  });
});

describe('processes and tasks', () => {
  const loan = name('proc-loan');
  beforeAll(async () => {
    await api.request('PUT', `/definitions/${loan}`, LOAN, yaml);
  });

  it('starts a process (201), replays an idempotency key (200) and rejects unknown definitions (404)', async () => {
    const started = await api.request<{ id: string }>('POST', '/processes', { definition: loan, input: { amount: 5 }, idempotencyKey: `k-${run}` });
    expect(started.status).toBe(201);
    expect(started.body).toEqual({ id: expect.any(String), definition: loan, version: 1, status: 'RUNNING', input: { amount: 5 }, createdAt: expect.any(String) });
    const again = await api.request('POST', '/processes', { definition: loan, input: { amount: 5 }, idempotencyKey: `k-${run}` });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(started.body);
    const reused = await api.request<ErrorBody>('POST', '/processes', { definition: loan, input: { amount: 6 }, idempotencyKey: `k-${run}` });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toEqual({ code: 'IdempotencyKeyReused', message: expect.stringContaining(`k-${run}`) });
    const unknown = await api.request<ErrorBody>('POST', '/processes', { definition: name('missing') });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('DefinitionNotFound');
  });

  it('rejects bad process requests with 400 ValidationError naming the problem', async () => {
    const typo = await api.request<ErrorBody>('POST', '/processes', { definiton: loan });
    expect(typo.status).toBe(400);
    expect(typo.body.error.code).toBe('ValidationError');
    expect(JSON.stringify(typo.body.error.details)).toMatch(/definiton|definition/);
    const malformed = await api.request<ErrorBody>('POST', '/processes', '{"definition": ', { 'content-type': 'application/json' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('ValidationError');
    const version = await api.request<ErrorBody>('POST', '/processes', { definition: loan, version: -1 });
    expect(version.status).toBe(400);
    expect((await api.request<ErrorBody>('GET', '/processes?status=SLEEPING')).status).toBe(400);
    expect((await api.request<ErrorBody>('GET', '/processes?limit=1000')).status).toBe(400);
  });

  it('runs a process through claim, heartbeat and complete, with URL-encoded task names', async () => {
    const { body: p } = await api.request<{ id: string }>('POST', '/processes', { definition: loan, input: { who: 'ada' } });
    const task = (t: string) => `/processes/${p.id}/tasks/${encodeURIComponent(t)}`;

    const manual = await api.request('POST', `${task('Open Loan Application')}/complete`, { output: { amount: 1000000 } });
    expect(manual.status).toBe(200);

    const claim = await api.request<{ leaseToken: string; leaseExpiresAt: string; attempt: number; input: unknown }>('POST', `${task('Review Credit')}/claim`, {
      workerId: 'w1',
    });
    expect(claim.status).toBe(200);
    expect(claim.body).toEqual({
      leaseToken: expect.any(String),
      leaseExpiresAt: expect.any(String),
      attempt: 1,
      input: { process: { who: 'ada' }, upstream: { 'Open Loan Application': { amount: 1000000 } } },
    });
    const other = await api.request<ErrorBody>('POST', `${task('Review Credit')}/claim`, { workerId: 'w2' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('TaskAlreadyClaimed');
    const pending = await api.request<ErrorBody>('POST', `${task('Decide')}/claim`, { workerId: 'w2' });
    expect(pending.status).toBe(409);
    expect(pending.body.error.code).toBe('TaskNotActive');
    const missing = await api.request<ErrorBody>('POST', `${task('Nope')}/claim`, { workerId: 'w2' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('TaskNotFound');
    const noProcess = await api.request<ErrorBody>('POST', `/processes/no-such-id/tasks/A/claim`, { workerId: 'w2' });
    expect(noProcess.status).toBe(404);
    expect(noProcess.body.error.code).toBe('ProcessNotFound');

    const beat = await api.request<{ leaseExpiresAt: string }>('POST', `${task('Review Credit')}/heartbeat`, { leaseToken: claim.body.leaseToken });
    expect(beat.status).toBe(200);
    expect(Date.parse(beat.body.leaseExpiresAt)).toBeGreaterThanOrEqual(Date.parse(claim.body.leaseExpiresAt));
    const forged = await api.request<ErrorBody>('POST', `${task('Review Credit')}/complete`, { leaseToken: 'forged', output: 1 });
    expect(forged.status).toBe(409);
    expect(forged.body.error.code).toBe('LeaseMismatch');
    expect((await api.request('POST', `${task('Review Credit')}/complete`, { leaseToken: claim.body.leaseToken, output: 'A+' })).status).toBe(200);

    const active = await api.request<{ items: { name: string; status: string }[] }>('GET', `/processes/${p.id}/tasks/active`);
    expect(active.body.items).toEqual([expect.objectContaining({ name: 'Decide', status: 'SCHEDULED' })]);
    await api.request('POST', `${task('Decide')}/complete`, { output: { approved: true } });

    const view = await api.request<Record<string, unknown>>('GET', `/processes/${p.id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      id: p.id,
      definition: loan,
      version: 1,
      status: 'COMPLETED',
      input: { who: 'ada' },
      endedAt: expect.any(String),
      progress: { total: 3, completed: 3, percent: 100 },
    });
    expect((view.body.tasks as { name: string; status: string; attempt: number; output?: unknown }[])[1]).toMatchObject({
      name: 'Review Credit',
      status: 'COMPLETED',
      attempt: 1,
      workerId: 'w1',
      output: 'A+',
      needs: ['Open Loan Application'],
      queue: 'default',
    });
    const cancel = await api.request<ErrorBody>('POST', `/processes/${p.id}/cancel`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('ProcessNotRunning');
  });

  it('keeps any JSON input and output as sent, however deeply nested (DynamoDB maps stop at 32 levels)', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 60; i++) deep = { level: i, next: deep };
    const odd = { deep, list: [[[[[]]]]], empty: '', huge: 1.5e300, tiny: 5e-324, unicode: 'é🚀' };
    const { status, body: p } = await api.request<{ id: string; input: unknown }>('POST', '/processes', { definition: loan, input: odd });
    expect(status).toBe(201);
    expect(p.input).toEqual(odd);
    const task = (t: string) => `/processes/${p.id}/tasks/${encodeURIComponent(t)}`;
    expect((await api.request('POST', `${task('Open Loan Application')}/complete`, { output: odd })).status).toBe(200);
    const claim = await api.request<{ input: { process: unknown; upstream: Record<string, unknown> } }>('POST', `${task('Review Credit')}/claim`, {
      workerId: 'w',
    });
    expect(claim.status).toBe(200);
    expect(claim.body.input).toEqual({ process: odd, upstream: { 'Open Loan Application': odd } });
    const failed = await api.request('POST', `${task('Review Credit')}/fail`, {
      leaseToken: (claim.body as unknown as { leaseToken: string }).leaseToken,
      error: { message: 'deep', details: deep, retryable: false },
    });
    expect(failed.status).toBe(200);
    const view = await api.request<{ tasks: { name: string; error?: unknown }[] }>('GET', `/processes/${p.id}`);
    expect(view.body.tasks.find((t) => t.name === 'Review Credit')?.error).toEqual({ message: 'deep', details: deep });
  });

  it('releases a claim: the task is SCHEDULED again at the same attempt, and the released lease gets 409', async () => {
    const { body: p } = await api.request<{ id: string }>('POST', '/processes', { definition: loan, input: {} });
    const task = (t: string) => `/processes/${p.id}/tasks/${encodeURIComponent(t)}`;
    await api.request('POST', `${task('Open Loan Application')}/complete`, { output: { amount: 1 } });
    const claim = await api.request<{ leaseToken: string }>('POST', `${task('Review Credit')}/claim`, { workerId: 'leaving' });
    const released = await api.request('POST', `${task('Review Credit')}/release`, { leaseToken: claim.body.leaseToken, delaySeconds: 0 });
    expect(released.status).toBe(200);
    expect(released.body).toEqual({ processId: p.id, task: 'Review Credit', status: 'SCHEDULED', attempt: 1 });
    const stale = await api.request<ErrorBody>('POST', `${task('Review Credit')}/release`, { leaseToken: claim.body.leaseToken });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('LeaseMismatch');
    const next = await api.request<{ attempt: number }>('POST', `${task('Review Credit')}/claim`, { workerId: 'staying' });
    expect(next.status).toBe(200);
    expect(next.body.attempt).toBe(1);
  });

  it('reruns a failed process in place from the failed task, and refuses what cannot be rerun', async () => {
    const { body: p } = await api.request<{ id: string }>('POST', '/processes', { definition: loan, input: { amount: 1 } });
    const task = (t: string) => `/processes/${p.id}/tasks/${encodeURIComponent(t)}`;
    const still = await api.request<ErrorBody>('POST', `/processes/${p.id}/rerun`, {});
    expect([still.status, still.body.error.code]).toEqual([409, 'ProcessStillRunning']);
    await api.request('POST', `${task('Open Loan Application')}/complete`, { output: { amount: 1 } });
    await api.request('POST', `${task('Review Credit')}/fail`, { error: { message: 'bureau down', retryable: false } });

    const unknownTask = await api.request<ErrorBody>('POST', `/processes/${p.id}/rerun`, { fromTasks: ['Nope'] });
    expect([unknownTask.status, unknownTask.body.error.code]).toEqual([400, 'ValidationError']);
    const badBody = await api.request<ErrorBody>('POST', `/processes/${p.id}/rerun`, { fromTask: ['Decide'] });
    expect([badBody.status, badBody.body.error.code]).toEqual([400, 'ValidationError']);
    const dry = await api.request<{ matched: number; rerun: string[]; skipped: unknown[] }>('POST', '/processes/rerun', { definition: loan, failedTask: 'Review Credit', dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body.rerun).toContain(p.id);

    const rerun = await api.request<{ run: number; reset: string[]; kept: string[]; process: { status: string; runs: number } }>('POST', `/processes/${p.id}/rerun`, {});
    expect(rerun.status).toBe(200);
    expect(rerun.body).toMatchObject({ run: 2, reset: ['Review Credit', 'Decide'], kept: ['Open Loan Application'], process: { status: 'RUNNING', runs: 2 } });
    const claim = await api.request<{ attempt: number; input: { upstream: unknown } }>('POST', `${task('Review Credit')}/claim`, { workerId: 'w' });
    expect(claim.body).toMatchObject({ attempt: 1, input: { upstream: { 'Open Loan Application': { amount: 1 } } } });
    const history = await api.request<{ items: { type: string; run: number }[] }>('GET', `/processes/${p.id}/history`);
    expect(history.body.items.filter((e) => e.type.startsWith('Process')).map((e) => [e.run, e.type])).toEqual([
      [1, 'ProcessStarted'],
      [1, 'ProcessFailed'],
      [2, 'ProcessRerun'],
    ]);
    const missing = await api.request<ErrorBody>('POST', '/processes/does-not-exist/rerun', {});
    expect([missing.status, missing.body.error.code]).toEqual([404, 'ProcessNotFound']);
    const noDefinition = await api.request<ErrorBody>('POST', '/processes/rerun', { definition: name('none') });
    expect([noDefinition.status, noDefinition.body.error.code]).toEqual([404, 'DefinitionNotFound']);
    const badLimit = await api.request<ErrorBody>('POST', '/processes/rerun', { definition: loan, limit: 5000 });
    expect([badLimit.status, badLimit.body.error.code]).toEqual([400, 'ValidationError']);
  });

  it('pauses and resumes a process: a claim while paused gets 409 ProcessPaused, the running task completes, the history shows both', async () => {
    // Its own definition: the listing test below counts the cancelled processes of `loan`.
    const pausable = name('pausable');
    await api.request('PUT', `/definitions/${pausable}`, LOAN, yaml);
    const { body: p } = await api.request<{ id: string }>('POST', '/processes', { definition: pausable, input: {} });
    const task = (t: string) => `/processes/${p.id}/tasks/${encodeURIComponent(t)}`;
    const claim = await api.request<{ leaseToken: string }>('POST', `${task('Open Loan Application')}/claim`, { workerId: 'w' });
    const paused = await api.request<{ status: string }>('POST', `/processes/${p.id}/pause`, { reason: 'maintenance' });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('PAUSED');
    expect((await api.request<{ status: string }>('POST', `/processes/${p.id}/pause`)).body.status).toBe('PAUSED');
    expect((await api.request('POST', `${task('Open Loan Application')}/complete`, { leaseToken: claim.body.leaseToken, output: { ok: true } })).status).toBe(200);
    const refused = await api.request<ErrorBody>('POST', `${task('Review Credit')}/claim`, { workerId: 'w' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('ProcessPaused');
    const waiting = await api.request<{ tasks: { name: string; status: string }[] }>('GET', `/processes/${p.id}`);
    expect(waiting.body.tasks.map((t) => t.status)).toEqual(['COMPLETED', 'PENDING', 'PENDING']);
    const resumed = await api.request<{ status: string; tasks: { status: string }[] }>('POST', `/processes/${p.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('RUNNING');
    expect(resumed.body.tasks.map((t) => t.status)).toEqual(['COMPLETED', 'SCHEDULED', 'PENDING']);
    expect((await api.request<{ status: string }>('POST', `/processes/${p.id}/resume`)).body.status).toBe('RUNNING');
    const history = await api.request<{ items: { type: string; details?: unknown }[] }>('GET', `/processes/${p.id}/history`);
    const control = history.body.items.filter((e) => e.type.startsWith('ProcessP') || e.type === 'ProcessResumed');
    expect(control).toEqual([{ type: 'ProcessPaused', run: 1, at: expect.any(String), details: { reason: 'maintenance' } }, { type: 'ProcessResumed', run: 1, at: expect.any(String) }]);
    await api.request('POST', `/processes/${p.id}/cancel`);
    const ended = await api.request<ErrorBody>('POST', `/processes/${p.id}/pause`);
    expect(ended.status).toBe(409);
    expect(ended.body.error.code).toBe('ProcessNotRunning');
    expect((await api.request<ErrorBody>('POST', `/processes/${p.id}/resume`)).body.error.code).toBe('ProcessNotRunning');
  });

  it('fails a process and cancels one, listing them by status', async () => {
    const { body: a } = await api.request<{ id: string }>('POST', '/processes', { definition: loan });
    const failed = await api.request('POST', `/processes/${a.id}/tasks/${encodeURIComponent('Open Loan Application')}/fail`, {
      error: { message: 'applicant withdrew', code: 'WITHDRAWN', retryable: false },
    });
    expect(failed.status).toBe(200);
    expect((await api.request<{ status: string }>('GET', `/processes/${a.id}`)).body.status).toBe('FAILED');

    const { body: b } = await api.request<{ id: string }>('POST', '/processes', { definition: loan });
    const cancelled = await api.request<{ status: string; tasks: { status: string }[] }>('POST', `/processes/${b.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(cancelled.body.tasks.every((t) => t.status === 'CANCELLED')).toBe(true);

    const list = await api.request<{ items: { id: string; status: string }[] }>('GET', `/processes?definition=${loan}&status=CANCELLED`);
    expect(list.body.items.map((i) => i.id)).toEqual([b.id]);
    const byStatus = await api.request<{ items: { id: string; status: string }[] }>('GET', '/processes?status=FAILED&limit=100');
    expect(byStatus.body.items.map((i) => i.id)).toContain(a.id);
    expect((await api.request<ErrorBody>('GET', '/processes/does-not-exist')).body.error.code).toBe('ProcessNotFound');
  });
});

describe('openapi.json', () => {
  // Runs last in this file: vitest runs a file's tests in order.
  it('describes every response the tests above received: status, body and error codes', async () => {
    expect(exchanges.length).toBeGreaterThan(50);
    expect(await responsesNotInSpec(exchanges)).toEqual([]);
  });
});
