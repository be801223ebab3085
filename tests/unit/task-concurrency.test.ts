import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';
import { isTributaryApiError } from '../../client/errors.ts';

/** Issue 18, part 3: a task's concurrency limit across processes, on the test engine (virtual clock). */

const LIMITED = `
tasks:
  - name: call-partner
    timeoutSeconds: 60
    concurrency: { limit: 2, key: "input.partner" }
`;

async function start(engine: TestEngine, n: number, partner = 'acme'): Promise<string[]> {
  await engine.client.putDefinition('limited', LIMITED);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await engine.client.startProcess({ definition: 'limited', input: { partner } })).process.id);
  return ids;
}

/** Claims every process's task once, as workers that hold on to what they get; answers the claims and the refusals. */
async function claimAll(engine: TestEngine, ids: readonly string[], worker = 'w') {
  const claims: { id: string; leaseToken: string }[] = [];
  const refused: { id: string; code: string; notBefore?: string }[] = [];
  for (const id of ids) {
    try {
      const c = await engine.client.claim(id, 'call-partner', `${worker}-${id}`);
      claims.push({ id, leaseToken: c.leaseToken });
    } catch (error) {
      if (!isTributaryApiError(error)) throw error;
      refused.push({ id, code: error.code, notBefore: (error.details as { notBefore?: string } | undefined)?.notBefore });
    }
  }
  return { claims, refused };
}

async function runningCount(engine: TestEngine, ids: readonly string[]): Promise<number> {
  let running = 0;
  for (const id of ids) if ((await engine.deps.tasks.get({ processId: id, task: 'call-partner' }))?.status === 'RUNNING') running += 1;
  return running;
}

describe('task concurrency: a limit of 2 across 5 processes', () => {
  it('lets 2 claims hold slots; the others get 409 ConcurrencyLimited with notBefore, stay SCHEDULED, and are counted', async () => {
    const engine = createTestEngine();
    const ids = await start(engine, 5);
    const { claims, refused } = await claimAll(engine, ids);
    expect(claims).toHaveLength(2);
    expect(refused.map((r) => r.code)).toEqual(['ConcurrencyLimited', 'ConcurrencyLimited', 'ConcurrencyLimited']);
    // The earliest holder's lease expiry: 60 s from the claims (the virtual clock did not move).
    expect(refused[0]?.notBefore).toBe(new Date(engine.now() + 60_000).toISOString());
    for (const r of refused) {
      const item = await engine.deps.tasks.get({ processId: r.id, task: 'call-partner' });
      expect(item?.status).toBe('SCHEDULED');
      expect(item?.limitRefusals).toBe(1);
      expect(item?.concurrencyKey).toBe('acme');
    }
    expect(await runningCount(engine, ids)).toBe(2);
  });

  it('frees a slot on complete, fail and release, so the next claim gets it', async () => {
    const engine = createTestEngine();
    const ids = await start(engine, 5);
    const { claims, refused } = await claimAll(engine, ids);
    const [a, b] = claims;
    if (!a || !b) throw new Error('two claims expected');
    await engine.client.complete(a.id, 'call-partner', { leaseToken: a.leaseToken, output: { ok: true } });
    const second = await claimAll(engine, refused.map((r) => r.id), 'w2');
    expect(second.claims).toHaveLength(1);
    await engine.client.release(b.id, 'call-partner', { leaseToken: b.leaseToken });
    const third = await claimAll(engine, second.refused.map((r) => r.id), 'w3');
    expect(third.claims).toHaveLength(1);
    await engine.client.fail(third.claims[0]!.id, 'call-partner', { leaseToken: third.claims[0]!.leaseToken, error: { message: 'no', code: 'Nope' } });
    const fourth = await claimAll(engine, third.refused.map((r) => r.id), 'w4');
    expect(fourth.claims).toHaveLength(1);
    expect(await runningCount(engine, ids)).toBe(2);
  });

  it('keys do not block each other', async () => {
    const engine = createTestEngine();
    const acme = await start(engine, 3, 'acme');
    const globex = await start(engine, 3, 'globex');
    const a = await claimAll(engine, acme);
    const g = await claimAll(engine, globex);
    expect(a.claims).toHaveLength(2);
    expect(g.claims).toHaveLength(2);
  });

  it('a worker killed while holding a slot: once its lease expires, another claim takes the slot over', async () => {
    const engine = createTestEngine();
    const ids = await start(engine, 3);
    const first = await claimAll(engine, ids);
    expect(first.claims).toHaveLength(2);
    // Nobody heartbeats; the holders' leases run out after 60 s. No sweep is needed for the take-over.
    await engine.advance(60_000);
    const waiting = first.refused[0]!.id;
    const c = await engine.client.claim(waiting, 'call-partner', 'survivor');
    expect(c.leaseToken).toBeTruthy();
    expect(await engine.deps.tasks.get({ processId: waiting, task: 'call-partner' })).toMatchObject({ status: 'RUNNING' });
  });

  it('a heartbeat renews the slot with the lease; a duplicate claim never takes a second slot', async () => {
    const engine = createTestEngine();
    const ids = await start(engine, 3);
    const first = await claimAll(engine, ids.slice(0, 1));
    const held = first.claims[0]!;
    // The same message delivered twice: the second claim (another worker) is refused as already claimed.
    await expect(engine.client.claim(held.id, 'call-partner', 'other')).rejects.toMatchObject({ code: 'TaskAlreadyClaimed' });
    await engine.advance(50_000);
    await engine.client.heartbeat(held.id, 'call-partner', held.leaseToken);
    await engine.advance(50_000);
    // 100 s after the claim: the heartbeat at 50 s kept both the lease and the slot; one slot is left for the others.
    const rest = await claimAll(engine, ids.slice(1));
    expect(rest.claims).toHaveLength(1);
    expect(rest.refused).toHaveLength(1);
  });
});
