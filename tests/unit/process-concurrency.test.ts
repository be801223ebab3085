import { describe, expect, it } from 'vitest';
import { isTributaryApiError } from '../../client/index.ts';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';

/**
 * Process concurrency (issue 18) on the test engine: `concurrency: {limit, key?, onLimit}`.
 * Counted against the limit are RUNNING and PAUSED processes of the definition with the same key.
 */

const chain = (concurrency: string, extra = '') => `${extra}concurrency:\n${concurrency}\ntasks:\n  - name: a\n  - name: b\n    needs: [a]\n  - name: c\n    needs: [b]\n`;

async function engineWith(name: string, yaml: string): Promise<TestEngine> {
  const engine = createTestEngine();
  await engine.client.putDefinition(name, yaml);
  return engine;
}

async function statusesOf(engine: TestEngine, ids: readonly string[]): Promise<string[]> {
  return Promise.all(ids.map(async (id) => (await engine.client.getProcess(id)).status));
}

/** A worker that, before each task, counts the RUNNING processes of the definition per key (the most seen is kept). */
function countingWorker(engine: TestEngine, definition: string, keyOf: (input: unknown) => string = () => ''): Map<string, number> {
  const most = new Map<string, number>();
  engine.worker({
    handler: async () => {
      const running = (await engine.client.listProcesses({ status: 'RUNNING', definition, limit: 100 })).items;
      const perKey = new Map<string, number>();
      for (const p of running) {
        const key = keyOf((await engine.client.getProcess(p.id)).input);
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
      }
      for (const [key, n] of perKey) most.set(key, Math.max(most.get(key) ?? 0, n));
      return { ok: true };
    },
  });
  return most;
}

describe('process concurrency', () => {
  it('12 processes with limit 3: never more than 3 RUNNING, the rest QUEUED in order, all COMPLETED first in first out', async () => {
    const engine = await engineWith('limited', chain('  limit: 3'));
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await engine.client.startProcess({ definition: 'limited', input: { i } })).process.id);
    expect(await statusesOf(engine, ids)).toEqual([...Array(3).fill('RUNNING'), ...Array(9).fill('QUEUED')]);
    // Positions 1..9, in the listing (status=QUEUED) and on each process.
    expect(await Promise.all(ids.slice(3).map(async (id) => (await engine.client.getProcess(id)).queuePosition))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const queued = (await engine.client.listProcesses({ status: 'QUEUED', limit: 100 })).items;
    expect(queued.map((p) => [p.id, p.queuePosition]).sort((x, y) => Number(x[1]) - Number(y[1]))).toEqual(ids.slice(3).map((id, i) => [id, i + 1]));

    const most = countingWorker(engine, 'limited');
    await engine.runUntilIdle();
    expect(most.get('')).toBe(3);
    const views = await Promise.all(ids.map((id) => engine.client.getProcess(id)));
    expect(views.map((v) => v.status)).toEqual(Array(12).fill('COMPLETED'));
    // First in first out: each took its slot no earlier than the one started before it.
    const started = views.map((v) => v.startedAt!);
    expect([...started].sort()).toEqual(started);
    const pool = await engine.deps.pools.get({ pool: (await engine.deps.processes.get({ id: ids[0]! }))!.pool! });
    expect(pool?.slotsHeld).toBe(0);
  });

  it('the history of a queued process records ProcessQueued and ProcessDequeued', async () => {
    const engine = await engineWith('hist', chain('  limit: 1'));
    await engine.client.startProcess({ definition: 'hist', input: {} });
    const { process } = await engine.client.startProcess({ definition: 'hist', input: {} });
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    const types = (await engine.client.getHistory(process.id, { limit: 100 })).items.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['ProcessStarted', 'ProcessQueued', 'ProcessDequeued']);
    expect(types.at(-1)).toBe('ProcessCompleted');
  });

  it('two keys do not block each other: a key with many queued never delays another', async () => {
    const engine = await engineWith('keyed', chain('  limit: 1\n  key: input.tenant'));
    const busy: string[] = [];
    for (let i = 0; i < 6; i++) busy.push((await engine.client.startProcess({ definition: 'keyed', input: { tenant: 'busy', i } })).process.id);
    const other = (await engine.client.startProcess({ definition: 'keyed', input: { tenant: 'other' } })).process.id;
    expect(await statusesOf(engine, [...busy, other])).toEqual(['RUNNING', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'RUNNING']);
    expect((await engine.client.getProcess(busy[5]!)).queuePosition).toBe(5);
    const most = countingWorker(engine, 'keyed', (input) => String((input as { tenant: string }).tenant));
    await engine.runUntilIdle();
    expect(most.get('busy')).toBe(1);
    expect(await statusesOf(engine, [...busy, other])).toEqual(Array(7).fill('COMPLETED'));
  });

  it('rejectNew refuses a start over the limit with 409 ConcurrencyLimited, and creates nothing', async () => {
    const engine = await engineWith('strict', chain('  limit: 1\n  key: input.tenant\n  onLimit: rejectNew'));
    await engine.client.startProcess({ definition: 'strict', input: { tenant: 't1' } });
    const refused = await engine.client.startProcess({ definition: 'strict', input: { tenant: 't1' }, idempotencyKey: 'second' }).catch((e: unknown) => e);
    expect(isTributaryApiError(refused, 'ConcurrencyLimited')).toBe(true);
    expect(refused).toMatchObject({ status: 409, details: { limit: 1, key: 't1' } });
    expect((await engine.client.listProcesses({ definition: 'strict', limit: 10 })).items).toHaveLength(1);
    // Another key has its own pool.
    expect((await engine.client.startProcess({ definition: 'strict', input: { tenant: 't2' } })).process.status).toBe('RUNNING');
  });

  it('cancelOldest cancels the oldest running process of the key (Superseded) and starts the new one in its slot', async () => {
    const engine = await engineWith('latest', chain('  limit: 2\n  onLimit: cancelOldest'));
    const first = (await engine.client.startProcess({ definition: 'latest', input: { n: 1 } })).process.id;
    const second = (await engine.client.startProcess({ definition: 'latest', input: { n: 2 } })).process.id;
    const third = await engine.client.startProcess({ definition: 'latest', input: { n: 3 } });
    expect(third.process.status).toBe('RUNNING');
    const cancelled = await engine.client.getProcess(first);
    expect(cancelled.status).toBe('CANCELLED');
    expect(cancelled.error?.code).toBe('Superseded');
    expect(await statusesOf(engine, [second, third.process.id])).toEqual(['RUNNING', 'RUNNING']);
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    expect(await statusesOf(engine, [second, third.process.id])).toEqual(['COMPLETED', 'COMPLETED']);
  });

  it('a QUEUED process can be cancelled: it leaves the queue, frees no slot, and the next one moves up', async () => {
    const engine = await engineWith('cq', chain('  limit: 1'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await engine.client.startProcess({ definition: 'cq', input: { i } })).process.id);
    const cancelled = await engine.client.cancelProcess(ids[1]!);
    expect(cancelled.status).toBe('CANCELLED');
    expect((await engine.client.getProcess(ids[2]!)).queuePosition).toBe(1);
    expect((await engine.client.getProcess(ids[0]!)).status).toBe('RUNNING');
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    expect(await statusesOf(engine, ids)).toEqual(['COMPLETED', 'CANCELLED', 'COMPLETED']);
    const history = (await engine.client.getHistory(ids[1]!, { limit: 100 })).items.map((e) => e.type);
    expect(history).toEqual(['ProcessStarted', 'ProcessQueued', 'ProcessCancelled']);
  });

  it('a paused process keeps its slot; failing or cancelling a holder hands its slot to the queue', async () => {
    const engine = await engineWith('pk', chain('  limit: 1'));
    const first = (await engine.client.startProcess({ definition: 'pk', input: {} })).process.id;
    const second = (await engine.client.startProcess({ definition: 'pk', input: {} })).process.id;
    await engine.client.pause(first);
    expect(await statusesOf(engine, [first, second])).toEqual(['PAUSED', 'QUEUED']);
    await engine.client.cancelProcess(first);
    expect(await statusesOf(engine, [first, second])).toEqual(['CANCELLED', 'RUNNING']);
  });

  it('the process timeout counts from the dequeue, not from the queue', async () => {
    const engine = await engineWith('timed', chain('  limit: 1', 'timeoutSeconds: 60\n'));
    const first = (await engine.client.startProcess({ definition: 'timed', input: {} })).process.id;
    const second = (await engine.client.startProcess({ definition: 'timed', input: {} })).process.id;
    await engine.advance(50_000);
    await engine.client.cancelProcess(first);
    expect((await engine.client.getProcess(second)).status).toBe('RUNNING');
    await engine.advance(40_000);
    // 90 s after its creation, 40 s after its start: still running.
    expect((await engine.client.getProcess(second)).status).toBe('RUNNING');
    await engine.advance(60_000);
    expect((await engine.client.getProcess(second)).error?.code).toBe('ProcessTimedOut');
  });

  it('a concurrency key that fails on the input is a 400 at start naming the problem', async () => {
    const engine = await engineWith('badkey', chain('  limit: 1\n  key: input.tenant'));
    const refused = await engine.client.startProcess({ definition: 'badkey', input: { other: 1 } }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400, code: 'ValidationError' });
    expect(String((refused as Error).message)).toContain('input.tenant');
  });
});

describe('process concurrency and reruns', () => {
  it('a rerun of an ended process takes a slot like a start: under rejectNew, 409 ConcurrencyLimited while the pool is full', async () => {
    const engine = await engineWith('rr', chain('  limit: 1\n  onLimit: rejectNew'));
    const first = (await engine.client.startProcess({ definition: 'rr', input: {} })).process.id;
    await engine.client.cancelProcess(first);
    const second = (await engine.client.startProcess({ definition: 'rr', input: {} })).process.id;
    const refused = await engine.client.rerun(first).catch((e: unknown) => e);
    expect(isTributaryApiError(refused, 'ConcurrencyLimited')).toBe(true);
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(second)).status).toBe('COMPLETED');
    expect((await engine.client.rerun(first)).process.status).toBe('RUNNING');
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(first)).status).toBe('COMPLETED');
    const pool = await engine.deps.pools.get({ pool: (await engine.deps.processes.get({ id: first }))!.pool! });
    expect(pool?.slotsHeld).toBe(0);
  });
  it('a rerun against a full pool queues under onLimit: queue, in line behind the starts already waiting, and runs its pass when handed a slot', async () => {
    const engine = await engineWith('rq', chain('  limit: 1'));
    const first = (await engine.client.startProcess({ definition: 'rq', input: {} })).process.id;
    await engine.client.cancelProcess(first);
    const holder = (await engine.client.startProcess({ definition: 'rq', input: {} })).process.id;
    const waiting = (await engine.client.startProcess({ definition: 'rq', input: {} })).process.id;
    await engine.advance(1);
    const rerun = await engine.client.rerun(first);
    expect(rerun.run).toBe(2);
    expect(rerun.process.status).toBe('QUEUED');
    expect((await engine.client.getProcess(first)).queuePosition).toBe(2);
    const pools = await engine.client.listConcurrencyPools({ definition: 'rq' });
    expect(pools.items.map((p) => [p.held, p.queued])).toEqual([[1, 2]]);
    const order: string[] = [];
    engine.worker({
      handler: async (task) => {
        if (task.task === 'a') order.push(task.processId);
        return {};
      },
    });
    await engine.runUntilIdle();
    // First in first out: the start queued before the rerun runs before it; the rerun ran its tasks again (run 2).
    expect(order).toEqual([holder, waiting, first]);
    const item = await engine.deps.processes.get({ id: first });
    expect([item?.status, item?.run]).toEqual(['COMPLETED', 2]);
    const pool = await engine.deps.pools.get({ pool: (await engine.deps.processes.get({ id: first }))!.pool! });
    expect(pool?.slotsHeld).toBe(0);
  });
});