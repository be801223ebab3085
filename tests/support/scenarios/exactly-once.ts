import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { startProcess } from '#app/start-process.ts';
import { putYaml, type Deps, type Engine } from '../engines.ts';

/**
 * I2: a task whose needs have all completed is scheduled, and sent, exactly
 * once, even when every parent completes at the same instant in a different
 * invocation (here: each completion has its own deps, as separate Lambdas would).
 */
const PARENTS = 50;
const ROUNDS = 10;

export function exactlyOnceScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    const parents = Array.from({ length: PARENTS }, (_, i) => `P${i}`);
    await putYaml(deps, 'join', `tasks:\n${parents.map((p) => `  - name: ${p}\n`).join('')}  - name: Join\n    needs: [${parents.join(', ')}]\n`);
    await putYaml(deps, 'sinks', `tasks:\n  - name: Root\n${parents.map((p) => `  - name: ${p}\n    needs: [Root]\n`).join('')}`);
  });

  /**
   * Completes every task at once, each through its own deps (a separate
   * invocation). With `claimed`, workers claim first and complete with their
   * lease; otherwise the tasks are completed as manual tasks.
   */
  async function completeAllAtOnce(processId: string, tasks: readonly string[], claimed: boolean): Promise<void> {
    const leases = claimed ? await Promise.all(tasks.map((t) => claimTask(deps, processId, t, `worker-${t}`))) : [];
    const invocations = tasks.map(() => engine.invocation());
    await Promise.all(
      tasks.map((t, i) => completeTask(invocations[i]!, processId, t, { ...(claimed ? { leaseToken: leases[i]!.leaseToken } : {}), output: i })),
    );
  }

  describe('exactly-once scheduling (I2)', () => {
    it(`schedules and sends a ${PARENTS}-parent join once when all parents complete concurrently, ${ROUNDS} times over`, async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { process } = await startProcess(deps, { definition: 'join' });
        const roots = await engine.drain();
        expect(roots).toHaveLength(PARENTS);
        await completeAllAtOnce(process.id, roots.map((m) => m.body.task), false);

        const messages = await engine.drain();
        expect(messages.map((m) => m.body)).toEqual([{ processId: process.id, task: 'Join', attempt: 1, definition: 'join', version: 1 }]);
        const join = await deps.tasks.get({ processId: process.id, task: 'Join' });
        expect(join).toMatchObject({ status: 'SCHEDULED', attempt: 1, settled: PARENTS });
        const claim = await claimTask(deps, process.id, 'Join', 'w');
        expect(Object.keys(claim.input.upstream)).toHaveLength(PARENTS);
        await completeTask(deps, process.id, 'Join', { leaseToken: claim.leaseToken });
        expect((await deps.processes.get({ id: process.id }))?.status).toBe('COMPLETED');
      }
    }, 180_000);

    it(`completes a process with ${PARENTS} sinks exactly once when they all complete concurrently`, async () => {
      for (let round = 0; round < 2; round++) {
        const { process } = await startProcess(deps, { definition: 'sinks' });
        await engine.drain();
        await completeTask(deps, process.id, 'Root', {});
        const sinks = await engine.drain();
        expect(sinks).toHaveLength(PARENTS);
        await completeAllAtOnce(process.id, sinks.map((m) => m.body.task), true);
        const meta = await deps.processes.get({ id: process.id });
        // ver 1 at creation, exactly one process-level change after it.
        expect(meta).toMatchObject({ status: 'COMPLETED', ver: 2 });
        expect(await deps.processes.settledSinks({ id: process.id })).toBe(PARENTS);
        expect(await engine.drain()).toEqual([]);
      }
    }, 120_000);
  });
}
