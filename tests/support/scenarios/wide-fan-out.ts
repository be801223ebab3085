import { beforeAll, describe, expect, it } from 'vitest';
import { cancelProcess } from '#app/end-process.ts';
import { completeTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { putYaml, type Deps, type Engine } from '../engines.ts';
import { expectOwesNothing } from '../owes-nothing.ts';

/**
 * A fan-out wider than one call's time budget: the completing call schedules
 * what fits, records where it stopped, and the sweeper finishes the rest, with
 * every child scheduled and sent exactly once. The same holds for roots and
 * for cancelling a wide process.
 */
const WIDTH = 60;

export function wideFanOutScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
  });

  /**
   * Deps whose clock moves 100 ms on every call, so a budget of half a second runs out part-way (and well within the
   * enqueue grace, so nothing is resent); passes over the process's tasks go 10 at a time.
   */
  const steppingDeps = (budgetMs: number): Deps =>
    engine.invocation({ settings: { followUpBudgetMs: budgetMs, passChunk: 10 }, hooks: { after: () => engine.clock.advance(100) } });

  describe('fan-outs wider than the call budget', () => {
    it('schedules part of the children in the call and the rest from the sweeper, each once', async () => {
      const children = Array.from({ length: WIDTH }, (_, i) => `C${i}`);
      await putYaml(deps, 'wide', `tasks:\n  - name: Root\n${children.map((c) => `  - name: ${c}\n    needs: [Root]\n`).join('')}`);
      const { process } = await startProcess(deps, { definition: 'wide' });
      await engine.drain();

      await completeTask(steppingDeps(500), process.id, 'Root', {});
      const inCall = await engine.drain();
      expect(inCall.length).toBeGreaterThan(0);
      expect(inCall.length).toBeLessThan(WIDTH);
      const root = await deps.tasks.get({ processId: process.id, task: 'Root' });
      expect(root).toMatchObject({ status: 'COMPLETED', resumeFrom: inCall.length });
      expect(root?.sweepAt).toBeLessThanOrEqual(engine.clock.now());

      await sweep(deps);
      const fromSweeper = await engine.drain();
      const all = [...inCall, ...fromSweeper].map((m) => m.body.task).sort();
      expect(all).toEqual([...children].sort());
      // Its follow-up is done (counted, its last step): the sweeper's visit of its entry changes nothing.
      await expectOwesNothing(engine, deps, process.id);
    });

    it('starts a process with more roots than the budget allows and lets the sweeper write the rest', async () => {
      const roots = Array.from({ length: WIDTH }, (_, i) => `R${i}`);
      await putYaml(deps, 'many-roots', `tasks:\n${roots.map((r) => `  - name: ${r}\n`).join('')}`);
      const { process } = await startProcess(steppingDeps(500), { definition: 'many-roots' });
      const inCall = await engine.drain();
      expect(inCall.length).toBeLessThan(WIDTH);
      expect(await deps.processes.get({ id: process.id })).toMatchObject({ resumeFrom: inCall.length });

      await sweep(deps);
      const all = [...inCall, ...(await engine.drain())].map((m) => m.body.task).sort();
      expect(all).toEqual([...roots].sort());
      expect(await deps.processes.get({ id: process.id })).not.toHaveProperty('sweepAt');
    });
  });

  describe('cancelling a process wider than the call budget', () => {
    it('cancels what fits in the call and leaves the rest to the sweeper', async () => {
      const tasks = Array.from({ length: WIDTH }, (_, i) => `T${i}`);
      await putYaml(deps, 'wide-cancel', `tasks:\n  - name: Root\n${tasks.map((t) => `  - name: ${t}\n    needs: [Root]\n`).join('')}`);
      const { process } = await startProcess(deps, { definition: 'wide-cancel' });
      await engine.drain();

      await cancelProcess(steppingDeps(500), process.id);
      const partly = await getProcess(deps, process.id);
      expect(partly.status).toBe('CANCELLED');
      const cancelledInCall = partly.tasks.filter((t) => t.status === 'CANCELLED').length;
      expect(cancelledInCall).toBeGreaterThan(0);
      expect(cancelledInCall).toBeLessThan(WIDTH + 1);
      expect(await deps.processes.get({ id: process.id })).toHaveProperty('resumeFrom', cancelledInCall);
      expect(await deps.processes.get({ id: process.id })).toHaveProperty('sweepAt');

      await sweep(deps);
      const after = await getProcess(deps, process.id);
      expect(after.tasks.every((t) => t.status === 'CANCELLED')).toBe(true);
      expect(await deps.processes.get({ id: process.id })).not.toHaveProperty('sweepAt');
    });
  });
}
