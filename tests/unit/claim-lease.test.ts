import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';
import { isTributaryApiError } from '../../client/errors.ts';

/**
 * Issue 19, part 1: a claim's `leaseSeconds`. On the test engine's virtual
 * clock, through the real handlers: the lease runs for what the worker asked,
 * not the task's timeout; heartbeats extend it by as much; a limited task's
 * slot expires with it; the attempt's own timeout still bounds it.
 */

const TASK = `
tasks:
  - name: A
    timeoutSeconds: 300
    retry: { maxAttempts: 2, intervalSeconds: 0 }
`;

async function setUp(definition = TASK): Promise<{ engine: TestEngine; id: string }> {
  const engine = createTestEngine();
  await engine.client.putDefinition('leased', definition);
  const { process } = await engine.client.startProcess({ definition: 'leased', input: { partner: 'acme' } });
  return { engine, id: process.id };
}

const at = (engine: TestEngine, ms: number): string => new Date(engine.now() + ms).toISOString();

async function statusOf(engine: TestEngine, id: string, task = 'A') {
  return engine.client.getTask(id, task);
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (error) {
    if (isTributaryApiError(error)) return error.code;
    throw error;
  }
}

describe('a claim with leaseSeconds', () => {
  it('on a task of timeoutSeconds 300, a 30 s lease expires after 30 s: the sweeper retries the attempt with LeaseExpired', async () => {
    const { engine, id } = await setUp();
    const claim = await engine.client.claim(id, 'A', 'w1', { leaseSeconds: 30 });
    expect(claim.leaseExpiresAt).toBe(at(engine, 30_000));
    await engine.advance(29_999);
    expect(await statusOf(engine, id)).toMatchObject({ status: 'RUNNING', attempt: 1 });
    await engine.advance(1);
    expect(await statusOf(engine, id)).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'LeaseExpired' } });
    expect(await codeOf(engine.client.complete(id, 'A', { leaseToken: claim.leaseToken, output: 'late' }))).toBe('LeaseMismatch');
  });

  it('is extended by 30 s at each heartbeat, and a heartbeat may name a new length', async () => {
    const { engine, id } = await setUp();
    const claim = await engine.client.claim(id, 'A', 'w1', { leaseSeconds: 30 });
    await engine.advance(20_000);
    expect(await engine.client.heartbeat(id, 'A', claim.leaseToken)).toEqual({ leaseExpiresAt: at(engine, 30_000) });
    await engine.advance(29_000);
    expect(await statusOf(engine, id)).toMatchObject({ status: 'RUNNING', attempt: 1 });
    expect(await engine.client.heartbeat(id, 'A', claim.leaseToken, { leaseSeconds: 120 })).toEqual({ leaseExpiresAt: at(engine, 120_000) });
    await engine.advance(100_000);
    // The new length stays: the next heartbeat extends by 120 s too.
    expect(await engine.client.heartbeat(id, 'A', claim.leaseToken)).toEqual({ leaseExpiresAt: at(engine, 120_000) });
    await engine.advance(120_000);
    expect(await statusOf(engine, id)).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'LeaseExpired' } });
  });

  it('without leaseSeconds, leases for the task timeout, as before, even after an attempt that asked for 30 s', async () => {
    const { engine, id } = await setUp();
    await engine.client.claim(id, 'A', 'w1', { leaseSeconds: 30 });
    await engine.advance(30_000);
    const second = await engine.client.claim(id, 'A', 'w2');
    expect(second).toMatchObject({ attempt: 2, leaseExpiresAt: at(engine, 300_000) });
    await engine.advance(200_000);
    expect(await engine.client.heartbeat(id, 'A', second.leaseToken)).toEqual({ leaseExpiresAt: at(engine, 300_000) });
  });

  it('is still bounded by attemptTimeoutSeconds, heartbeats notwithstanding', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    timeoutSeconds: 300\n    attemptTimeoutSeconds: 50\n');
    const claim = await engine.client.claim(id, 'A', 'w1', { leaseSeconds: 30 });
    expect(claim.leaseExpiresAt).toBe(at(engine, 30_000));
    await engine.advance(25_000);
    // The attempt ends 50 s after the claim: the worker is told the sooner of the two.
    expect(await engine.client.heartbeat(id, 'A', claim.leaseToken)).toEqual({ leaseExpiresAt: at(engine, 25_000) });
    await engine.advance(25_000);
    expect(await statusOf(engine, id)).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'AttemptTimedOut' } });
  });

  it('leases each task of a batch claim for leaseSeconds', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    timeoutSeconds: 300\n  - name: B\n    timeoutSeconds: 600\n');
    const results = await engine.client.claimTasks('w1', [{ processId: id, task: 'A' }, { processId: id, task: 'B' }], { leaseSeconds: 45 });
    expect(results.map((r) => (r.ok ? r.value.leaseExpiresAt : r.error.code))).toEqual([at(engine, 45_000), at(engine, 45_000)]);
    await engine.advance(45_000);
    for (const task of ['A', 'B']) expect(await statusOf(engine, id, task)).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'LeaseExpired' } });
  });

  it("a limited task's concurrency slot has the same lease: it is renewed with it, and free for the next claim when it expires", async () => {
    const limited = 'tasks:\n  - name: A\n    timeoutSeconds: 300\n    concurrency: { limit: 1, key: "input.partner" }\n';
    const { engine, id } = await setUp(limited);
    const { process: other } = await engine.client.startProcess({ definition: 'leased', input: { partner: 'acme' } });
    const holders = async () => (await engine.client.listConcurrencyPools({ definition: 'leased', task: 'A' })).items.flatMap((p) => p.holders);
    const claim = await engine.client.claim(id, 'A', 'w1', { leaseSeconds: 30 });
    expect(await holders()).toEqual([{ processId: id, task: 'A', leaseExpiresAt: at(engine, 30_000) }]);
    await engine.advance(20_000);
    const beat = await engine.client.heartbeat(id, 'A', claim.leaseToken);
    expect(await holders()).toEqual([{ processId: id, task: 'A', leaseExpiresAt: beat.leaseExpiresAt }]);
    expect(await codeOf(engine.client.claim(other.id, 'A', 'w2'))).toBe('ConcurrencyLimited');
    await engine.advance(30_000);
    // The lease and its slot ended together: the slot is nobody's, and the other process's claim takes it.
    expect(await holders()).toEqual([]);
    expect(await statusOf(engine, id)).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'LeaseExpired' } });
    expect(await engine.client.claim(other.id, 'A', 'w2')).toMatchObject({ attempt: 1, leaseExpiresAt: at(engine, 300_000) });
  });

  it("is what the test engine's worker asks for with its leaseSeconds option", async () => {
    const { engine, id } = await setUp();
    const seen: unknown[] = [];
    engine.worker({ leaseSeconds: 30, handler: async ({ processId, task }) => {
      const item = await engine.deps.tasks.get({ processId, task });
      seen.push([item?.status, item?.leaseExpiresAt, item?.leaseMs]);
      return { ok: true };
    } });
    await engine.runUntilIdle();
    expect(seen).toEqual([['RUNNING', engine.now() + 30_000, 30_000]]);
    expect(await engine.client.getProcess(id)).toMatchObject({ status: 'COMPLETED' });
  });
});

describe('a claim of a map child of no process', () => {
  it('answers 404 ProcessNotFound, not an internal error (the child has no map run to count in)', async () => {
    const engine = createTestEngine();
    expect(await codeOf(engine.client.claim('no-such-process', 'resize[41]', 'w1', { leaseSeconds: 30 }))).toBe('ProcessNotFound');
    const [result] = await engine.client.claimTasks('w1', [{ processId: 'no-such-process', task: 'resize[41]' }]);
    expect(result?.ok === false && result.error.code).toBe('ProcessNotFound');
  });
});

describe('leaseSeconds refused', () => {
  it('answers 400 naming leaseSeconds for 0, 43201, a fraction and a string, on claim, batch claim and heartbeat, and claims nothing', async () => {
    const { engine, id } = await setUp();
    for (const bad of [0, 43_201, 1.5, 'x']) {
      const leaseSeconds = bad as number;
      for (const call of [
        () => engine.client.claim(id, 'A', 'w1', { leaseSeconds }),
        () => engine.client.claimTasks('w1', [{ processId: id, task: 'A' }], { leaseSeconds }),
      ]) {
        const error = await call().then(() => undefined, (e: unknown) => e);
        expect(isTributaryApiError(error) && error.status, String(bad)).toBe(400);
        expect(isTributaryApiError(error) && error.message).toContain('leaseSeconds must be a whole number of seconds from 1 to 43200');
      }
    }
    expect(await statusOf(engine, id)).toMatchObject({ status: 'SCHEDULED', attempt: 1 });
    const claim = await engine.client.claim(id, 'A', 'w1', { leaseSeconds: 43_200 });
    expect(claim.leaseExpiresAt).toBe(at(engine, 43_200_000));
    expect(await codeOf(engine.client.heartbeat(id, 'A', claim.leaseToken, { leaseSeconds: 0 }))).toBe('ValidationError');
  });
});
