import { describe, expect, it } from 'vitest';
import { TributaryApiError, TributaryClient } from '../../client/index.ts';
import { ResultBatcher, type BatcherTimers } from '../../client/result-batcher.ts';
import { fakeFetch, type Scripted } from './fake-fetch.ts';

/** A timer the test fires by hand: no test waits on the clock. */
function manualTimers(): BatcherTimers & { fire(): void; readonly armed: number[] } {
  let pending: (() => void) | undefined;
  const armed: number[] = [];
  return {
    armed,
    set: (fn, ms) => {
      armed.push(ms);
      pending = fn;
      return fn;
    },
    clear: (handle) => {
      if (pending === handle) pending = undefined;
    },
    fire: () => {
      const fn = pending;
      pending = undefined;
      fn?.();
    },
  };
}

const ended = (task: string, status = 'COMPLETED') => ({ processId: 'p', task, status });
const bodyOf = (fake: ReturnType<typeof fakeFetch>, i: number) => JSON.parse(fake.requests[i]!.body ?? 'null') as { items: { task: string }[] };

function setup(script: readonly Scripted[], flushNow?: (waiting: number) => boolean) {
  const fake = fakeFetch(script);
  const client = new TributaryClient({ baseUrl: 'http://api', fetch: fake.fetch, backoff: { baseMs: 1, maxMs: 1 } });
  const timers = manualTimers();
  const batcher = new ResultBatcher({ client, timers, flushDelayMs: 50, ...(flushNow ? { flushNow } : {}) });
  return { fake, batcher, timers };
}

describe('ResultBatcher', () => {
  it('sends ten completions in one call as soon as the tenth arrives, each caller getting its own answer', async () => {
    const tasks = Array.from({ length: 10 }, (_, i) => `t${i}`);
    const { fake, batcher, timers } = setup([{ status: 200, body: { results: tasks.map((t) => ended(t)) } }]);
    const answers = tasks.map((task) => batcher.complete('p', task, { leaseToken: `lease-${task}`, output: { task } }));
    expect(await Promise.all(answers)).toEqual(tasks.map((t) => ended(t)));
    expect(fake.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['POST /tasks/complete']);
    expect(bodyOf(fake, 0).items).toEqual(tasks.map((task) => ({ processId: 'p', task, leaseToken: `lease-${task}`, output: { task } })));
    expect(timers.armed).toEqual([50]);
  });

  it('sends fewer when the flush delay runs out, and failures in their own call', async () => {
    const { fake, batcher, timers } = setup([
      { status: 200, body: { results: [ended('a'), ended('b')] } },
      { status: 200, body: { results: [ended('c', 'SCHEDULED'), ended('d', 'FAILED')] } },
    ]);
    const a = batcher.complete('p', 'a', { leaseToken: 'la', output: 1 });
    const b = batcher.complete('p', 'b', { leaseToken: 'lb', output: 2 });
    const c = batcher.fail('p', 'c', { leaseToken: 'lc', error: { message: 'flaky' } });
    const d = batcher.fail('p', 'd', { leaseToken: 'ld', error: { message: 'broken', retryable: false } });
    await Promise.resolve();
    expect(fake.requests).toHaveLength(0);
    expect(batcher.waiting).toBe(4);
    timers.fire();
    expect(await Promise.all([a, b, c, d])).toEqual([ended('a'), ended('b'), ended('c', 'SCHEDULED'), ended('d', 'FAILED')]);
    expect(fake.requests.map((r) => new URL(r.url).pathname)).toEqual(['/tasks/complete', '/tasks/fail']);
    expect(bodyOf(fake, 1).items.map((i) => i.task)).toEqual(['c', 'd']);
  });

  it('sends at once when flushNow says every running task waits, and one alone through the single route', async () => {
    const { fake, batcher } = setup([{ status: 200, body: ended('only') }], (waiting) => waiting >= 1);
    expect(await batcher.complete('p', 'only', { leaseToken: 'l', output: null })).toEqual(ended('only'));
    expect(fake.requests.map((r) => new URL(r.url).pathname)).toEqual(['/processes/p/tasks/only/complete']);
  });

  it("rejects an item with its single call's error, retries an item's InternalError alone, and leaves the others be", async () => {
    const { fake, batcher, timers } = setup([
      {
        status: 200,
        body: {
          results: [
            ended('a'),
            { error: { code: 'LeaseMismatch', message: 'the lease is gone' } },
            { error: { code: 'InternalError', message: 'internal error' } },
          ],
        },
      },
      { status: 200, body: ended('c') },
    ]);
    const a = batcher.complete('p', 'a', { leaseToken: 'la' });
    const b = batcher.complete('p', 'b', { leaseToken: 'lb' });
    const c = batcher.complete('p', 'c', { leaseToken: 'lc' });
    timers.fire();
    expect(await a).toEqual(ended('a'));
    const refused = await b.catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TributaryApiError);
    expect(refused).toMatchObject({ status: 409, code: 'LeaseMismatch', request: 'POST /tasks/complete [1]' });
    expect(await c).toEqual(ended('c'));
    expect(fake.requests.map((r) => new URL(r.url).pathname)).toEqual(['/tasks/complete', '/processes/p/tasks/c/complete']);
  });

  it('sends a batch refused whole as too large again item by item, and a result too big to share alone', async () => {
    const { fake, batcher, timers } = setup([
      { status: 413, body: { error: { code: 'PayloadTooLarge', message: 'request body is too large' } } },
      { status: 200, body: ended('a') },
      { status: 200, body: ended('b') },
      { status: 200, body: ended('big') },
    ]);
    const a = batcher.complete('p', 'a', { leaseToken: 'la' });
    const b = batcher.complete('p', 'b', { leaseToken: 'lb' });
    timers.fire();
    expect(await Promise.all([a, b])).toEqual([ended('a'), ended('b')]);
    expect(await batcher.complete('p', 'big', { leaseToken: 'l', output: 'x'.repeat(100_000) })).toEqual(ended('big'));
    expect(fake.requests.map((r) => new URL(r.url).pathname)).toEqual(['/tasks/complete', '/processes/p/tasks/a/complete', '/processes/p/tasks/b/complete', '/processes/p/tasks/big/complete']);
  });

  it('close() sends what waits without waiting for the delay', async () => {
    const { fake, batcher } = setup([{ status: 200, body: { results: [ended('a'), ended('b')] } }]);
    const answers = Promise.all([batcher.complete('p', 'a', { leaseToken: 'la' }), batcher.complete('p', 'b', { leaseToken: 'lb' })]);
    await batcher.close();
    expect(await answers).toEqual([ended('a'), ended('b')]);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('TributaryClient batch calls', () => {
  it('claimTasks answers each claim or the error its single call would throw, and retries the call on a 503', async () => {
    const claim = { leaseToken: 'l1', leaseExpiresAt: '2026-01-01T00:05:00.000Z', attempt: 1, input: { process: null, upstream: {} } };
    const fake = fakeFetch([
      { status: 503 },
      { status: 200, body: { results: [claim, { error: { code: 'TaskNotActive', message: 'not yet', details: { notBefore: '2026-01-01T00:01:00.000Z' } } }] } },
    ]);
    const client = new TributaryClient({ baseUrl: 'http://api', fetch: fake.fetch, backoff: { baseMs: 1, maxMs: 1 } });
    const [ok, refused] = await client.claimTasks('w1', [
      { processId: 'p', task: 'A' },
      { processId: 'p', task: 'B' },
    ]);
    expect(ok).toEqual({ ok: true, value: claim });
    expect(refused).toMatchObject({ ok: false, error: { status: 409, code: 'TaskNotActive', details: { notBefore: '2026-01-01T00:01:00.000Z' } } });
    expect(fake.requests).toHaveLength(2);
    expect(JSON.parse(fake.requests[1]!.body!)).toEqual({ workerId: 'w1', tasks: [{ processId: 'p', task: 'A' }, { processId: 'p', task: 'B' }] });
  });

  it('does not retry a batch completion when an item has no lease token (a repeat could be refused)', async () => {
    const fake = fakeFetch([{ status: 503 }]);
    const client = new TributaryClient({ baseUrl: 'http://api', fetch: fake.fetch, backoff: { baseMs: 1, maxMs: 1 } });
    await expect(client.completeTasks([{ processId: 'p', task: 'manual', output: 1 }])).rejects.toMatchObject({ status: 503 });
    expect(fake.requests).toHaveLength(1);
  });
});
