import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { codeOf, putYaml, type Deps, type Engine } from '../engines.ts';

/** I4: claims are exclusive and fenced; an expired lease is re-enqueued with attempt+1 and its token is dead. */
export function leaseScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    // No backoff: the retry after an expiry is due at once, so its message is receivable at once (SQS delays are real time).
    await putYaml(deps, 'leased', 'defaults:\n  retry: { intervalSeconds: 0 }\ntasks:\n  - name: Work\n    timeoutSeconds: 60\n  - name: After\n    needs: [Work]\n');
  });

  describe('fenced leases (I4)', () => {
    it('re-enqueues a task whose lease expired without a heartbeat, with attempt+1, and fences off the old token', async () => {
      const { clock } = engine;
      const { process } = await startProcess(deps, { definition: 'leased' });
      await engine.drain();
      const stale = await claimTask(deps, process.id, 'Work', 'w1');
      expect(stale.attempt).toBe(1);

      clock.advance(59_000);
      expect((await sweep(deps)).reenqueued).toBe(0);
      clock.advance(2_000);
      expect((await sweep(deps)).reenqueued).toBe(1);

      const messages = await engine.drain();
      expect(messages.map((m) => m.body)).toEqual([{ processId: process.id, task: 'Work', attempt: 2, definition: 'leased', version: 1 }]);
      expect((await getProcess(deps, process.id)).tasks[0]).toMatchObject({ status: 'SCHEDULED', attempt: 2 });

      expect(await codeOf(completeTask(deps, process.id, 'Work', { leaseToken: stale.leaseToken, output: 'late' }))).toBe('LeaseMismatch');
      expect(await codeOf(heartbeatTask(deps, process.id, 'Work', stale.leaseToken))).toBe('LeaseMismatch');

      const fresh = await claimTask(deps, process.id, 'Work', 'w2');
      expect(fresh.attempt).toBe(2);
      expect(fresh.leaseToken).not.toBe(stale.leaseToken);
      expect(await codeOf(completeTask(deps, process.id, 'Work', { leaseToken: stale.leaseToken, output: 'late' }))).toBe('LeaseMismatch');
      await completeTask(deps, process.id, 'Work', { leaseToken: fresh.leaseToken, output: 'on time' });
      expect((await getProcess(deps, process.id)).tasks[0]).toMatchObject({ status: 'COMPLETED', attempt: 2, workerId: 'w2', output: 'on time' });
    });

    it('keeps a lease alive while the worker heartbeats', async () => {
      const { process } = await startProcess(deps, { definition: 'leased' });
      await engine.drain();
      const claim = await claimTask(deps, process.id, 'Work', 'w1');
      for (let i = 0; i < 3; i++) {
        engine.clock.advance(45_000);
        await heartbeatTask(deps, process.id, 'Work', claim.leaseToken);
        expect((await sweep(deps)).reenqueued).toBe(0);
      }
      await completeTask(deps, process.id, 'Work', { leaseToken: claim.leaseToken });
      expect((await getProcess(deps, process.id)).tasks[0]).toMatchObject({ status: 'COMPLETED', attempt: 1 });
    });

    it('lets only one of many workers racing for the same task win the claim', async () => {
      const { process } = await startProcess(deps, { definition: 'leased' });
      await engine.drain();
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => claimTask(engine.invocation(), process.id, 'Work', `racer-${i}`)));
      const winners = results.filter((r) => r.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { code?: string }).code);
      expect(new Set(losers)).toEqual(new Set(['TaskAlreadyClaimed']));
    });

    it('resends the message of a task nobody claimed within the grace period, and backs off', async () => {
      const { clock } = engine;
      const { process } = await startProcess(deps, { definition: 'leased' });
      const first = await engine.drain();
      expect(first).toHaveLength(1);
      const mine = async () => (await engine.drain()).filter((m) => m.body.processId === process.id).map((m) => m.body);
      clock.advance(deps.settings.enqueueGraceMs - 1);
      await sweep(deps);
      expect(await mine()).toEqual([]); // still within the grace period
      clock.advance(2);
      await sweep(deps);
      expect(await mine()).toEqual([{ processId: process.id, task: 'Work', attempt: 1, definition: 'leased', version: 1 }]);
      clock.advance(deps.settings.enqueueGraceMs + 1);
      await sweep(deps);
      expect(await mine()).toEqual([]); // backed off: the next resend is later
      const claim = await claimTask(deps, process.id, 'Work', 'w1');
      expect(claim.attempt).toBe(1);
    });
  });
}
