import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';

/**
 * Issue 18, part 6, for task limits: a crash after every store call of claim, heartbeat, complete, fail, release,
 * cancel and the sweeper's lease expiry never lets the limit be exceeded, and every slot comes back (at the latest
 * when its lease expires), with tasks waiting on the key's wait list; duplicate messages never take two slots. On the test engine's virtual clock.
 */

const DEFINITION = `
tasks:
  - name: call-partner
    timeoutSeconds: 30
    retry: { maxAttempts: 3 }
    concurrency: { limit: 2 }
`;
const TASK = 'call-partner';
const LIMIT = 2;

async function setUp(n: number): Promise<{ engine: TestEngine; ids: string[] }> {
  const engine = createTestEngine();
  await engine.client.putDefinition('limited', DEFINITION);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await engine.client.startProcess({ definition: 'limited', input: {} })).process.id);
  return { engine, ids };
}

/** The limit holds: at most LIMIT tasks RUNNING, at most LIMIT live slot holders, and every live holder RUNNING under the same lease. */
async function expectWithinLimit(engine: TestEngine, ids: readonly string[]): Promise<void> {
  const tasks = await Promise.all(ids.map((id) => engine.deps.tasks.get({ processId: id, task: TASK })));
  const running = tasks.filter((t) => t?.status === 'RUNNING' && (t.leaseExpiresAt ?? 0) > engine.now());
  const holders = (await engine.client.listConcurrencyPools({ definition: 'limited', task: TASK })).items.flatMap((p) => p.holders);
  expect(running.length).toBeLessThanOrEqual(LIMIT);
  expect(holders.length).toBeLessThanOrEqual(LIMIT);
  // A live lease of a RUNNING task always has its slot: no task runs outside the limit.
  for (const t of running) expect(holders.map((h) => h.processId)).toContain(ids[tasks.indexOf(t)]);
}

/** Everything finishes once workers come back and leases run out: every process COMPLETED, every slot free. */
async function expectEverySlotBack(engine: TestEngine, ids: readonly string[]): Promise<void> {
  engine.worker({ handler: async () => ({ ok: true }) });
  for (let i = 0; i < 20; i++) await engine.advance(31_000);
  for (const id of ids) expect((await engine.client.getProcess(id)).status, id).toMatch(/COMPLETED|CANCELLED/);
  const holders = (await engine.client.listConcurrencyPools({ definition: 'limited', task: TASK })).items.flatMap((p) => p.holders);
  expect(holders).toEqual([]);
}

type Op = (engine: TestEngine, ids: string[], held: { id: string; leaseToken: string }) => Promise<unknown>;

const OPS: Record<string, Op> = {
  claim: (engine, ids) => engine.client.claim(ids[2]!, TASK, 'w-late'),
  // A claim with every slot held: it joins the wait list, looks again, and is refused.
  'refused claim': (engine, ids) => engine.client.claim(ids[2]!, TASK, 'w-late'),
  heartbeat: (engine, _ids, held) => engine.client.heartbeat(held.id, TASK, held.leaseToken),
  complete: (engine, _ids, held) => engine.client.complete(held.id, TASK, { leaseToken: held.leaseToken, output: {} }),
  fail: (engine, _ids, held) => engine.client.fail(held.id, TASK, { leaseToken: held.leaseToken, error: { message: 'boom', code: 'Boom' } }),
  release: (engine, _ids, held) => engine.client.release(held.id, TASK, { leaseToken: held.leaseToken }),
  cancel: (engine, _ids, held) => engine.client.cancelProcess(held.id, { reason: 'test' }),
  expiry: (engine) => engine.advance(31_000),
};

describe('task concurrency under faults', () => {
  for (const [name, op] of Object.entries(OPS)) {
    it(`a crash after each store call of ${name}: the limit holds, and every slot comes back`, async () => {
      for (let n = 1; n <= 16; n++) {
        const { engine, ids } = await setUp(4);
        // The first claim that succeeds frees a slot later; the second keeps the pool full.
        const a = await engine.client.claim(ids[0]!, TASK, 'w-0');
        if (name === 'claim') await engine.client.complete(ids[0]!, TASK, { leaseToken: a.leaseToken, output: {} });
        await engine.client.claim(ids[1]!, TASK, 'w-1');
        // The last waits on the key's wait list, so that the op's hand-on of a freed slot crashes too.
        if (name !== 'claim') await expect(engine.client.claim(ids[3]!, TASK, 'w-waiting')).rejects.toMatchObject({ code: 'ConcurrencyLimited' });
        engine.faults.crashAfterStoreCalls(n);
        await op(engine, ids, { id: ids[0]!, leaseToken: a.leaseToken }).catch(() => undefined);
        engine.faults.crashAfterStoreCalls(Number.POSITIVE_INFINITY);
        await expectWithinLimit(engine, ids);
        // The others keep trying while the pool may be full: never past the limit.
        for (const id of ids) await engine.client.claim(id, TASK, `w-again-${n}`).catch(() => undefined);
        await expectWithinLimit(engine, ids);
        await expectEverySlotBack(engine, ids);
      }
    });
  }

  it('duplicate messages never take two slots: 5 processes, every message delivered twice, never more than 2 RUNNING', async () => {
    const { engine, ids } = await setUp(0);
    engine.faults.duplicateMessages(10);
    for (let i = 0; i < 5; i++) ids.push((await engine.client.startProcess({ definition: 'limited', input: {} })).process.id);
    let max = 0;
    engine.worker({
      handler: async () => {
        const tasks = await Promise.all(ids.map((id) => engine.deps.tasks.get({ processId: id, task: TASK })));
        max = Math.max(max, tasks.filter((t) => t?.status === 'RUNNING').length);
        return {};
      },
    });
    for (let i = 0; i < 10; i++) await engine.advance(31_000);
    for (const id of ids) expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(max).toBeGreaterThan(0);
    expect(max).toBeLessThanOrEqual(LIMIT);
  });
});
