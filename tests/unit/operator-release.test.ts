import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';

/** The operator's release (POST .../release-lease): no lease token, the old lease fenced, the attempt kept, the message resent. */
const FLOW = 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n';

async function claimedA() {
  const engine = createTestEngine();
  await engine.client.putDefinition('flow', FLOW);
  const { process } = await engine.client.startProcess({ definition: 'flow' });
  const [message] = engine.queue.receive('default', 1);
  const lease = await engine.client.claim(process.id, message!.body.task, 'dead-worker');
  return { engine, id: process.id, lease };
}

describe("an operator's release of a running task", () => {
  it('needs no token, keeps the attempt, resends the message, and another worker finishes the process', async () => {
    const { engine, id } = await claimedA();
    expect(await engine.client.releaseLease(id, 'A', { reason: 'the worker host died' })).toEqual({ processId: id, task: 'A', status: 'SCHEDULED', attempt: 1 });
    expect((await engine.client.getTask(id, 'A')).status).toBe('SCHEDULED');

    engine.worker({ handler: async ({ task, attempt }) => ({ task, attempt }) });
    const { ran } = await engine.runUntilIdle();
    expect(ran.map((r) => [r.task, r.attempt])).toEqual([
      ['A', 1],
      ['B', 1],
    ]);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });

  it("fences the dead worker's lease: its heartbeat, complete and fail get 409 LeaseMismatch", async () => {
    const { engine, id, lease } = await claimedA();
    await engine.client.releaseLease(id, 'A');
    await expect(engine.client.heartbeat(id, 'A', lease.leaseToken)).rejects.toMatchObject({ status: 409, code: 'LeaseMismatch' });
    await expect(engine.client.complete(id, 'A', { leaseToken: lease.leaseToken, output: {} })).rejects.toMatchObject({ status: 409, code: 'LeaseMismatch' });
    await expect(engine.client.fail(id, 'A', { leaseToken: lease.leaseToken, error: { code: 'Late', message: 'too late' } })).rejects.toMatchObject({
      status: 409,
      code: 'LeaseMismatch',
    });
    // The next claim is the same attempt, with a new lease.
    const again = await engine.client.claim(id, 'A', 'live-worker');
    expect([again.attempt, again.leaseToken === lease.leaseToken]).toEqual([1, false]);
  });

  it('releases a lease that has already expired, before the sweeper noticed', async () => {
    const { engine, id } = await claimedA();
    await engine.faults.expireLease(id, 'A');
    expect((await engine.client.releaseLease(id, 'A')).attempt).toBe(1);
  });

  it('refuses a task that is not RUNNING (409 TaskNotActive), an unknown task (404) and an unknown process (404)', async () => {
    const { engine, id } = await claimedA();
    await expect(engine.client.releaseLease(id, 'B')).rejects.toMatchObject({ status: 409, code: 'TaskNotActive' });
    await engine.client.releaseLease(id, 'A');
    await expect(engine.client.releaseLease(id, 'A')).rejects.toMatchObject({ status: 409, code: 'TaskNotActive' });
    await expect(engine.client.releaseLease(id, 'Nope')).rejects.toMatchObject({ status: 404, code: 'TaskNotFound' });
    await expect(engine.client.releaseLease('p-00000000000000000000000000', 'A')).rejects.toMatchObject({ status: 404, code: 'ProcessNotFound' });
  });
});
