import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import type { TaskStore } from '#app/ports.ts';
import { putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';

/**
 * Issue 19 (the stack's refused join schedules): the parents of a small join that complete side by side, each in
 * its own invocation, all count themselves in; only the one whose count filled the join (or, under `anyCompleted`,
 * turned its decision) schedules it, from the counter its own count answered. No parent reads the join's counter,
 * and no write is tried that its condition would refuse (each refused write is billed). The join still runs once
 * and the process completes.
 */
const PARENTS = ['B', 'C', 'D', 'E', 'F'];
const lattice = (rule: string) =>
  `tasks:\n  - name: A\n${PARENTS.map((p) => `  - name: ${p}\n    needs: [A]\n`).join('')}  - name: J\n    needs: [${PARENTS.join(', ')}]\n    join: ${rule}\n`;

/** The store calls of interest, recorded across invocations. */
const WATCHED = ['scheduleJoin', 'scheduleAnyJoin', 'getCounters', 'skipReady'] as const;

/** Deps of a separate invocation whose task store records each watched call and what it answered. */
function watched(engine: Engine, seen: string[]): Deps {
  const deps = engine.invocation();
  const tasks = new Proxy(deps.tasks, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      if (!(WATCHED as readonly (string | symbol)[]).includes(prop)) return method.bind(target);
      return async (...args: unknown[]) => {
        const answer = await method.apply(target, args);
        seen.push(`${String(prop)}${typeof answer === 'boolean' ? `:${answer}` : ''}`);
        return answer;
      };
    },
  }) as TaskStore;
  return { ...deps, tasks };
}

export function joinFillScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'lattice-all', lattice('allSettled'));
    await putYaml(deps, 'lattice-any', lattice('anyCompleted'));
  });

  /** Starts a process, completes A, then completes every parent of J at once, each in its own invocation. */
  async function completeParentsAtOnce(definition: string): Promise<{ processId: string; seen: string[] }> {
    const { process } = await startProcess(deps, { definition });
    await engine.drain();
    const a = await claimTask(deps, process.id, 'A', 'w');
    await completeTask(deps, process.id, 'A', { leaseToken: a.leaseToken });
    await engine.drain();
    const leases = await Promise.all(PARENTS.map((p) => claimTask(deps, process.id, p, `w-${p}`)));
    const seen: string[] = [];
    const invocations = PARENTS.map(() => watched(engine, seen));
    await Promise.all(PARENTS.map((p, i) => completeTask(invocations[i]!, process.id, p, { leaseToken: leases[i]!.leaseToken, output: p })));
    return { processId: process.id, seen };
  }

  describe('a small join is scheduled by the parent whose count filled it', () => {
    it('allSettled: one schedule, tried once, and no counter read, when every parent completes at once', async () => {
      const { processId, seen } = await completeParentsAtOnce('lattice-all');
      expect(seen).toEqual(['scheduleJoin:true']);
      expect(await deps.tasks.get({ processId, task: 'J' })).toMatchObject({ status: 'SCHEDULED', settled: PARENTS.length });
      const messages = await engine.drain({ keep: true });
      expect(messages.map((m) => m.body.task)).toEqual(['J']);
      await runToEnd(engine, processId);
      expect((await getProcess(deps, processId)).status).toBe('COMPLETED');
    });

    it('anyCompleted: the first count schedules it, once; the later parents neither read nor try', async () => {
      const { processId, seen } = await completeParentsAtOnce('lattice-any');
      expect(seen).toEqual(['scheduleAnyJoin:true']);
      expect(await deps.tasks.get({ processId, task: 'J' })).toMatchObject({ settled: PARENTS.length });
      await runToEnd(engine, processId);
      const view = await getProcess(deps, processId);
      expect(view.status).toBe('COMPLETED');
      expect(view.tasks.find((t) => t.name === 'J')?.status).toBe('COMPLETED');
    });
  });
}
