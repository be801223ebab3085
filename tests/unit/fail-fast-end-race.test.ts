import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { InjectedCrash, memoryEngine, putYaml, type Deps, type Engine } from '../support/engines.ts';

/**
 * failFast with two sinks: a sink's final failure must fail the process even
 * when the failing call dies after its write, before its follow-up, and the
 * other sink completes meanwhile. Had the failure counted in the end counter,
 * the completion would fill it and end the process COMPLETED.
 */
describe('failFast: a failure cut short before its follow-up never lets the process complete', () => {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await memoryEngine();
    deps = engine.deps;
    await putYaml(deps, 'ff-two-sinks', 'tasks:\n  - name: A\n    retry: { maxAttempts: 1 }\n  - name: B\n');
  });

  async function upToFail(): Promise<{ id: string; failA: (d: Deps) => Promise<unknown>; completeB: () => Promise<void> }> {
    const { process } = await startProcess(deps, { definition: 'ff-two-sinks', input: {} });
    const id = process.id;
    await engine.drain();
    const a = await claimTask(deps, id, 'A', 'w');
    const b = await claimTask(deps, id, 'B', 'w');
    return {
      id,
      failA: (d) => failTask(d, id, 'A', { leaseToken: a.leaseToken, error: { message: 'A broke', code: 'Broke' } }),
      completeB: () => completeTask(deps, id, 'B', { leaseToken: b.leaseToken, output: 'b' }),
    };
  }

  it('after a crash at every call boundary of the failure, B completing leaves the process RUNNING, and the sweeper FAILS it', async () => {
    const counted = await upToFail();
    const counting = engine.countingDeps();
    await counted.failA(counting.deps);
    const calls = counting.calls();
    expect(calls).toBeGreaterThan(1);
    let raced = 0;
    for (let k = 0; k < calls; k++) {
      const label = `crash after call ${k} of ${calls}`;
      const { id, failA, completeB } = await upToFail();
      await expect(failA(engine.crashingDeps(k)), label).rejects.toBeInstanceOf(InjectedCrash);
      // Refused when the crash came after the follow-up had already failed the process (and cancelled B).
      await completeB().catch((e: unknown) => expect((e as Error).name, label).toBe('ProcessNotRunningError'));
      const between = await getProcess(deps, id);
      expect(between.status, label).not.toBe('COMPLETED');
      if (between.tasks.find((t) => t.name === 'A')?.status === 'FAILED' && between.status === 'RUNNING') raced += 1;
      // The worker that saw its call fail retries it (a repeat of a done failure is harmless); then the sweeper.
      await failA(deps).catch(() => undefined);
      engine.clock.advance(3_600_000);
      await sweep(deps);
      const view = await getProcess(deps, id);
      expect(view, label).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed', task: 'A' } });
    }
    // At least one crash point left A FAILED with its follow-up owed while B completed: the race itself was run.
    expect(raced).toBeGreaterThan(0);
  });
});
