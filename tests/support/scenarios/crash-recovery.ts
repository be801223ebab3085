import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { InjectedCrash, putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';

/**
 * I3: no lost work. A crash after any call of a use case (a state write
 * without its queue send, a completion without its children, a process end
 * without its cancellations, ...) is finished by the sweeper. Each scenario
 * kills one call of one step at the k-th call boundary, then lets workers and
 * the sweeper carry on, and checks the process still ends as it should.
 *
 * Every loop is bounded by the calls the step makes, counted first in a run
 * that does not crash, and every crashed step must reject with the injected
 * crash: a step that does not crash fails the test.
 */
const DIAMOND = `
tasks:
  - name: A
  - name: B
    needs: [A]
  - name: C
    needs: [A]
  - name: D
    needs: [B, C]
`;

interface Run {
  processId: string;
  leases: Map<string, string>;
}

type Step = { name: string; run: (deps: Deps, run: Run) => Promise<void> };

const claim = (task: string): Step => ({
  name: `claim ${task}`,
  run: async (deps, run) => {
    run.leases.set(task, (await claimTask(deps, run.processId, task, 'w')).leaseToken);
  },
});
const complete = (task: string): Step => ({
  name: `complete ${task}`,
  run: (deps, run) => completeTask(deps, run.processId, task, { leaseToken: run.leases.get(task)!, output: task }),
});

/** The happy path, step by step, after `start`. */
const STEPS: Step[] = [claim('A'), complete('A'), claim('B'), complete('B'), claim('C'), complete('C'), claim('D'), complete('D')];
/** The steps whose every call boundary is crashed: a claim, a fan-out, a join, the process end. */
const CRASHED = ['start', 'claim A', 'complete A', 'complete C', 'complete D'];

export function crashRecoveryScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'diamond', DIAMOND);
  });

  async function start(d: Deps, idempotencyKey?: string): Promise<Run> {
    const { process } = await startProcess(d, { definition: 'diamond', input: { n: 1 }, ...(idempotencyKey ? { idempotencyKey } : {}) });
    return { processId: process.id, leases: new Map() };
  }

  /** Counts the calls each crashed step makes when nothing fails. */
  async function callsPerStep(): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const s = engine.countingDeps();
    const run = await start(s.deps, 'count-calls');
    counts.set('start', s.calls());
    await engine.drain();
    for (const step of STEPS) {
      const c = engine.countingDeps();
      await step.run(c.deps, run);
      counts.set(step.name, c.calls());
    }
    return counts;
  }

  /** Counts the calls of one step of a fresh process, after `prepare`. */
  async function callsOf(prepare: (run: Run) => Promise<void>, step: (d: Deps, run: Run) => Promise<unknown>): Promise<number> {
    const run = await start(deps);
    await engine.drain();
    await prepare(run);
    const c = engine.countingDeps();
    await step(c.deps, run);
    return c.calls();
  }

  async function expectCompletedWithOutputs(processId: string, label: string): Promise<void> {
    const view = await getProcess(deps, processId);
    expect(view.status, label).toBe('COMPLETED');
    expect(view.tasks.map((t) => [t.name, t.status]), label).toEqual([
      ['A', 'COMPLETED'],
      ['B', 'COMPLETED'],
      ['C', 'COMPLETED'],
      ['D', 'COMPLETED'],
    ]);
  }

  describe('crash recovery (I3)', () => {
    it('finishes the work after a crash at every call boundary of start, claim, fan-out, join and process end', async () => {
      const counts = await callsPerStep();
      let scenarios = 0;
      for (const crashed of CRASHED) {
        const calls = counts.get(crashed)!;
        expect(calls, crashed).toBeGreaterThan(0);
        for (let k = 0; k <= calls; k++) {
          scenarios += 1;
          const label = `${engine.name}: ${crashed}, crash after call ${k} of ${calls}`;
          const crashing = engine.crashingDeps(k);
          let run: Run;
          if (crashed === 'start') {
            // The client retries a start whose answer it never got, with the same idempotency key.
            const key = `crash-${scenarios}`;
            await expect(start(crashing, key), label).rejects.toBeInstanceOf(InjectedCrash);
            run = await start(deps, key);
          } else {
            run = await start(deps);
            await engine.drain();
            for (const step of STEPS) {
              if (step.name !== crashed) {
                await step.run(deps, run);
                continue;
              }
              await expect(step.run(crashing, run), label).rejects.toBeInstanceOf(InjectedCrash);
              // A worker whose complete call failed retries it with the same lease; a lost claim is just abandoned.
              if (step.name.startsWith('complete')) await step.run(deps, run);
              break;
            }
          }
          const completions = await runToEnd(engine, run.processId);
          await expectCompletedWithOutputs(run.processId, label);
          // No task was worked on twice: each completion in the loop was a task not yet done.
          for (const [task, n] of completions) expect(n, `${label}: ${task}`).toBe(1);
        }
      }
      expect(scenarios).toBeGreaterThanOrEqual(25);
    }, 600_000);

    it('finishes a cancellation that crashed after any call: every unfinished task ends CANCELLED', async () => {
      const cancel = (d: Deps, run: Run) => cancelProcess(d, run.processId);
      const calls = await callsOf(async () => undefined, cancel);
      expect(calls).toBeGreaterThan(0);
      for (let k = 0; k <= calls; k++) {
        const label = `${engine.name}: cancel, crash after call ${k} of ${calls}`;
        const run = await start(deps);
        await engine.drain();
        await expect(cancel(engine.crashingDeps(k), run), label).rejects.toBeInstanceOf(InjectedCrash);
        engine.clock.advance(3_600_000);
        await sweep(deps);
        const view = await getProcess(deps, run.processId);
        if (view.status === 'RUNNING') {
          // The crash came before the process changed: nothing was half-written; cancelling again works.
          await cancelProcess(deps, run.processId);
        }
        const after = await getProcess(deps, run.processId);
        expect(after.status, label).toBe('CANCELLED');
        expect(after.tasks.every((t) => t.status === 'CANCELLED'), label).toBe(true);
        expect(await deps.processes.get({ id: run.processId }), label).not.toHaveProperty('sweepAt');
      }
    }, 300_000);

    it('finishes a retry that crashed after any call: the next attempt runs and the process completes', async () => {
      const leases = new Map<string, string>();
      const claimA = async (run: Run) => {
        leases.set(run.processId, (await claimTask(deps, run.processId, 'A', 'w')).leaseToken);
      };
      const fail = (d: Deps, run: Run) => failTask(d, run.processId, 'A', { leaseToken: leases.get(run.processId)!, error: { message: 'blip' } });
      const calls = await callsOf(claimA, fail);
      expect(calls).toBeGreaterThan(0);
      for (let k = 0; k <= calls; k++) {
        const label = `${engine.name}: retry, crash after call ${k} of ${calls}`;
        const run = await start(deps);
        await engine.drain();
        await claimA(run);
        // The last call is the retry's message send, which is best effort (the sweeper resends): a crash there is no error.
        if (k < calls) await expect(fail(engine.crashingDeps(k), run), label).rejects.toBeInstanceOf(InjectedCrash);
        else await fail(engine.crashingDeps(k), run);
        // The worker retries its fail call once, as the client does: answered as a retry either way.
        expect(await fail(deps, run), label).toMatchObject({ status: 'SCHEDULED' });
        await runToEnd(engine, run.processId);
        await expectCompletedWithOutputs(run.processId, label);
        expect((await getProcess(deps, run.processId)).tasks[0], label).toMatchObject({ attempt: 2, lastError: { message: 'blip' } });
      }
    }, 300_000);

    it('finishes a failure that crashed after any call: the process ends FAILED with the rest cancelled', async () => {
      const leases = new Map<string, string>();
      const claimA = async (run: Run) => {
        leases.set(run.processId, (await claimTask(deps, run.processId, 'A', 'w')).leaseToken);
      };
      const fail = (d: Deps, run: Run) => failTask(d, run.processId, 'A', { leaseToken: leases.get(run.processId)!, error: { message: 'boom', retryable: false } });
      const calls = await callsOf(claimA, fail);
      expect(calls).toBeGreaterThan(0);
      for (let k = 0; k <= calls; k++) {
        const label = `${engine.name}: fail, crash after call ${k} of ${calls}`;
        const run = await start(deps);
        await engine.drain();
        await claimA(run);
        await expect(fail(engine.crashingDeps(k), run), label).rejects.toBeInstanceOf(InjectedCrash);
        // The worker retries its fail call once, as the client does; then the sweeper runs.
        await fail(deps, run);
        engine.clock.advance(3_600_000);
        await sweep(deps);
        const view = await getProcess(deps, run.processId);
        expect(view.status, label).toBe('FAILED');
        expect(view.tasks.map((t) => t.status), label).toEqual(['FAILED', 'CANCELLED', 'CANCELLED', 'CANCELLED']);
        expect(await deps.processes.get({ id: run.processId }), label).not.toHaveProperty('sweepAt');
      }
    }, 300_000);
  });
}
