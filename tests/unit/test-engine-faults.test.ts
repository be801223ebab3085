import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';

/**
 * The test engine's fault injection: a fault acts on what is there, and a
 * fault that would change nothing throws instead of passing silently (a test
 * that believes it injected a fault must not go on without one).
 */
async function setUp(yaml: string) {
  const engine = createTestEngine();
  await engine.client.putDefinition('wf', yaml);
  const { id } = (await engine.client.startProcess({ definition: 'wf' })).process;
  return { engine, id };
}

describe('faults.expireLease', () => {
  it('expires a lease the clock already ended, before any sweep: swept at once, never revived', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    timeoutSeconds: 30\n    retry: { maxAttempts: 2, intervalSeconds: 0 }\n');
    const claim = await engine.client.claim(id, 'A', 'w1');
    // The clock passes the lease's end while the sweeper cannot run: its first store call dies.
    engine.faults.crashAfterStoreCalls(1);
    await expect(engine.advance(45_000)).rejects.toThrow('injected crash');
    const dead = await engine.deps.tasks.get({ processId: id, task: 'A' });
    expect(dead).toMatchObject({ status: 'RUNNING', leaseToken: claim.leaseToken });
    expect(dead!.leaseExpiresAt!).toBeLessThan(engine.now());

    await engine.faults.expireLease(id, 'A');
    const marked = await engine.deps.tasks.get({ processId: id, task: 'A' });
    // Due now for the sweeper; the lease keeps its earlier end (a fault never moves a lease later).
    expect(marked).toMatchObject({ status: 'RUNNING', sweepAt: engine.now(), leaseExpiresAt: dead!.leaseExpiresAt });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).tasks[0]).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'LeaseExpired' } });
  });

  it.each([
    ['an unknown process', 'no-such-process', 'A', /has no item/],
    ['a task never scheduled', undefined, 'B', /has no item/],
    ['a SCHEDULED task', undefined, 'A', /is SCHEDULED without a lease/],
  ])('throws on %s: nothing would change', async (_, processId, task, message) => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n  - name: B\n    needs: [A]\n');
    await expect(engine.faults.expireLease(processId ?? id, task)).rejects.toThrow(message);
  });

  it('throws on a task that has ended, and changes nothing', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n');
    await engine.client.complete(id, 'A', { output: 1 });
    const before = await engine.deps.tasks.get({ processId: id, task: 'A' });
    await expect(engine.faults.expireLease(id, 'A')).rejects.toThrow(/is COMPLETED without a lease/);
    expect(await engine.deps.tasks.get({ processId: id, task: 'A' })).toEqual(before);
  });
});

describe('the counting faults', () => {
  it.each([
    ['duplicateMessages', (e: ReturnType<typeof createTestEngine>) => e.faults.duplicateMessages(0)],
    ['dropMessages', (e: ReturnType<typeof createTestEngine>) => e.faults.dropMessages(-1)],
    ['crashAfterStoreCalls', (e: ReturnType<typeof createTestEngine>) => e.faults.crashAfterStoreCalls(0)],
    ['crashAfterStoreCalls', (e: ReturnType<typeof createTestEngine>) => e.faults.crashAfterStoreCalls(1.5)],
  ])('%s refuses a count that injects nothing', (fault, inject) => {
    expect(() => inject(createTestEngine())).toThrow(new RegExp(`faults.${fault} takes a whole number of at least 1`));
  });

  it('crashAfterStoreCalls(Infinity) disarms a crash that has not fired', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n');
    engine.faults.crashAfterStoreCalls(1);
    engine.faults.crashAfterStoreCalls(Number.POSITIVE_INFINITY);
    await engine.client.complete(id, 'A', { output: 1 });
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });
});
