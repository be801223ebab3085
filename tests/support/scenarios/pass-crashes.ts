import { describe, beforeAll, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { pauseProcess, resumeProcess } from '#app/pause-process.ts';
import { rerunProcess } from '#app/rerun-process.ts';
import { rerunProcesses } from '#app/rerun-processes.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import type { TaskItem } from '#schemas/items.ts';
import { crashHooks, InjectedCrash, putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';

/**
 * Every pass over a process's tasks (pause, resume, cancel's cleanup, rerun,
 * bulk rerun) crashed at every call boundary, then finished by the sweeper
 * from its cursor: each task is held, unheld, cancelled or reset once, and
 * the process ends right. The passes walk two tasks per chunk with a budget
 * the clock (moving 50 ms per call) runs through after a few calls, so every
 * pass stops part-way, records its cursor, and is resumed by sweeps that stop
 * part-way too.
 */
const WIDE = `tasks:
  - name: A
  - name: B1
    needs: [A]
  - name: B2
    needs: [A]
  - name: B3
    needs: [A]
  - name: B4
    needs: [A]
  - name: E
    needs: [A]
  - name: J
    needs: [B1, B2, B3, B4]
  - name: D
    needs: [J]
`;
const FANNED = ['B1', 'B2', 'B3', 'B4', 'E'];
const PASS = { passChunk: 2, followUpBudgetMs: 200, sweepFollowUpBudgetMs: 200 };

/**
 * @param stride Crash after every `stride`-th call only (1: every boundary, as the in-memory engine does; the
 *   DynamoDB twin samples them, since each boundary costs a whole process run on DynamoDB Local).
 */
export function passCrashScenarios(makeEngine: () => Promise<Engine>, { stride = 1 }: { stride?: number } = {}): void {
  let engine: Engine;
  let deps: Deps;
  /**
   * The virtual time a Query takes. The bulk rerun's listing queries every status-index shard at once (32 in
   * parallel), which this sequential clock would count 32 times over: its test lets queries cost nothing, so that
   * the budget runs out in the passes, as in the other tests.
   */
  let queryMs = 50;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'pass-wide', WIDE);
  });

  /** Small chunks, a small budget and a clock that moves on every call; crashing after call `k` (never: Infinity). */
  function passDeps(k: number): { deps: Deps; calls: () => number } {
    const crash = crashHooks(k);
    const hooks = {
      before: (call: string) => crash.before?.(call),
      after: (call: string) => {
        engine.clock.advance(call === 'Query' ? queryMs : 50);
        crash.after?.(call);
      },
    };
    return { deps: engine.invocation({ settings: PASS, hooks }), calls: () => crash.calls };
  }

  /** The sweeper, with the same small chunks and budget, until the process owes no pass (and nothing else is due). */
  async function sweepUntilSettled(id: string): Promise<number> {
    const sweeper = passDeps(Number.POSITIVE_INFINITY).deps;
    for (let round = 0; round < 50; round++) {
      const process = await deps.processes.get({ id });
      if (!process || process.sweepAt === undefined || process.sweepReason === 'deadline') return round;
      engine.clock.advance(60_000);
      await sweep(sweeper);
    }
    throw new Error(`process ${id} still owes a pass after 50 sweeps`);
  }

  async function tasksOf(id: string): Promise<Map<string, TaskItem>> {
    return deps.tasks.getMany({ processId: id, tasks: ['A', ...FANNED, 'J', 'D'] });
  }

  async function work(id: string, task: string): Promise<void> {
    const claim = await claimTask(deps, id, task, 'w');
    await completeTask(deps, id, task, { leaseToken: claim.leaseToken, output: { by: task } });
  }

  /** A process with A completed, its five children scheduled, two of them claimed (RUNNING). */
  async function fannedOut(): Promise<string> {
    const { process } = await startProcess(deps, { definition: 'pass-wide' });
    await engine.drain();
    await work(process.id, 'A');
    await engine.drain();
    await claimTask(deps, process.id, 'B1', 'w');
    await claimTask(deps, process.id, 'B2', 'w');
    return process.id;
  }

  /** Counts the calls of `pass` on a fresh setup, then runs it crashing after each call in turn, and checks. */
  async function atEveryBoundary(setup: () => Promise<string>, pass: (d: Deps, id: string) => Promise<unknown>, check: (id: string, label: string) => Promise<void>) {
    const counting = passDeps(Number.POSITIVE_INFINITY);
    const probe = await setup();
    await pass(counting.deps, probe);
    const calls = counting.calls();
    expect(calls).toBeGreaterThan(3);
    // The budget ran out part-way: the call left its pass owed, with a cursor past the start, for the sweeper.
    for (const id of probe.split(',')) expect(await deps.processes.get({ id })).toMatchObject({ sweepAt: expect.any(Number), resumeFrom: expect.any(Number) });
    await check(probe, `${engine.name}: no crash`);
    for (let k = 0; k <= calls; k += k === calls || k + stride <= calls ? stride : calls - k) {
      const label = `${engine.name}: crash after call ${k} of ${calls}`;
      const id = await setup();
      // A crash in a best-effort send (the sweeper resends) is no error for the caller: the pass answers.
      const crashed = await pass(passDeps(k).deps, id).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (crashed !== undefined) expect(crashed, label).toBeInstanceOf(InjectedCrash);
      await check(id, label);
    }
    return calls;
  }

  describe('passes crashed at every call boundary', () => {
    it('pause: every active task is marked held once the sweeper is done, and the process completes after resume', async () => {
      await atEveryBoundary(
        fannedOut,
        (d, id) => pauseProcess(d, id),
        async (id, label) => {
          // A crash before the pause took effect leaves the process RUNNING: the operator pauses again.
          if ((await deps.processes.get({ id }))?.status === 'RUNNING') await pauseProcess(deps, id);
          await sweepUntilSettled(id);
          const items = await tasksOf(id);
          expect(FANNED.map((t) => items.get(t)?.held ?? false), label).toEqual(FANNED.map(() => true));
          expect(items.get('A')?.held, label).toBeUndefined();
          await resumeProcess(deps, id);
          const completions = await runToEnd(engine, id);
          expect((await deps.processes.get({ id }))?.status, label).toBe('COMPLETED');
          for (const [task, n] of completions) expect(n, `${label}: ${task}`).toBe(1);
        },
      );
    }, 300_000);

    it('resume: every mark goes, the follow-up that waited runs once, and the process completes', async () => {
      const pausedWithEnding = async () => {
        const id = await fannedOut();
        await pauseProcess(deps, id);
        // B1 ends while paused: its follow-up waits for the resume.
        const b1 = await deps.tasks.get({ processId: id, task: 'B1' });
        await completeTask(deps, id, 'B1', { leaseToken: b1?.leaseToken ?? '', output: { by: 'B1' } });
        await engine.drain();
        return id;
      };
      await atEveryBoundary(
        pausedWithEnding,
        (d, id) => resumeProcess(d, id),
        async (id, label) => {
          if ((await deps.processes.get({ id }))?.status === 'PAUSED') await resumeProcess(deps, id);
          await sweepUntilSettled(id);
          const items = await tasksOf(id);
          expect([...items.values()].filter((t) => t.held === true).map((t) => t.name), label).toEqual([]);
          // B2 was claimed before the pause and is still RUNNING: finish it as its worker would.
          const b2 = items.get('B2');
          if (b2?.status === 'RUNNING') await completeTask(deps, id, 'B2', { leaseToken: b2.leaseToken ?? '', output: { by: 'B2' } });
          const completions = await runToEnd(engine, id);
          expect((await deps.processes.get({ id }))?.status, label).toBe('COMPLETED');
          expect(completions.has('B1'), label).toBe(false);
          for (const [task, n] of completions) expect(n, `${label}: ${task}`).toBe(1);
        },
      );
    }, 300_000);

    it('cancel: every unfinished task ends CANCELLED, the completed one stays, and the process leaves the sweep index', async () => {
      await atEveryBoundary(
        fannedOut,
        (d, id) => cancelProcess(d, id),
        async (id, label) => {
          if ((await deps.processes.get({ id }))?.status === 'RUNNING') await cancelProcess(deps, id);
          await sweepUntilSettled(id);
          const items = await tasksOf(id);
          expect(items.get('A')?.status, label).toBe('COMPLETED');
          expect([...FANNED, 'J', 'D'].map((t) => items.get(t)?.status), label).toEqual([...FANNED, 'J', 'D'].map(() => 'CANCELLED'));
          expect(await deps.processes.get({ id }), label).toMatchObject({ status: 'CANCELLED' });
        },
      );
    }, 300_000);

    /** A process that FAILED at B3 (failFast): A kept, the rest cancelled. */
    const failedAtB3 = async (): Promise<string> => {
      const id = await fannedOut();
      const b3 = await claimTask(deps, id, 'B3', 'w');
      await failTask(deps, id, 'B3', { leaseToken: b3.leaseToken, error: { message: 'broke', retryable: false } });
      await sweepUntilSettled(id);
      expect(await deps.processes.get({ id })).toMatchObject({ status: 'FAILED' });
      return id;
    };

    /** After a rerun (run 2): A kept, every other task reset once (one run marker each) and completed once. */
    async function expectRerunOnce(id: string, label: string): Promise<void> {
      await sweepUntilSettled(id);
      const completions = await runToEnd(engine, id);
      expect(await deps.processes.get({ id }), label).toMatchObject({ status: 'COMPLETED', run: 2 });
      expect(completions.has('A'), label).toBe(false);
      expect([...completions.keys()].sort(), label).toEqual([...FANNED, 'J', 'D'].sort());
      for (const [task, n] of completions) expect(n, `${label}: ${task}`).toBe(1);
      const items = await tasksOf(id);
      expect(items.get('A'), label).toMatchObject({ status: 'COMPLETED' });
      expect(items.get('A')?.run ?? 1, label).toBe(1);
      for (const task of [...FANNED, 'J', 'D']) {
        expect(items.get(task), `${label}: ${task}`).toMatchObject({ status: 'COMPLETED', run: 2, attempt: 1 });
        expect((items.get(task)?.attempts ?? []).filter((r) => r.k === 'r').length, `${label}: ${task} reset once`).toBe(1);
      }
    }

    it('rerun: each task that runs again is reset and completed once, the kept one is untouched, the process completes', async () => {
      await atEveryBoundary(
        failedAtB3,
        (d, id) => rerunProcess(d, id, {}),
        async (id, label) => {
          if ((await deps.processes.get({ id }))?.status === 'FAILED') await rerunProcess(deps, id, {});
          await expectRerunOnce(id, label);
        },
      );
    }, 300_000);

    it('bulk rerun: both processes rerun once, whatever call the bulk rerun died after', async () => {
      queryMs = 0;
      let round = 0;
      let definition = '';
      const twoFailed = async (): Promise<string> => {
        round += 1;
        definition = `pass-bulk-${round}`;
        await putYaml(deps, definition, WIDE);
        const ids: string[] = [];
        for (let i = 0; i < 2; i++) {
          const { process } = await startProcess(deps, { definition });
          await engine.drain();
          await work(process.id, 'A');
          await engine.drain();
          const b3 = await claimTask(deps, process.id, 'B3', 'w');
          await failTask(deps, process.id, 'B3', { leaseToken: b3.leaseToken, error: { message: 'broke', retryable: false } });
          await sweepUntilSettled(process.id);
          ids.push(process.id);
        }
        return ids.join(',');
      };
      await atEveryBoundary(
        twoFailed,
        // As the CLI does: page after page (a page over the sharded status index may hold fewer than both).
        async (d) => {
          let page = await rerunProcesses(d, { definition });
          while (page.nextToken !== undefined) page = await rerunProcesses(d, { definition, nextToken: page.nextToken });
        },
        async (ids, label) => {
          // The operator runs the bulk rerun again: it finds the processes still FAILED.
          await rerunProcesses(deps, { definition });
          for (const id of ids.split(',')) await expectRerunOnce(id, `${label}: ${id}`);
        },
      );
    }, 600_000);
  });
}
