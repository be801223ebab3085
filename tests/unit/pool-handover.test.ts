import { describe, expect, it } from 'vitest';
import { poolIdOf } from '#app/process-pools.ts';
import { finishStaleStart, startReasonOf } from '#app/pool-handover.ts';
import { createTestEngine } from '../../testing/index.ts';
import { writeUnitsOf } from '../../bench/write-units.ts';
import { WORKLOADS } from '../../bench/workloads.ts';

/**
 * Issue 18: the ending of a process that holds a concurrency slot hands the
 * slot straight to the head of its pool's queue, in the ending's own
 * transaction; only an ending with nobody queued gives it back. Virtual clock.
 */

const ONE_TASK = (limit: number) => `concurrency:\n  limit: ${limit}\ntasks:\n  - name: work\n`;

describe('the hand-over of a concurrency slot', () => {
  it("goes to the head of the queue in the ending's transaction: the pool's count never moves, the ending records whom it went to", async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('handed', ONE_TASK(2));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await engine.client.startProcess({ definition: 'handed', input: { i } })).process.id);
    const pool = poolIdOf('handed', undefined);
    const counts: number[] = [];
    engine.worker({
      handler: async () => {
        counts.push((await engine.deps.pools.get({ pool }))?.slotsHeld ?? 0);
        return { ok: true };
      },
    });
    await engine.runUntilIdle();
    const items = await Promise.all(ids.map(async (id) => (await engine.deps.processes.get({ id }))!));
    expect(items.map((p) => p.status)).toEqual(Array(6).fill('COMPLETED'));
    // Every task ran with the pool at 2 held (four hand-overs), but maybe the last, after the fifth gave its slot back.
    expect(counts.slice(0, 5)).toEqual(Array(5).fill(2));
    expect(counts[5]).toBeGreaterThanOrEqual(1);
    expect((await engine.deps.pools.get({ pool }))?.slotsHeld).toBe(0);
    // First in first out: the first two handed to the third and fourth, and those to the fifth and sixth.
    expect(items.map((p) => p.handedTo)).toEqual([ids[2], ids[3], ids[4], ids[5], undefined, undefined]);
  });

  it('from an ending with nobody queued goes back to the pool; to a full pool it marks the pool, so a start stranded after its queued put still starts', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('stranded', ONE_TASK(1));
    const pool = poolIdOf('stranded', undefined);
    const holder = (await engine.client.startProcess({ definition: 'stranded', input: {} })).process.id;
    // A start refused by the full pool puts itself QUEUED and dies before its look at the pool (no ending is left to
    // hand it the slot): the same put, made while the holder runs, with the holder's ending left to see an empty queue.
    engine.worker({ handler: async () => ({ ok: true }) });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(holder)).status).toBe('COMPLETED');
    expect((await engine.deps.pools.get({ pool }))?.sweepAt, 'the full pool given back is marked due').toBeDefined();
    const createdAt = new Date(engine.now()).toISOString();
    await engine.deps.processes.createInPool({
      process: { id: 'stranded-1', definition: 'stranded', version: 1, total: 1, createdAt, sweepAt: engine.now(), inputExpiresAt: 0 },
      input: {},
      placement: { pool, limit: 1, queueTicket: engine.now() },
    });
    expect((await engine.deps.processes.get({ id: 'stranded-1' }))?.status).toBe('QUEUED');
    await engine.advance(10 * 60_000);
    expect((await engine.client.getProcess('stranded-1')).status).toBe('COMPLETED');
    expect((await engine.deps.pools.get({ pool }))?.slotsHeld).toBe(0);
  });

  it('costs at most 2 write units per task on workload (f) against (a), billed as AWS bills them', async () => {
    const [a, f] = await Promise.all(['a', 'f'].map((id) => writeUnitsOf(WORKLOADS.find((w) => w.id === id)!)));
    const extra = f!.units / f!.tasks - a!.units / a!.tasks;
    expect(extra, `(f) ${f!.units} units, (a) ${a!.units} units, over ${f!.tasks} tasks`).toBeLessThanOrEqual(2);
  }, 120_000);
});

describe('GET /concurrency?definition= (no task): the process pools', () => {
  it('lists each key with its slots held, the processes holding them, and how many are QUEUED', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('tenants', `concurrency:\n  limit: 2\n  key: input.tenant\ntasks:\n  - name: work\n`);
    const ids: Record<string, string[]> = { acme: [], globex: [] };
    for (let i = 0; i < 5; i++) ids.acme!.push((await engine.client.startProcess({ definition: 'tenants', input: { tenant: 'acme' } })).process.id);
    ids.globex!.push((await engine.client.startProcess({ definition: 'tenants', input: { tenant: 'globex' } })).process.id);
    const page = await engine.client.listConcurrencyPools({ definition: 'tenants' });
    expect(page.task).toBeUndefined();
    expect(page.limit).toBe(2);
    expect(page.items.map((p) => ({ key: p.key, held: p.held, queued: p.queued, holders: p.holders.map((h) => h.processId).sort() }))).toEqual([
      { key: 'acme', held: 2, queued: 3, holders: ids.acme!.slice(0, 2).sort() },
      { key: 'globex', held: 1, queued: 0, holders: ids.globex },
    ]);
    engine.worker({ handler: async () => ({ ok: true }) });
    await engine.runUntilIdle();
    const after = await engine.client.listConcurrencyPools({ definition: 'tenants' });
    // Nothing holds or waits any more: no process of the definition is found to name a keyed pool.
    expect(after.items).toEqual([]);
  });

  it('answers 400 for a definition without a process limit, naming the missing task', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('plain', 'tasks:\n  - name: work\n');
    await expect(engine.client.listConcurrencyPools({ definition: 'plain' })).rejects.toMatchObject({ status: 400, code: 'ValidationError' });
  });
});

describe('a reader of the queue head that finds a process already started', () => {
  it('leaves a start younger than the follow-up grace to the call that handed it the slot, and finishes an older one', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('young', ONE_TASK(1));
    const id = (await engine.client.startProcess({ definition: 'young', input: {} })).process.id;
    const started = (await engine.deps.processes.get({ id }))!;
    // The process as a reader sees it right after a hand-over, before its roots: RUNNING, its start owed.
    const handedOver = { ...started, startedAt: new Date(engine.now()).toISOString(), sweepAt: engine.now(), sweepReason: startReasonOf(started) };
    const calls: string[] = [];
    const watched = { ...engine.deps, tasks: new Proxy(engine.deps.tasks, { get: (t, k) => (calls.push(String(k)), Reflect.get(t, k)) }) };
    await finishStaleStart(watched, handedOver);
    expect(calls, 'a young start: nothing read or written for its roots').toEqual([]);
    await engine.advance(engine.deps.settings.followUpGraceMs + 1);
    await finishStaleStart(watched, handedOver);
    expect(calls.length, 'an old start: its roots are looked after').toBeGreaterThan(0);
  });
});
