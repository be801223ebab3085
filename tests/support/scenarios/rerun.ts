import { beforeAll, describe, expect, it } from 'vitest';
import { cancelProcess } from '#app/end-process.ts';
import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { getProcessHistory } from '#app/process-history.ts';
import { pauseProcess, resumeProcess } from '#app/pause-process.ts';
import { getProcess } from '#app/process-views.ts';
import { rerunProcess } from '#app/rerun-process.ts';
import { rerunProcesses } from '#app/rerun-processes.ts';
import { startProcess } from '#app/start-process.ts';
import { codeOf, InjectedCrash, putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';

const CHAIN = 'tasks:\n  - name: Fetch\n  - name: Score\n    needs: [Fetch]\n  - name: Notify\n    needs: [Score]\n';
const DIAMOND = 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n  - name: C\n    needs: [A]\n  - name: D\n    needs: [B, C]\n';

/** Claims a task and completes it with `output`; answers the claim (its input shows what upstream handed over). */
async function work(deps: Deps, id: string, task: string, output: unknown) {
  const claim = await claimTask(deps, id, task, 'w1');
  await completeTask(deps, id, task, { leaseToken: claim.leaseToken, output });
  return claim;
}

/** Claims a task and fails it for good. */
async function breakTask(deps: Deps, id: string, task: string, message = `${task} broke`) {
  const claim = await claimTask(deps, id, task, 'w1');
  await failTask(deps, id, task, { leaseToken: claim.leaseToken, error: { message, retryable: false } });
  return claim;
}

/**
 * Operator controls, rerun: an ended process runs again in place, keeping
 * what completed; one process, or many found through the indexes.
 */
export function rerunScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'rerun-chain', CHAIN);
    await putYaml(deps, 'rerun-diamond', DIAMOND);
  });

  const statuses = async (id: string) => Object.fromEntries((await getProcess(deps, id)).tasks.map((t) => [t.name, t.status]));

  describe('rerun of one process', () => {
    it('reruns a failed chain from the failed task: the first task does not run again and its output reaches the second', async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-chain', input: { applicant: 'ada' } });
      await engine.drain();
      await work(deps, process.id, 'Fetch', { score: 700 });
      await engine.drain();
      await breakTask(deps, process.id, 'Score', 'scoring service down');
      expect((await getProcess(deps, process.id)).status).toBe('FAILED');

      const outcome = await rerunProcess(deps, process.id, {});
      expect(outcome).toEqual({ run: 2, version: 1, reset: ['Score', 'Notify'], kept: ['Fetch'] });
      const view = await getProcess(deps, process.id);
      expect(view).toMatchObject({ status: 'RUNNING', runs: 2 });
      expect(view.error).toBeUndefined();
      expect(view.endedAt).toBeUndefined();
      expect(await statuses(process.id)).toEqual({ Fetch: 'COMPLETED', Score: 'SCHEDULED', Notify: 'PENDING' });
      expect(view.tasks.find((t) => t.name === 'Fetch')).toMatchObject({ output: { score: 700 }, attempt: 1 });

      const messages = await engine.drain();
      expect(messages.map((m) => m.body)).toEqual([{ processId: process.id, task: 'Score', attempt: 1, definition: 'rerun-chain', version: 1 }]);
      const claim = await work(deps, process.id, 'Score', { approved: true });
      expect(claim.attempt).toBe(1);
      expect(claim.input).toEqual({ process: { applicant: 'ada' }, upstream: { Fetch: { score: 700 } } });
      const completions = await runToEnd(engine, process.id);
      expect(Object.fromEntries(completions)).toEqual({ Notify: 1 });
      expect((await getProcess(deps, process.id)).status).toBe('COMPLETED');

      const history = (await getProcessHistory(deps, process.id, { limit: 1000 })).items;
      expect(history.map((e) => [e.run, e.type, e.task ?? '', e.attempt ?? 0])).toEqual([
        [1, 'ProcessStarted', '', 0],
        [1, 'TaskScheduled', 'Fetch', 1],
        [1, 'TaskClaimed', 'Fetch', 1],
        [1, 'TaskCompleted', 'Fetch', 1],
        [1, 'TaskScheduled', 'Score', 1],
        [1, 'TaskClaimed', 'Score', 1],
        [1, 'TaskFailed', 'Score', 1],
        [1, 'TaskCancelled', 'Notify', 0],
        [1, 'ProcessFailed', '', 0],
        [2, 'ProcessRerun', '', 0],
        [2, 'TaskScheduled', 'Score', 1],
        [2, 'TaskClaimed', 'Score', 1],
        [2, 'TaskCompleted', 'Score', 1],
        [2, 'TaskScheduled', 'Notify', 1],
        [2, 'TaskClaimed', 'Notify', 1],
        [2, 'TaskCompleted', 'Notify', 1],
        [2, 'ProcessCompleted', '', 0],
      ]);
      expect(history.find((e) => e.type === 'TaskFailed')?.error).toMatchObject({ message: 'scoring service down' });
      expect(history.find((e) => e.type === 'ProcessRerun')?.details).toEqual({ version: 1, previousVersion: 1, reset: ['Score', 'Notify'], resetCount: 2, inputReplaced: false });
    });

    it('reruns a completed diamond from fromTasks: the forced task and its descendants run again, the rest keep their outputs', async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-diamond' });
      await runToEnd(engine, process.id);
      expect((await getProcess(deps, process.id)).status).toBe('COMPLETED');
      expect(await codeOf(rerunProcess(deps, process.id, {}))).toBe('NothingToRerun');

      expect(await rerunProcess(deps, process.id, { fromTasks: ['B'] })).toMatchObject({ run: 2, reset: ['B', 'D'], kept: ['A', 'C'] });
      expect(await statuses(process.id)).toEqual({ A: 'COMPLETED', B: 'SCHEDULED', C: 'COMPLETED', D: 'PENDING' });
      await engine.drain();
      await work(deps, process.id, 'B', 'B, second run');
      await engine.drain();
      const d = await work(deps, process.id, 'D', 'D, second run');
      expect(d.input.upstream).toEqual({ B: 'B, second run', C: { by: 'C' } });
      const view = await getProcess(deps, process.id);
      expect(view).toMatchObject({ status: 'COMPLETED', runs: 2 });
      expect(Object.fromEntries(view.tasks.map((t) => [t.name, t.output]))).toEqual({ A: { by: 'A' }, B: 'B, second run', C: { by: 'C' }, D: 'D, second run' });
    });

    it('refuses a rerun of a running process, of unknown fromTasks, and of an unknown process', async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-chain' });
      await engine.drain();
      expect(await codeOf(rerunProcess(deps, process.id, {}))).toBe('ProcessStillRunning');
      await cancelProcess(deps, process.id);
      expect(await codeOf(rerunProcess(deps, process.id, { fromTasks: ['Nope'] }))).toBe('ValidationError');
      expect(await codeOf(rerunProcess(deps, 'no-such-process', {}))).toBe('ProcessNotFound');
      expect((await getProcess(deps, process.id)).status).toBe('CANCELLED');
    });

    it('replaces the input for the new run when one is given', async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-chain', input: { applicant: 'ada' } });
      await engine.drain();
      await breakTask(deps, process.id, 'Fetch');
      await rerunProcess(deps, process.id, { input: { applicant: 'grace' } });
      await engine.drain();
      expect((await claimTask(deps, process.id, 'Fetch', 'w1')).input.process).toEqual({ applicant: 'grace' });
      expect((await getProcess(deps, process.id)).input).toEqual({ applicant: 'grace' });
    });

    it('fences every lease token of the run before: complete, heartbeat and fail with one are LeaseMismatch', async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-chain' });
      await engine.drain();
      const first = await claimTask(deps, process.id, 'Fetch', 'w1');
      await cancelProcess(deps, process.id);
      await rerunProcess(deps, process.id, {});
      await engine.drain();
      const second = await claimTask(deps, process.id, 'Fetch', 'w2');
      expect(second.attempt).toBe(1);
      expect(await codeOf(completeTask(deps, process.id, 'Fetch', { leaseToken: first.leaseToken, output: 'late' }))).toBe('LeaseMismatch');
      expect(await codeOf(heartbeatTask(deps, process.id, 'Fetch', first.leaseToken))).toBe('LeaseMismatch');
      expect(await codeOf(failTask(deps, process.id, 'Fetch', { leaseToken: first.leaseToken, error: { message: 'late' } }))).toBe('LeaseMismatch');
      await completeTask(deps, process.id, 'Fetch', { leaseToken: second.leaseToken, output: 'fresh' });
      expect((await getProcess(deps, process.id)).tasks[0]).toMatchObject({ status: 'COMPLETED', output: 'fresh', workerId: 'w2' });
      const stale = (await getProcessHistory(deps, process.id, { limit: 100 })).items.filter((e) => e.type === 'StaleResultRejected');
      expect(stale.map((e) => [e.run, e.details?.call])).toEqual([
        [2, 'complete'],
        [2, 'heartbeat'],
        [2, 'fail'],
      ]);
    });

    it('refuses a paused process, and reruns one cancelled while paused with nothing held', async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-chain' });
      await engine.drain();
      const claim = await claimTask(deps, process.id, 'Fetch', 'w1');
      await pauseProcess(deps, process.id, 'maintenance');
      expect(await codeOf(rerunProcess(deps, process.id, {}))).toBe('ProcessStillRunning');
      // Completed while paused: its follow-up waits for a resume that never comes.
      await completeTask(deps, process.id, 'Fetch', { leaseToken: claim.leaseToken, output: 'f' });
      await cancelProcess(deps, process.id, 'giving up');
      expect(await rerunProcess(deps, process.id, {})).toMatchObject({ reset: ['Score', 'Notify'], kept: ['Fetch'] });
      const completions = await runToEnd(engine, process.id);
      expect(Object.fromEntries(completions)).toEqual({ Score: 1, Notify: 1 });
      expect((await getProcess(deps, process.id)).status).toBe('COMPLETED');
    });

    it('answers a repeated fail from the run before as stale, not as a repeat of a recorded failure', async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-chain' });
      await engine.drain();
      const failed = await breakTask(deps, process.id, 'Fetch');
      await rerunProcess(deps, process.id, {});
      expect(await codeOf(failTask(deps, process.id, 'Fetch', { leaseToken: failed.leaseToken, error: { message: 'Fetch broke', retryable: false } }))).toBe('LeaseMismatch');
      expect(await statuses(process.id)).toMatchObject({ Fetch: 'SCHEDULED' });
    });
  });

  describe('rerun onto another version', () => {
    const V1 = 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n  - name: C\n    needs: [A]\n  - name: D\n    needs: [B, C]\n';

    /** A process of version 1 whose A, B and C completed and whose join D failed. */
    const failedAtTheJoin = async () => {
      const { process } = await startProcess(deps, { definition: 'rerun-versions', version: 1 });
      await engine.drain();
      await work(deps, process.id, 'A', 'a');
      await engine.drain();
      await work(deps, process.id, 'B', 'b');
      await work(deps, process.id, 'C', 'c');
      await engine.drain();
      await breakTask(deps, process.id, 'D');
      return process;
    };

    it('refuses a version that drops or rewires a kept task, listing every difference, and changes nothing', async () => {
      await putYaml(deps, 'rerun-versions', V1);
      const process = await failedAtTheJoin();
      // Version 2: B is gone, and C needs a new task E.
      const v2 = await putYaml(deps, 'rerun-versions', 'tasks:\n  - name: A\n  - name: E\n  - name: C\n    needs: [A, E]\n  - name: D\n    needs: [C]\n');
      const refused = rerunProcess(deps, process.id, { version: v2 });
      await expect(refused).rejects.toMatchObject({
        code: 'IncompatibleVersion',
        details: [
          { task: 'B', problem: 'missing', message: expect.stringContaining("'B'") },
          { task: 'C', problem: 'needs', message: expect.stringContaining('[A, E]') },
        ],
      });
      expect(await getProcess(deps, process.id)).toMatchObject({ status: 'FAILED', runs: 1, version: 1 });
    });

    it('reruns on a compatible version: kept tasks keep their outputs, the rest runs on the new version', async () => {
      const process = await failedAtTheJoin();
      // Version 3: the same A, B, C; D on a longer timeout, and a new task after it.
      const v3 = await putYaml(deps, 'rerun-versions', `${V1.replace('needs: [B, C]\n', 'needs: [B, C]\n    timeoutSeconds: 900\n')}  - name: Archive\n    needs: [D]\n`);
      expect(await rerunProcess(deps, process.id, { version: v3 })).toEqual({ run: 2, version: v3, reset: ['D', 'Archive'], kept: ['A', 'B', 'C'] });
      const messages = await engine.drain();
      expect(messages.map((m) => m.body)).toEqual([{ processId: process.id, task: 'D', attempt: 1, definition: 'rerun-versions', version: v3 }]);
      const completions = await runToEnd(engine, process.id);
      expect(Object.fromEntries(completions)).toEqual({ D: 1, Archive: 1 });
      const view = await getProcess(deps, process.id);
      expect(view).toMatchObject({ status: 'COMPLETED', version: v3, runs: 2 });
      expect(view.tasks.map((t) => [t.name, t.status])).toEqual([
        ['A', 'COMPLETED'],
        ['B', 'COMPLETED'],
        ['C', 'COMPLETED'],
        ['D', 'COMPLETED'],
        ['Archive', 'COMPLETED'],
      ]);
    });

    it('checks the input against the version it reruns on: the kept input, or the new one', async () => {
      await putYaml(deps, 'rerun-schema', 'tasks:\n  - name: A\n');
      const { process } = await startProcess(deps, { definition: 'rerun-schema', input: { amount: 'ten' } });
      await engine.drain();
      await breakTask(deps, process.id, 'A');
      const v2 = await putYaml(deps, 'rerun-schema', 'inputSchema: { type: object, properties: { amount: { type: number } }, required: [amount] }\ntasks:\n  - name: A\n');
      expect(await codeOf(rerunProcess(deps, process.id, { version: v2 }))).toBe('ValidationError');
      expect(await codeOf(rerunProcess(deps, process.id, { version: v2, input: { amount: 'still text' } }))).toBe('ValidationError');
      expect(await getProcess(deps, process.id)).toMatchObject({ status: 'FAILED', runs: 1 });
      expect(await rerunProcess(deps, process.id, { version: v2, input: { amount: 10 } })).toMatchObject({ run: 2, version: v2 });
    });

    it('follows the new version even where an earlier call cached the process as it was', async () => {
      await putYaml(deps, 'rerun-cached', 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n');
      const { process } = await startProcess(deps, { definition: 'rerun-cached' });
      // Another invocation (its own store cache) sees the process in run 1, on version 1.
      const other = engine.invocation();
      await engine.drain();
      await work(other, process.id, 'A', 'a');
      await engine.drain();
      await breakTask(other, process.id, 'B');
      const v2 = await putYaml(deps, 'rerun-cached', 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n  - name: Audit\n    needs: [B]\n');
      await rerunProcess(deps, process.id, { version: v2 });
      await engine.drain();
      // Its completion of B (run 2) must schedule version 2's Audit, not end the process as version 1 would.
      await work(other, process.id, 'B', 'b');
      expect(await statuses(process.id)).toEqual({ A: 'COMPLETED', B: 'COMPLETED', Audit: 'SCHEDULED' });
      await runToEnd(engine, process.id);
      expect((await getProcess(deps, process.id)).status).toBe('COMPLETED');
    });
  });

  /** A diamond whose A and B completed and whose C failed for good. */
  const failedDiamond = async (definition: string) => {
    const { process } = await startProcess(deps, { definition });
    await engine.drain();
    await work(deps, process.id, 'A', 'a');
    await engine.drain();
    await work(deps, process.id, 'B', 'b');
    await breakTask(deps, process.id, 'C');
    await engine.drain();
    return process;
  };
  /** Reruns with deps that die after `crashAfter` calls: true when the rerun finished before that. */
  const rerunDying = (id: string, crashAfter: number): Promise<boolean> =>
    rerunProcess(engine.crashingDeps(crashAfter), id, {}).then(
      () => true,
      (error: unknown) => {
        if (!(error instanceof InjectedCrash)) throw error;
        return false;
      },
    );

  describe('a rerun whose caller dies', () => {
    it('is finished by the sweeper, whichever call it died after: each reset task runs once, the kept one never', async () => {
      await putYaml(deps, 'rerun-crash', DIAMOND);
      let crashes = 0;
      for (let crashAfter = 0; ; crashAfter++) {
        const process = await failedDiamond('rerun-crash');
        const outcome = (await rerunDying(process.id, crashAfter)) ? 'done' : 'crashed';
        const completions = await runToEnd(engine, process.id);
        const view = await getProcess(deps, process.id);
        if (view.status === 'FAILED') {
          // Died before the reopening took effect: nothing happened; the operator reruns again.
          expect(outcome).toBe('crashed');
          expect(view.runs).toBe(1);
          await rerunProcess(deps, process.id, {});
          Object.entries(Object.fromEntries(await runToEnd(engine, process.id))).forEach(([t, n]) => completions.set(t, n));
        }
        expect((await getProcess(deps, process.id)).status, `crash after ${crashAfter} calls`).toBe('COMPLETED');
        expect(Object.fromEntries(completions), `crash after ${crashAfter} calls`).toEqual({ C: 1, D: 1 });
        if (outcome === 'done') break;
        crashes += 1;
      }
      expect(crashes).toBeGreaterThan(3);
      // One whole process run per call boundary: generous on a loaded machine (it took 25 s alone on DynamoDB Local).
    }, 300_000);
  });

  describe('a rerun whose caller dies, then a pause and a resume', () => {
    it('is finished by the resume, whichever call it died after', async () => {
      await putYaml(deps, 'rerun-crash-pause', DIAMOND);
      let reopenedThenDied = 0;
      for (let crashAfter = 0; ; crashAfter++) {
        const process = await failedDiamond('rerun-crash-pause');
        const done = await rerunDying(process.id, crashAfter);
        if ((await getProcess(deps, process.id)).status === 'FAILED') continue;
        if (!done) reopenedThenDied += 1;
        // Before any sweep: the operator pauses, then resumes.
        await pauseProcess(deps, process.id);
        await resumeProcess(deps, process.id);
        const completions = await runToEnd(engine, process.id);
        expect((await getProcess(deps, process.id)).status, `crash after ${crashAfter} calls`).toBe('COMPLETED');
        expect(Object.fromEntries(completions), `crash after ${crashAfter} calls`).toEqual({ C: 1, D: 1 });
        if (done) break;
      }
      expect(reopenedThenDied).toBeGreaterThan(2);
    }, 300_000);
  });

  describe('rerun of many processes', () => {
    const DAY = '2027-03-01';

    it('finds 250 failed processes through the index, by failed task and start window, across pages; dryRun changes nothing', async () => {
      await putYaml(deps, 'rerun-bulk', CHAIN);
      const startAt = async (iso: string, failAt: 'Fetch' | 'Score'): Promise<string> => {
        engine.clock.t = Date.parse(iso);
        return startFailed(failAt);
      };
      const startFailed = async (failAt: 'Fetch' | 'Score'): Promise<string> => {
        const { process } = await startProcess(deps, { definition: 'rerun-bulk' });
        if (failAt === 'Score') await completeTask(deps, process.id, 'Fetch', { output: 1 });
        await failTask(deps, process.id, failAt, { error: { message: `${failAt} broke`, retryable: false } });
        return process.id;
      };
      const early = await startAt(`${DAY}T07:00:00.000Z`, 'Fetch');
      const inWindow: string[] = [];
      // Ten at a time, each ten a second apart.
      for (let i = 0; i < 25; i++) {
        engine.clock.t = Date.parse(`${DAY}T08:00:00.000Z`) + i * 1000;
        inWindow.push(...(await Promise.all(Array.from({ length: 10 }, () => startFailed('Fetch')))));
      }
      const otherTask = await startAt(`${DAY}T08:30:00.000Z`, 'Score');
      const late = await startAt(`${DAY}T10:00:00.000Z`, 'Fetch');
      await engine.drain();
      const query = { definition: 'rerun-bulk', failedTask: 'Fetch', startedAfter: `${DAY}T08:00:00Z`, startedBefore: `${DAY}T09:00:00Z`, limit: 100 };

      const dry = await pages((nextToken) => rerunProcesses(deps, { ...query, dryRun: true, ...(nextToken ? { nextToken } : {}) }));
      expect(dry.calls).toBeGreaterThanOrEqual(3);
      expect(dry.matched).toBe(250);
      expect(new Set(dry.rerun)).toEqual(new Set(inWindow));
      expect(dry.skipped).toEqual([]);
      const failedNow = (await deps.processes.findByStatus({ status: 'FAILED', definition: 'rerun-bulk', limit: 1000 })).items.length;
      expect(failedNow).toBe(253);
      expect(await engine.drain()).toEqual([]);

      const real = await pages((nextToken) => rerunProcesses(deps, { ...query, ...(nextToken ? { nextToken } : {}) }));
      expect(real.matched).toBe(250);
      expect(new Set(real.rerun)).toEqual(new Set(inWindow));
      for (const id of [inWindow[0]!, inWindow[249]!]) expect(await getProcess(deps, id)).toMatchObject({ status: 'RUNNING', runs: 2 });
      for (const id of [early, otherTask, late]) expect(await getProcess(deps, id)).toMatchObject({ status: 'FAILED', runs: 1 });
      expect(new Set((await engine.drain()).map((m) => m.body.processId))).toEqual(new Set(inWindow));
    }, 300_000);

    it('lists a process it cannot rerun in skipped, with the reason, and goes on', async () => {
      await putYaml(deps, 'rerun-bulk-skip', 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { process } = await startProcess(deps, { definition: 'rerun-bulk-skip' });
        await completeTask(deps, process.id, 'A', { output: i });
        await failTask(deps, process.id, 'B', { error: { message: 'no', retryable: false } });
        ids.push(process.id);
      }
      const v2 = await putYaml(deps, 'rerun-bulk-skip', 'tasks:\n  - name: Z\n  - name: A\n    needs: [Z]\n  - name: B\n    needs: [A]\n');
      const page = await rerunProcesses(deps, { definition: 'rerun-bulk-skip', version: v2 });
      expect(page.matched).toBe(3);
      expect(page.rerun).toEqual([]);
      expect(page.skipped.map((s) => s.id).sort()).toEqual([...ids].sort());
      expect(page.skipped[0]?.reason).toMatch(/^IncompatibleVersion: /);
      expect(await codeOf(rerunProcesses(deps, { definition: 'no-such-definition' }))).toBe('DefinitionNotFound');
    });
  });
}

/** Calls a paged operation until it has no nextToken; answers everything it matched and rerun. */
async function pages(call: (nextToken?: string) => Promise<{ matched: number; rerun: readonly string[]; skipped: readonly unknown[]; nextToken?: string }>) {
  const all = { calls: 0, matched: 0, rerun: [] as string[], skipped: [] as unknown[] };
  let nextToken: string | undefined;
  do {
    const page = await call(nextToken);
    all.calls += 1;
    all.matched += page.matched;
    all.rerun.push(...page.rerun);
    all.skipped.push(...page.skipped);
    nextToken = page.nextToken;
    if (all.calls > 50) throw new Error('bulk rerun did not finish within 50 calls');
  } while (nextToken !== undefined);
  return all;
}
