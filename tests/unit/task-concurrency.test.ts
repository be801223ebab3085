import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';
import { isTributaryApiError } from '../../client/errors.ts';
import { keys } from '#adapters/stores/keys.ts';

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

  it('shows the refused claims on the task (counted, with the key and the last one) and as one history event', async () => {
    const engine = createTestEngine();
    const ids = await start(engine, 3);
    await claimAll(engine, ids);
    await engine.advance(5_000);
    await claimAll(engine, ids.slice(2), 'again');
    const waiting = ids[2]!;
    const task = (await engine.client.getProcess(waiting)).tasks.find((t) => t.name === 'call-partner');
    expect(task).toMatchObject({ status: 'SCHEDULED', concurrencyKey: 'acme', limitRefusals: 2, lastRefusedAt: new Date(engine.now()).toISOString() });
    const refused = (await engine.client.getHistory(waiting)).items.filter((e) => e.type === 'TaskClaimsRefused');
    expect(refused).toEqual([{ at: new Date(engine.now()).toISOString(), type: 'TaskClaimsRefused', run: 1, task: 'call-partner', details: { count: 2, concurrencyKey: 'acme' } }]);
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

describe('GET /concurrency', () => {
  it('lists the pools of a task by key, with the holders and their lease expiry; a slot whose lease ran out is no holder', async () => {
    const engine = createTestEngine();
    const acme = await start(engine, 3, 'acme');
    const globex = await start(engine, 1, 'globex');
    const a = await claimAll(engine, acme);
    await claimAll(engine, globex);
    const page = await engine.client.listConcurrencyPools({ definition: 'limited', task: 'call-partner' });
    expect(page.limit).toBe(2);
    const byKey = new Map(page.items.map((p) => [p.key, p]));
    expect(byKey.get('acme')?.holders.map((h) => h.processId).sort()).toEqual(a.claims.map((c) => c.id).sort());
    expect(byKey.get('acme')?.holders[0]?.leaseExpiresAt).toBe(new Date(engine.now() + 60_000).toISOString());
    expect(byKey.get('globex')?.holders).toHaveLength(1);
    // Paged by slots: one slot a page still lists every holder, across pages.
    const holders: string[] = [];
    let nextToken: string | undefined;
    do {
      const p = await engine.client.listConcurrencyPools({ definition: 'limited', task: 'call-partner', limit: 1, ...(nextToken ? { nextToken } : {}) });
      holders.push(...p.items.flatMap((i) => i.holders.map((h) => h.processId)));
      nextToken = p.nextToken;
    } while (nextToken !== undefined);
    expect(holders).toHaveLength(3);
    engine.worker({ handler: async () => ({}) });
    await engine.advance(61_000);
    const later = await engine.client.listConcurrencyPools({ definition: 'limited', task: 'call-partner' });
    expect(later.items.flatMap((p) => p.holders)).toEqual([]);
  });

  it('answers 400 for a task without a concurrency limit and 404 for an unknown definition', async () => {
    const engine = createTestEngine();
    await start(engine, 0);
    await expect(engine.client.listConcurrencyPools({ definition: 'limited', task: 'nope' })).rejects.toMatchObject({ status: 400, code: 'ValidationError' });
    await expect(engine.client.listConcurrencyPools({ definition: 'other', task: 'x' })).rejects.toMatchObject({ status: 404, code: 'DefinitionNotFound' });
    await expect(engine.client.listConcurrencyPools({ definition: 'limited', task: 'call-partner', nextToken: 'garbage' })).rejects.toMatchObject({ status: 400 });
  });
});

describe('task limits in the definition', () => {
  it('checks the keys at PUT with their path, line and column; refuses limits on a map task', async () => {
    const engine = createTestEngine();
    const bad = `
tasks:
  - name: a
    concurrency: { limit: 2, key: "upstream.x.id" }
  - name: b
    needs: [a]
    rateLimit: { limit: 0, periodSeconds: 2 }
  - name: m
    map: { items: "input.items" }
    concurrency: { limit: 2 }
`;
    const error = await engine.client.putDefinition('bad', bad).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, code: 'InvalidDefinition' });
    const details = (error as { details: { path?: string; message: string; line?: number; column?: number }[] }).details;
    expect(details.find((d) => d.path === 'tasks[0].concurrency.key')?.message).toMatch(/unknown variable 'upstream'/);
    expect(details.find((d) => d.path === 'tasks[1].rateLimit.limit')?.message).toMatch(/rateLimit.limit must be a whole number from 1/);
    expect(details.find((d) => d.path === 'tasks[2].concurrency')?.message).toMatch(/a map task cannot have 'concurrency'/);
  });

  it('a key that fails when the task is scheduled fails it with ConcurrencyKeyError before any claim, never a 500', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('limited', LIMITED);
    const id = (await engine.client.startProcess({ definition: 'limited', input: { other: 1 } })).process.id;
    // Decided at scheduling: the task was never SCHEDULED, and no message went out for it.
    const task = await engine.deps.tasks.get({ processId: id, task: 'call-partner' });
    expect(task?.status).toBe('FAILED');
    expect(task?.error?.code).toBe('ConcurrencyKeyError');
    expect(task?.error?.message).toMatch(/the limit key of task 'call-partner' failed: concurrency.key/);
    expect(engine.queue.receive('default', 10)).toEqual([]);
    await expect(engine.client.claim(id, 'call-partner', 'w')).rejects.toMatchObject({ code: 'TaskNotActive' });
    expect((await engine.client.getProcess(id)).status).toBe('FAILED');
  });

  it('evaluates the keys when the task is scheduled, over the input and its needs, and its claims use the recorded key', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition(
      'keyed',
      `tasks:\n  - name: lookup\n  - name: call-partner\n    needs: [lookup]\n    concurrency: { limit: 1, key: "upstream.lookup.partnerId" }\n    rateLimit: { limit: 5, periodSeconds: 2, key: "input.tenant" }\n`,
    );
    const id = (await engine.client.startProcess({ definition: 'keyed', input: { tenant: 'globex' } })).process.id;
    const lookup = await engine.client.claim(id, 'lookup', 'w');
    await engine.client.complete(id, 'lookup', { leaseToken: lookup.leaseToken, output: { partnerId: 'p-7' } });
    // Recorded with the scheduling write, before any claim.
    const scheduled = await engine.deps.tasks.get({ processId: id, task: 'call-partner' });
    expect([scheduled?.status, scheduled?.concurrencyKey, scheduled?.rateKey]).toEqual(['SCHEDULED', 'p-7', 'globex']);
    // The claim takes the slot of the recorded key, not of the expression evaluated again (the record is rewritten here).
    await engine.table.write({ type: 'update', key: keys.task({ processId: id, task: 'call-partner' }), guards: [], set: { concurrencyKey: 'recorded' } });
    const claim = await engine.client.claim(id, 'call-partner', 'w');
    expect(claim.leaseToken).toBeDefined();
    const pools = await engine.client.listConcurrencyPools({ definition: 'keyed', task: 'call-partner' });
    expect(pools.items.map((p) => [p.key, p.holders.map((h) => h.processId)])).toEqual([['recorded', [id]]]);
  });
});
