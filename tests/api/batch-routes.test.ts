import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.ts';
import { responsesNotInSpec, type RecordedExchange } from '../support/openapi-responses.ts';

/** POST /tasks/claim, /tasks/complete and /tasks/fail through the real handlers, as API Gateway invokes them. */
let api: TestApi;
const run = Math.random().toString(36).slice(2, 8);
const FAN = `fan-${run}`;
const exchanges: RecordedExchange[] = [];

type ErrorItem = { error: { code: string; message: string; details?: unknown } };
type ClaimItem = { leaseToken: string; leaseExpiresAt: string; attempt: number; input: unknown };
type Results<T> = { results: (T | ErrorItem)[] };

beforeAll(async () => {
  api = await startTestApi({ onResponse: (exchange) => exchanges.push(exchange) });
  // Three roots, scheduled at the start; C is retried once.
  await api.request('PUT', `/definitions/${FAN}`, { tasks: [{ name: 'A' }, { name: 'B' }, { name: 'C', retry: { maxAttempts: 2 } }, { name: 'End', needs: ['A', 'B', 'C'] }] });
});
afterAll(async () => {
  await api.close();
});

async function start(): Promise<string> {
  const started = await api.request<{ id: string }>('POST', '/processes', { definition: FAN, input: { n: 1 } });
  expect(started.status).toBe(201);
  return started.body.id;
}

const single = (processId: string, task: string, action: string, body: unknown) =>
  api.request('POST', `/processes/${processId}/tasks/${encodeURIComponent(task)}/${action}`, body);

describe('POST /tasks/claim', () => {
  it('answers each claim in the order asked, as the single route would, a refusal of one failing none of the others', async () => {
    const id = await start();
    const batch = { workerId: 'w1', tasks: [{ processId: id, task: 'B' }, { processId: id, task: 'Nope' }, { processId: id, task: 'A' }, { processId: id, task: 'End' }, { processId: 'no-such-process', task: 'A' }] };
    const res = await api.request<Results<ClaimItem>>('POST', '/tasks/claim', batch);
    expect(res.status).toBe(200);
    const [b, nope, a, end, gone] = res.body.results;
    expect(b).toEqual({ leaseToken: expect.any(String), leaseExpiresAt: expect.any(String), attempt: 1, input: { process: { n: 1 }, upstream: {} } });
    expect(a).toEqual({ leaseToken: expect.any(String), leaseExpiresAt: expect.any(String), attempt: 1, input: { process: { n: 1 }, upstream: {} } });
    expect((a as ClaimItem).leaseToken).not.toBe((b as ClaimItem).leaseToken);
    // The same codes and bodies as the single route's 4xx answers.
    const singleNope = await single(id, 'Nope', 'claim', { workerId: 'w1' });
    expect(singleNope.status).toBe(404);
    expect(nope).toEqual(singleNope.body);
    expect((nope as ErrorItem).error.code).toBe('TaskNotFound');
    const singleEnd = await single(id, 'End', 'claim', { workerId: 'w1' });
    expect(singleEnd.status).toBe(409);
    expect(end).toEqual(singleEnd.body);
    expect((gone as ErrorItem).error.code).toBe('ProcessNotFound');
    // The single route, asked again by the same worker, answers the same lease the batch gave.
    expect((await single(id, 'A', 'claim', { workerId: 'w1' })).body).toEqual(a);
    // Another worker is refused on each, item by item.
    const other = await api.request<Results<ClaimItem>>('POST', '/tasks/claim', { workerId: 'w2', tasks: [{ processId: id, task: 'A' }, { processId: id, task: 'C' }] });
    expect((other.body.results[0] as ErrorItem).error.code).toBe('TaskAlreadyClaimed');
    expect(other.body.results[1]).toMatchObject({ attempt: 1 });
  });

  it('is idempotent: a task named twice in a batch, and the batch repeated, get the same lease', async () => {
    const id = await start();
    const batch = { workerId: 'w1', tasks: [{ processId: id, task: 'A' }, { processId: id, task: 'B' }, { processId: id, task: 'A' }] };
    const first = await api.request<Results<ClaimItem>>('POST', '/tasks/claim', batch);
    expect(first.status).toBe(200);
    const [a, b, again] = first.body.results as ClaimItem[];
    expect(again).toEqual(a);
    const repeated = await api.request<Results<ClaimItem>>('POST', '/tasks/claim', batch);
    expect(repeated.body.results).toEqual([a, b, a]);
    const history = await api.request<{ items: { type: string; task?: string }[] }>('GET', `/processes/${id}/history?limit=100`);
    expect(history.body.items.filter((e) => e.type === 'TaskClaimed').map((e) => e.task).sort()).toEqual(['A', 'B']);
  });

  it('answers 400 naming the problem for no task, eleven tasks, or a bad item, and claims nothing', async () => {
    const id = await start();
    const none = await api.request<ErrorItem>('POST', '/tasks/claim', { workerId: 'w1', tasks: [] });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: 'ValidationError', details: [{ path: 'body.tasks', message: 'a batch holds from 1 to 10 items' }] });
    const eleven = await api.request<ErrorItem>('POST', '/tasks/claim', { workerId: 'w1', tasks: Array.from({ length: 11 }, () => ({ processId: id, task: 'A' })) });
    expect(eleven.status).toBe(400);
    expect(eleven.body.error.message).toContain('body.tasks: a batch holds from 1 to 10 items');
    const badItem = await api.request<ErrorItem>('POST', '/tasks/claim', { workerId: 'w1', tasks: [{ processId: id, task: 'A' }, { processId: id }] });
    expect(badItem.status).toBe(400);
    expect(badItem.body.error.details).toEqual([expect.objectContaining({ path: 'body.tasks.1.task' })]);
    const noWorker = await api.request<ErrorItem>('POST', '/tasks/claim', { tasks: [{ processId: id, task: 'A' }] });
    expect(noWorker.status).toBe(400);
    expect(noWorker.body.error.details).toEqual([expect.objectContaining({ path: 'body.workerId' })]);
    const extra = await api.request<ErrorItem>('POST', '/tasks/claim', { workerId: 'w1', leaseSecs: 5, tasks: [{ processId: id, task: 'A' }] });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('leaseSecs');
    // Nothing was claimed by the refused batches.
    const active = await api.request<{ items: { name: string; status: string }[] }>('GET', `/processes/${id}/tasks/active`);
    expect(active.body.items.map((t) => t.status)).toEqual(['SCHEDULED', 'SCHEDULED', 'SCHEDULED']);
  });
});

describe('POST /tasks/complete and /tasks/fail', () => {
  it('answers each item in order, fenced by its lease token; duplicates and repeats are as idempotent as single calls', async () => {
    const id = await start();
    const claims = (await api.request<Results<ClaimItem>>('POST', '/tasks/claim', { workerId: 'w1', tasks: ['A', 'B', 'C'].map((task) => ({ processId: id, task })) })).body
      .results as ClaimItem[];
    const [a, b, c] = claims as [ClaimItem, ClaimItem, ClaimItem];
    const items = [
      { processId: id, task: 'A', leaseToken: a.leaseToken, output: { a: 1 } },
      { processId: id, task: 'B', leaseToken: 'forged', output: { b: 1 } },
      { processId: id, task: 'A', leaseToken: a.leaseToken, output: { a: 1 } },
      { processId: id, task: 'Nope', leaseToken: a.leaseToken },
    ];
    const done = await api.request<Results<unknown>>('POST', '/tasks/complete', { items });
    expect(done.status).toBe(200);
    const forged = await single(id, 'B', 'complete', { leaseToken: 'forged', output: { b: 1 } });
    expect(forged.status).toBe(409);
    expect(done.body.results).toEqual([
      { processId: id, task: 'A', status: 'COMPLETED' },
      forged.body,
      { processId: id, task: 'A', status: 'COMPLETED' },
      { error: expect.objectContaining({ code: 'TaskNotFound' }) },
    ]);
    const again = await api.request<Results<unknown>>('POST', '/tasks/complete', { items });
    expect(again.body.results).toEqual(done.body.results);

    // C fails with an attempt left (SCHEDULED again) next to B's completion by its holder.
    const failed = await api.request<Results<unknown>>('POST', '/tasks/fail', {
      items: [
        { processId: id, task: 'C', leaseToken: c.leaseToken, error: { message: 'flaky', code: 'Flaky' } },
        { processId: id, task: 'B', leaseToken: 'forged', error: { message: 'not mine' } },
      ],
    });
    expect(failed.status).toBe(200);
    expect(failed.body.results).toEqual([
      { processId: id, task: 'C', status: 'SCHEDULED', nextAttemptAt: expect.any(String) },
      { error: expect.objectContaining({ code: 'LeaseMismatch' }) },
    ]);
    expect((await api.request('POST', '/tasks/complete', { items: [{ processId: id, task: 'B', leaseToken: b.leaseToken, output: 2 }] })).body).toEqual({
      results: [{ processId: id, task: 'B', status: 'COMPLETED' }],
    });
    const view = await api.request<{ tasks: { name: string; status: string; attempt?: number; output?: unknown }[] }>('GET', `/processes/${id}`);
    expect(view.body.tasks.map((t) => [t.name, t.status])).toEqual([
      ['A', 'COMPLETED'],
      ['B', 'COMPLETED'],
      ['C', 'SCHEDULED'],
      ['End', 'PENDING'],
    ]);
    const history = await api.request<{ items: { type: string; task?: string }[] }>('GET', `/processes/${id}/history?limit=100`);
    expect(history.body.items.filter((e) => e.type === 'TaskCompleted').map((e) => e.task)).toEqual(['A', 'B']);
  });

  it('refuses a stale lease token (fencing): after a release and a new claim, only the new holder completes', async () => {
    const id = await start();
    const first = (await api.request<Results<ClaimItem>>('POST', '/tasks/claim', { workerId: 'old', tasks: [{ processId: id, task: 'A' }] })).body.results[0] as ClaimItem;
    expect((await single(id, 'A', 'release', { leaseToken: first.leaseToken, delaySeconds: 0 })).status).toBe(200);
    const second = (await api.request<Results<ClaimItem>>('POST', '/tasks/claim', { workerId: 'new', tasks: [{ processId: id, task: 'A' }] })).body.results[0] as ClaimItem;
    expect(second.leaseToken).not.toBe(first.leaseToken);
    const res = await api.request<Results<unknown>>('POST', '/tasks/complete', {
      items: [
        { processId: id, task: 'A', leaseToken: first.leaseToken, output: 'stale' },
        { processId: id, task: 'A', leaseToken: second.leaseToken, output: 'fresh' },
      ],
    });
    expect(res.body.results).toEqual([{ error: expect.objectContaining({ code: 'LeaseMismatch' }) }, { processId: id, task: 'A', status: 'COMPLETED' }]);
    const task = await api.request<{ output: unknown }>('GET', `/processes/${id}/tasks/A`);
    expect(task.body.output).toBe('fresh');
  });

  it('answers 400 naming the problem for no item, eleven items or a bad item body', async () => {
    const empty = await api.request<ErrorItem>('POST', '/tasks/complete', { items: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details).toEqual([{ path: 'body.items', message: 'a batch holds from 1 to 10 items' }]);
    const eleven = await api.request<ErrorItem>('POST', '/tasks/fail', { items: Array.from({ length: 11 }, () => ({ processId: 'p', task: 'A', error: { message: 'x' } })) });
    expect(eleven.status).toBe(400);
    expect(eleven.body.error.details).toEqual([{ path: 'body.items', message: 'a batch holds from 1 to 10 items' }]);
    const noError = await api.request<ErrorItem>('POST', '/tasks/fail', { items: [{ processId: 'p', task: 'A', leaseToken: 't' }] });
    expect(noError.status).toBe(400);
    expect(noError.body.error.details).toEqual([expect.objectContaining({ path: 'body.items.0.error' })]);
    const typo = await api.request<ErrorItem>('POST', '/tasks/complete', { items: [{ processId: 'p', task: 'A', outptu: 1 }] });
    expect(typo.status).toBe(400);
    expect(typo.body.error.message).toContain('outptu');
    const notArray = await api.request<ErrorItem>('POST', '/tasks/complete', { items: { processId: 'p', task: 'A' } });
    expect(notArray.status).toBe(400);
    expect(notArray.body.error.details).toEqual([{ path: 'body.items', message: 'must be an array: a batch holds from 1 to 10 items' }]);
  });
});

describe('the answers', () => {
  it('are those openapi.json documents', async () => {
    expect(exchanges.length).toBeGreaterThan(10);
    expect(await responsesNotInSpec(exchanges)).toEqual([]);
  });
});
