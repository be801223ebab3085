import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';

/** Releasing a claim: a worker gives its task back, at the same attempt, with the lease fenced. */
const FLOW = 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n';

async function claimedA() {
  const engine = createTestEngine();
  await engine.client.putDefinition('flow', FLOW);
  const { process } = await engine.client.startProcess({ definition: 'flow' });
  const [message] = engine.queue.receive('default', 1);
  const lease = await engine.client.claim(process.id, message!.body.task, 'leaving-worker');
  return { engine, id: process.id, lease };
}

describe('releasing a claim', () => {
  it('makes the task SCHEDULED again at the same attempt, and another worker finishes it without waiting for the lease', async () => {
    const { engine, id, lease } = await claimedA();
    expect(await engine.client.release(id, 'A', { leaseToken: lease.leaseToken })).toEqual({ processId: id, task: 'A', status: 'SCHEDULED', attempt: 1 });

    engine.worker({ handler: async ({ task, attempt }) => ({ task, attempt }) });
    const { ran } = await engine.runUntilIdle();

    expect(ran.map((r) => [r.task, r.attempt])).toEqual([
      ['A', 1],
      ['B', 1],
    ]);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });

  it('fences the released lease: heartbeat, complete and a second release get LeaseMismatch', async () => {
    const { engine, id, lease } = await claimedA();
    await engine.client.release(id, 'A', { leaseToken: lease.leaseToken });
    const again = await engine.client.claim(id, 'A', 'next-worker');
    expect(again.attempt).toBe(1);
    await expect(engine.client.heartbeat(id, 'A', lease.leaseToken)).rejects.toMatchObject({ code: 'LeaseMismatch' });
    await expect(engine.client.complete(id, 'A', { leaseToken: lease.leaseToken, output: {} })).rejects.toMatchObject({ code: 'LeaseMismatch' });
    await expect(engine.client.release(id, 'A', { leaseToken: lease.leaseToken })).rejects.toMatchObject({ code: 'LeaseMismatch' });
  });

  it('with a delay, the message is not receivable and the task not claimable until it has passed', async () => {
    const { engine, id, lease } = await claimedA();
    const released = await engine.client.release(id, 'A', { leaseToken: lease.leaseToken, delaySeconds: 30 });
    expect(released.nextAttemptAt).toBe(new Date(engine.now() + 30_000).toISOString());
    expect(engine.queue.receive('default', 10)).toEqual([]);
    await expect(engine.client.claim(id, 'A', 'eager-worker')).rejects.toMatchObject({ code: 'TaskNotActive', details: { notBefore: released.nextAttemptAt } });

    engine.worker({ handler: async () => ({}) });
    const { ran } = await engine.advance(30_000);
    expect(ran.map((r) => r.task)).toEqual(['A', 'B']);
  });

  it('refuses a lease that has already expired', async () => {
    const { engine, id, lease } = await claimedA();
    await engine.faults.expireLease(id, 'A');
    await expect(engine.client.release(id, 'A', { leaseToken: lease.leaseToken })).rejects.toMatchObject({ code: 'LeaseMismatch' });
  });

  it('refuses a delay past the queue limit with a 400 naming it', async () => {
    const { engine, id, lease } = await claimedA();
    await expect(engine.client.release(id, 'A', { leaseToken: lease.leaseToken, delaySeconds: 901 })).rejects.toMatchObject({ code: 'ValidationError' });
  });
});
