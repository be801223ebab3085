import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { pauseProcess, resumeProcess } from '#app/pause-process.ts';
import { getProcessHistory } from '#app/process-history.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { codeOf, InjectedCrash, putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';
import { expectOwesNothing } from '../owes-nothing.ts';

/**
 * Pause and resume (issue 8, part 4): while PAUSED, running tasks finish and
 * their completions are accepted, nothing new is scheduled, and claims get
 * ProcessPaused; resume schedules what became ready and resends the messages
 * of SCHEDULED tasks. Cancel and the process timeout still apply while paused.
 */
const CHAIN = 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n  - name: C\n    needs: [B]\n';
const TWO_ROOTS = 'defaults:\n  retry: { intervalSeconds: 0 }\ntasks:\n  - name: P\n  - name: Q\n  - name: J\n    needs: [P, Q]\n';
const TIMED = 'timeoutSeconds: 60\ntasks:\n  - name: A\n  - name: B\n    needs: [A]\n';

export function pauseResumeScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'chain', CHAIN);
    await putYaml(deps, 'two-roots', TWO_ROOTS);
    await putYaml(deps, 'timed', TIMED);
    await putYaml(deps, 'fragile', 'tasks:\n  - name: A\n    retry: { maxAttempts: 1 }\n  - name: B\n    needs: [A]\n');
  });

  async function start(definition: string): Promise<string> {
    const { process } = await startProcess(deps, { definition, input: { n: 1 } });
    await engine.drain();
    return process.id;
  }

  const statuses = async (id: string) => (await getProcess(deps, id)).tasks.map((t) => [t.name, t.status, t.attempt]);
  const messagesOf = async (id: string) => (await engine.drain()).filter((m) => m.body.processId === id).map((m) => [m.body.task, m.body.attempt]);

  describe('pause and resume', () => {
    it('lets the running task finish while paused, schedules nothing until resume, then runs to COMPLETED', async () => {
      const id = await start('chain');
      const a = await claimTask(deps, id, 'A', 'w');
      expect((await pauseProcess(deps, id, 'deploying a fix')).status).toBe('PAUSED');
      expect(await codeOf(claimTask(deps, id, 'B', 'w'))).toBe('ProcessPaused');

      await completeTask(deps, id, 'A', { leaseToken: a.leaseToken, output: { a: 1 } });
      expect(await statuses(id)).toEqual([
        ['A', 'COMPLETED', 1],
        ['B', 'PENDING', 0],
        ['C', 'PENDING', 0],
      ]);
      expect(await messagesOf(id)).toEqual([]);
      // The sweeper does not run the waiting follow-up either, however late.
      engine.clock.advance(3_600_000);
      await sweep(deps);
      expect((await getProcess(deps, id)).tasks[1]?.status).toBe('PENDING');
      expect(await messagesOf(id)).toEqual([]);

      expect((await resumeProcess(deps, id)).status).toBe('RUNNING');
      expect(await statuses(id)).toEqual([
        ['A', 'COMPLETED', 1],
        ['B', 'SCHEDULED', 1],
        ['C', 'PENDING', 0],
      ]);
      const b = await claimTask(deps, id, 'B', 'w');
      expect(b.input.upstream).toEqual({ A: { a: 1 } });
      expect(await messagesOf(id)).toEqual([['B', 1]]);
      await completeTask(deps, id, 'B', { leaseToken: b.leaseToken });
      const c = await claimTask(deps, id, 'C', 'w');
      await completeTask(deps, id, 'C', { leaseToken: c.leaseToken });
      const view = await getProcess(deps, id);
      expect(view.status).toBe('COMPLETED');
      expect(await deps.processes.get({ id })).not.toHaveProperty('sweepAt');
      expect((await deps.tasks.listAll({ processId: id })).some((t) => t.held !== undefined)).toBe(false);
      await expectOwesNothing(engine, deps, id);

      const history = (await getProcessHistory(deps, id, { limit: 100 })).items.map((e) => e.type);
      expect(history.filter((t) => t.startsWith('Process'))).toEqual(['ProcessStarted', 'ProcessPaused', 'ProcessResumed', 'ProcessCompleted']);
      expect(history.indexOf('ProcessPaused')).toBeLessThan(history.indexOf('ProcessResumed'));
      const paused = (await getProcessHistory(deps, id, { limit: 100 })).items.find((e) => e.type === 'ProcessPaused');
      expect(paused?.details).toEqual({ reason: 'deploying a fix' });
    });

    it('refuses the claim of a SCHEDULED task while paused, leaving it SCHEDULED at the same attempt; resume resends its message', async () => {
      const id = await start('two-roots');
      const p = await claimTask(deps, id, 'P', 'w');
      await pauseProcess(deps, id);
      expect(await codeOf(claimTask(deps, id, 'Q', 'w'))).toBe('ProcessPaused');
      expect(await codeOf(claimTask(deps, id, 'Q', 'w'))).toBe('ProcessPaused');
      expect((await getProcess(deps, id)).tasks.find((t) => t.name === 'Q')).toMatchObject({ status: 'SCHEDULED', attempt: 1 });
      // A fail with attempts left is accepted too: the retry's message goes out, and its claim is refused like any other.
      expect(await failTask(deps, id, 'P', { leaseToken: p.leaseToken, error: { message: 'blip' } })).toMatchObject({ status: 'SCHEDULED' });
      expect(await messagesOf(id)).toEqual([['P', 2]]);
      expect(await codeOf(claimTask(deps, id, 'P', 'w'))).toBe('ProcessPaused');
      // The sweeper resends nothing while paused, however late.
      engine.clock.advance(3_600_000);
      await sweep(deps);
      expect(await messagesOf(id)).toEqual([]);

      await resumeProcess(deps, id);
      expect((await messagesOf(id)).sort()).toEqual([
        ['P', 2],
        ['Q', 1],
      ]);
      const q = await claimTask(deps, id, 'Q', 'w');
      expect(q.attempt).toBe(1);
      await completeTask(deps, id, 'Q', { leaseToken: q.leaseToken });
      const p2 = await claimTask(deps, id, 'P', 'w');
      expect(p2.attempt).toBe(2);
      await completeTask(deps, id, 'P', { leaseToken: p2.leaseToken });
      await runToEnd(engine, id);
      expect((await getProcess(deps, id)).status).toBe('COMPLETED');
    });

    it('records a final failure while paused, and applies the failure policy (failFast) only on resume', async () => {
      const id = await start('fragile');
      const a = await claimTask(deps, id, 'A', 'w');
      await pauseProcess(deps, id);
      expect(await failTask(deps, id, 'A', { leaseToken: a.leaseToken, error: { message: 'boom' } })).toEqual({ status: 'FAILED' });
      engine.clock.advance(3_600_000);
      await sweep(deps);
      expect((await getProcess(deps, id)).status).toBe('PAUSED');
      await resumeProcess(deps, id);
      const view = await getProcess(deps, id);
      expect(view.status).toBe('FAILED');
      expect(view.error).toMatchObject({ code: 'TaskFailed', task: 'A' });
      expect(view.tasks.map((t) => t.status)).toEqual(['FAILED', 'CANCELLED']);
    });

    it('treats a second pause and a resume of a running process as no-ops, and refuses both on an ended process', async () => {
      const id = await start('chain');
      await pauseProcess(deps, id);
      expect((await pauseProcess(deps, id)).status).toBe('PAUSED');
      await resumeProcess(deps, id);
      expect((await resumeProcess(deps, id)).status).toBe('RUNNING');
      const types = (await getProcessHistory(deps, id, { limit: 100 })).items.map((e) => e.type);
      expect(types.filter((t) => t === 'ProcessPaused' || t === 'ProcessResumed')).toEqual(['ProcessPaused', 'ProcessResumed']);
      await cancelProcess(deps, id);
      expect(await codeOf(pauseProcess(deps, id))).toBe('ProcessNotRunning');
      expect(await codeOf(resumeProcess(deps, id))).toBe('ProcessNotRunning');
      expect(await codeOf(pauseProcess(deps, 'no-such-process'))).toBe('ProcessNotFound');
    });

    it('cancels a paused process: CANCELLED, every unfinished task cancelled', async () => {
      const id = await start('chain');
      await claimTask(deps, id, 'A', 'w');
      await pauseProcess(deps, id);
      expect((await cancelProcess(deps, id, 'no longer needed')).status).toBe('CANCELLED');
      const view = await getProcess(deps, id);
      expect(view.status).toBe('CANCELLED');
      expect(view.tasks.every((t) => t.status === 'CANCELLED')).toBe(true);
    });

    it('times a paused process out: its timeout keeps counting, and the sweeper fails it with ProcessTimedOut', async () => {
      const id = await start('timed');
      await claimTask(deps, id, 'A', 'w');
      await pauseProcess(deps, id);
      engine.clock.advance(30_000);
      await sweep(deps);
      expect((await getProcess(deps, id)).status).toBe('PAUSED');
      engine.clock.advance(31_000);
      await sweep(deps);
      const view = await getProcess(deps, id);
      expect(view.status).toBe('FAILED');
      expect(view.error).toMatchObject({ code: 'ProcessTimedOut' });
      expect(view.tasks.map((t) => t.status)).toEqual(['CANCELLED', 'CANCELLED']);
    });

    it('keeps the deadline of a resumed process: it times out after resume as if never paused', async () => {
      const id = await start('timed');
      await pauseProcess(deps, id);
      engine.clock.advance(10_000);
      await resumeProcess(deps, id);
      expect(await deps.processes.get({ id })).toMatchObject({ sweepReason: 'deadline' });
      engine.clock.advance(51_000);
      await sweep(deps);
      expect((await getProcess(deps, id)).error).toMatchObject({ code: 'ProcessTimedOut' });
    });

    it('finishes a resume that crashed after any call: the process completes and each task ran once', async () => {
      /** A paused chain whose A completed while paused: B is owed. */
      const prepare = async (): Promise<string> => {
        const id = await start('chain');
        const a = await claimTask(deps, id, 'A', 'w');
        await pauseProcess(deps, id);
        await completeTask(deps, id, 'A', { leaseToken: a.leaseToken });
        return id;
      };
      const counting = engine.countingDeps();
      await resumeProcess(counting.deps, await prepare());
      const calls = counting.calls();
      expect(calls).toBeGreaterThan(3);
      for (let k = 0; k <= calls; k++) {
        const label = `${engine.name}: resume, crash after call ${k} of ${calls}`;
        const id = await prepare();
        // The last call takes the process off the sweep index: a crash after it is still a crash.
        await expect(resumeProcess(engine.crashingDeps(k), id), label).rejects.toBeInstanceOf(InjectedCrash);
        engine.clock.advance(3_600_000);
        await sweep(deps);
        // A crash before the resume's write left the process PAUSED: the operator resumes again.
        if ((await deps.processes.get({ id }))?.status === 'PAUSED') await resumeProcess(deps, id);
        const completions = await runToEnd(engine, id);
        expect((await getProcess(deps, id)).status, label).toBe('COMPLETED');
        expect([...completions.entries()].sort(), label).toEqual([
          ['B', 1],
          ['C', 1],
        ]);
        expect(await deps.processes.get({ id }), label).not.toHaveProperty('sweepAt');
      }
    }, 300_000);
  });
}
