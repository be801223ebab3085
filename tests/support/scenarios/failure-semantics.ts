import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { getProcessHistory } from '#app/process-history.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { codeOf, putYaml, type Deps, type Engine } from '../engines.ts';

/**
 * Failure semantics (issue 7), main paths, through the use cases on either
 * engine: the in-memory one (unit) and DynamoDB Local with the SQS emulator
 * (integration). The clock is virtual on both; only SQS send delays are real
 * time, so the emulator is only asked that a delayed retry is not receivable
 * at once.
 */
export function failureScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;
  const wide = Array.from({ length: 40 }, (_, i) => `W${i + 1}`);

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'fs-retry', 'defaults:\n  retry: { intervalSeconds: 0 }\ntasks:\n  - name: A\n');
    await putYaml(deps, 'fs-delay', 'tasks:\n  - name: A\n    retry: { intervalSeconds: 300, jitter: none }\n');
    await putYaml(deps, 'fs-lease', 'tasks:\n  - name: A\n    timeoutSeconds: 30\n    retry: { maxAttempts: 2, intervalSeconds: 0 }\n');
    await putYaml(
      deps,
      'fs-skip',
      'onFailure: skipDownstream\ntasks:\n  - name: A\n    retry: { maxAttempts: 1 }\n  - name: B\n    needs: [A]\n  - name: X\n  - name: Y\n    needs: [X]\n',
    );
    // Issue 15's DAG: A→B→C→F, A→D→E, G needs [C, E].
    const branches = (failing: string[]) =>
      'onFailure: skipDownstream\ntasks:\n' +
      [['A'], ['B', 'A'], ['C', 'B'], ['F', 'C'], ['D', 'A'], ['E', 'D'], ['G', 'C', 'E']]
        .map(([name, ...needs]) => `  - name: ${name}\n${needs.length > 0 ? `    needs: [${needs.join(', ')}]\n` : ''}${failing.includes(name!) ? '    retry: { maxAttempts: 1 }\n' : ''}`)
        .join('');
    await putYaml(deps, 'fs-branches', branches(['B']));
    await putYaml(deps, 'fs-branches-twice', branches(['B', 'E']));
    // A cut-off branch wider than one walk's budget: W1..W40 feed G, which also needs A (the one that fails).
    await putYaml(
      deps,
      'fs-wide-cut',
      `onFailure: skipDownstream\ntasks:\n  - name: A\n    retry: { maxAttempts: 1 }\n${wide.map((w) => `  - name: ${w}\n`).join('')}  - name: G\n    needs: [A, ${wide.join(', ')}]\n`,
    );
    await putYaml(deps, 'fs-optional', 'tasks:\n  - name: A\n    optional: true\n    retry: { maxAttempts: 1 }\n  - name: B\n    needs: [A]\n');
    await putYaml(deps, 'fs-timeout', 'timeoutSeconds: 60\ntasks:\n  - name: A\n    timeoutSeconds: 600\n  - name: B\n    needs: [A]\n');
  });

  const start = async (definition: string) => (await startProcess(deps, { definition })).process.id;
  const mine = async (id: string) => (await engine.drain()).filter((m) => m.body.processId === id).map((m) => m.body);
  const events = async (id: string) => (await getProcessHistory(deps, id, { limit: 1000 })).items.map((e) => `${e.type}${e.task ? `:${e.task}` : ''}${e.attempt ? `#${e.attempt}` : ''}`);

  describe('failure semantics', () => {
    it('fails twice, then succeeds on attempt 3; each retry is a new message; the history shows 3 attempts', async () => {
      const id = await start('fs-retry');
      for (let attempt = 1; attempt <= 3; attempt++) {
        expect((await mine(id)).map((m) => m.attempt)).toEqual([attempt]);
        const claim = await claimTask(deps, id, 'A', `w${attempt}`);
        expect(claim.attempt).toBe(attempt);
        if (attempt < 3) expect(await failTask(deps, id, 'A', { leaseToken: claim.leaseToken, error: { message: `boom ${attempt}` } })).toMatchObject({ status: 'SCHEDULED' });
        else await completeTask(deps, id, 'A', { leaseToken: claim.leaseToken, output: 'ok' });
      }
      const view = await getProcess(deps, id);
      expect(view).toMatchObject({ status: 'COMPLETED', tasks: [{ status: 'COMPLETED', attempt: 3, maxAttempts: 3, workerId: 'w3', lastError: { message: 'boom 2' } }] });
      expect(await events(id)).toEqual([
        'ProcessStarted',
        'TaskScheduled:A#1',
        'TaskClaimed:A#1',
        'TaskFailed:A#1',
        'TaskScheduled:A#2',
        'TaskClaimed:A#2',
        'TaskFailed:A#2',
        'TaskScheduled:A#3',
        'TaskClaimed:A#3',
        'TaskCompleted:A#3',
        'ProcessCompleted',
      ]);
    });

    it('sends a retry with a delay: not receivable, nor claimable, before nextAttemptAt', async () => {
      const id = await start('fs-delay');
      await mine(id);
      const claim = await claimTask(deps, id, 'A', 'w1');
      await failTask(deps, id, 'A', { leaseToken: claim.leaseToken, error: { message: 'later' } });
      expect(await mine(id)).toEqual([]);
      expect(await codeOf(claimTask(deps, id, 'A', 'w2'))).toBe('TaskNotActive');
      engine.clock.advance(300_000);
      // Past nextAttemptAt the claim is allowed (on the emulator, the delayed message itself arrives in real time).
      expect((await claimTask(deps, id, 'A', 'w2')).attempt).toBe(2);
    });

    it('counts lease expiries as attempts, kills the lease at once, and fails with LeaseExpired after maxAttempts', async () => {
      const id = await start('fs-lease');
      const first = await claimTask(deps, id, 'A', 'w1');
      engine.clock.advance(30_000);
      // Dead before any sweep.
      expect(await codeOf(heartbeatTask(deps, id, 'A', first.leaseToken))).toBe('LeaseMismatch');
      expect(await codeOf(completeTask(deps, id, 'A', { leaseToken: first.leaseToken, output: 'late' }))).toBe('LeaseMismatch');
      await sweep(deps);
      expect((await getProcess(deps, id)).tasks[0]).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'LeaseExpired' } });
      await claimTask(deps, id, 'A', 'w2');
      engine.clock.advance(30_000);
      await sweep(deps);
      expect(await getProcess(deps, id)).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed', task: 'A' }, tasks: [{ status: 'FAILED', error: { code: 'LeaseExpired' } }] });
      const history = await events(id);
      expect(history.filter((e) => e.startsWith('TaskLeaseExpired'))).toEqual(['TaskLeaseExpired:A#1', 'TaskLeaseExpired:A#2']);
      expect(history).toContain('StaleResultRejected:A#1');
    });

    it('skipDownstream: skips the failed branch, completes the other, ends FAILED', async () => {
      const id = await start('fs-skip');
      const a = await claimTask(deps, id, 'A', 'w');
      await failTask(deps, id, 'A', { leaseToken: a.leaseToken, error: { message: 'A broke' } });
      for (const task of ['X', 'Y']) {
        const c = await claimTask(deps, id, task, 'w');
        await completeTask(deps, id, task, { leaseToken: c.leaseToken, output: task });
      }
      const view = await getProcess(deps, id);
      expect(view).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed', task: 'A' } });
      expect(view.tasks.map((t) => [t.name, t.status, t.skippedBecause])).toEqual([
        ['A', 'FAILED', undefined],
        ['B', 'SKIPPED', 'A'],
        ['X', 'COMPLETED', undefined],
        ['Y', 'COMPLETED', undefined],
      ]);
    });

    const run = async (id: string, task: string, outcome: 'complete' | 'fail') => {
      const c = await claimTask(deps, id, task, 'w');
      if (outcome === 'complete') await completeTask(deps, id, task, { leaseToken: c.leaseToken, output: task });
      else await failTask(deps, id, task, { leaseToken: c.leaseToken, error: { message: `${task} broke` } });
    };
    const statuses = async (id: string) => Object.fromEntries((await getProcess(deps, id)).tasks.map((t) => [t.name, t.status]));

    it('skipDownstream lets every other branch run to its end: B fails, C, F and G are SKIPPED, D and E complete, then the process FAILS', async () => {
      const id = await start('fs-branches');
      await run(id, 'A', 'complete');
      // D is running on the other branch when B fails.
      const d = await claimTask(deps, id, 'D', 'w');
      await run(id, 'B', 'fail');
      expect(await getProcess(deps, id)).toMatchObject({ status: 'RUNNING' });
      expect(await statuses(id)).toMatchObject({ B: 'FAILED', C: 'SKIPPED', F: 'SKIPPED', G: 'SKIPPED', D: 'RUNNING' });
      await completeTask(deps, id, 'D', { leaseToken: d.leaseToken, output: 'D' });
      expect((await getProcess(deps, id)).status).toBe('RUNNING');
      engine.clock.advance(1000);
      await run(id, 'E', 'complete');
      const view = await getProcess(deps, id);
      expect(view).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed', task: 'B', message: "task 'B' failed: B broke" } });
      expect(await statuses(id)).toEqual({ A: 'COMPLETED', B: 'FAILED', C: 'SKIPPED', F: 'SKIPPED', D: 'COMPLETED', E: 'COMPLETED', G: 'SKIPPED' });
      expect(view.tasks.find((t) => t.name === 'E')?.output).toBe('E');
      // The end came after the last task that could run, and nothing was cancelled.
      expect((await events(id)).slice(-2)).toEqual(['TaskCompleted:E#1', 'ProcessFailed']);
      await sweep(deps);
      expect((await getProcess(deps, id)).status).toBe('FAILED');
    });

    it('skipDownstream: when the other branch fails later too, the process FAILS once it has (nothing is cut off)', async () => {
      const id = await start('fs-branches-twice');
      await run(id, 'A', 'complete');
      await run(id, 'B', 'fail');
      await run(id, 'D', 'complete');
      expect((await getProcess(deps, id)).status).toBe('RUNNING');
      engine.clock.advance(1000);
      await run(id, 'E', 'fail');
      const view = await getProcess(deps, id);
      expect(view).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed' } });
      expect(['B', 'E']).toContain(view.error?.task);
      expect(await statuses(id)).toEqual({ A: 'COMPLETED', B: 'FAILED', C: 'SKIPPED', F: 'SKIPPED', D: 'COMPLETED', E: 'FAILED', G: 'SKIPPED' });
      expect((await events(id)).slice(-2)).toEqual(['TaskFailed:E#1', 'ProcessFailed']);
    });

    it('skipDownstream: the end walk is budgeted; cut short, the sweeper goes on from where it stopped until the process ends', async () => {
      const id = await start('fs-wide-cut');
      await run(id, 'A', 'fail');
      for (const w of wide.slice(0, -1)) await run(id, w, 'complete');
      expect((await getProcess(deps, id)).status).toBe('RUNNING');
      // Every store call takes 1 ms of the virtual clock and a call's budget is 3 ms: no call walks all 42 tasks.
      const slow = engine.invocation({ settings: { followUpBudgetMs: 3, sweepFollowUpBudgetMs: 3 }, hooks: { after: () => engine.clock.advance(1) } });
      const last = await claimTask(slow, id, 'W40', 'w');
      await completeTask(slow, id, 'W40', { leaseToken: last.leaseToken, output: 'last' });
      const resumePoints: number[] = [];
      for (let round = 0; round < 200 && (await getProcess(deps, id)).status === 'RUNNING'; round++) {
        const owed = (await engine.itemsOf(id)).find((i) => i.sk === 'TASK#W40');
        if (typeof owed?.resumeFrom === 'number') resumePoints.push(owed.resumeFrom);
        await sweep(slow);
      }
      const view = await getProcess(deps, id);
      expect(view).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed', task: 'A' } });
      expect(view.tasks.filter((t) => t.status === 'COMPLETED')).toHaveLength(40);
      // It was cut short more than once, and each pass went on from a later point (no pass starts the walk over).
      expect(resumePoints.length).toBeGreaterThan(1);
      expect([...new Set(resumePoints)]).toEqual([...new Set(resumePoints)].sort((a, b) => a - b));
    });

    it('an optional task that fails: its child gets failedUpstream, and the process completes', async () => {
      const id = await start('fs-optional');
      const a = await claimTask(deps, id, 'A', 'w');
      await failTask(deps, id, 'A', { leaseToken: a.leaseToken, error: { message: 'optional broke', code: 'Nope' } });
      const b = await claimTask(deps, id, 'B', 'w');
      expect(b.input).toEqual({ process: null, upstream: {}, failedUpstream: { A: { message: 'optional broke', code: 'Nope' } } });
      await completeTask(deps, id, 'B', { leaseToken: b.leaseToken, output: 'fine' });
      expect((await getProcess(deps, id)).status).toBe('COMPLETED');
    });

    it('times the process out: FAILED with ProcessTimedOut, tasks cancelled, old tokens refused', async () => {
      const id = await start('fs-timeout');
      const a = await claimTask(deps, id, 'A', 'w');
      engine.clock.advance(60_000);
      await sweep(deps);
      const view = await getProcess(deps, id);
      expect(view).toMatchObject({ status: 'FAILED', error: { code: 'ProcessTimedOut' } });
      expect(view.tasks.map((t) => t.status)).toEqual(['CANCELLED', 'CANCELLED']);
      expect(await codeOf(completeTask(deps, id, 'A', { leaseToken: a.leaseToken, output: 1 }))).toBe('ProcessNotRunning');
    });
  });
}
