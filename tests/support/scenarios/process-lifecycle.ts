import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { getProcess, listActiveTasks, listProcesses } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { codeOf, putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';

/** The lifecycle of a process through the use cases: start, claim, heartbeat, complete, fail, cancel, views and listings. */
const LOAN = `
description: loan application
tasks:
  - name: Open Loan Application
  - name: Review Credit
    needs: [Open Loan Application]
    timeoutSeconds: 60
  - name: Check Identity
    needs: [Open Loan Application]
  - name: Decide
    needs: [Review Credit, Check Identity]
`;

export function processLifecycleScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'loan', LOAN);
  });

  describe('a process of the loan definition', () => {
    it('runs a diamond to COMPLETED, passing the process input and upstream outputs to each claim', async () => {
      const { process } = await startProcess(deps, { definition: 'loan', input: { applicant: 'ada' } });
      const [root] = await engine.drain();
      expect(root?.body).toEqual({ processId: process.id, task: 'Open Loan Application', attempt: 1, definition: 'loan', version: 1 });

      // The root is a manual task: completed without a claim.
      await completeTask(deps, process.id, 'Open Loan Application', { output: { amount: 1_000_000 } });
      const children = (await engine.drain()).map((m) => m.body.task).sort();
      expect(children).toEqual(['Check Identity', 'Review Credit']);

      const review = await claimTask(deps, process.id, 'Review Credit', 'w1');
      expect(review.input).toEqual({ process: { applicant: 'ada' }, upstream: { 'Open Loan Application': { amount: 1_000_000 } } });
      expect(review.attempt).toBe(1);
      expect(Date.parse(review.leaseExpiresAt)).toBe(engine.clock.now() + 60_000);
      await completeTask(deps, process.id, 'Review Credit', { leaseToken: review.leaseToken, output: 'good' });
      expect(await engine.drain()).toEqual([]); // the join still waits for Check Identity

      const identity = await claimTask(deps, process.id, 'Check Identity', 'w2');
      await completeTask(deps, process.id, 'Check Identity', { leaseToken: identity.leaseToken, output: 'ok' });
      const [decide] = await engine.drain();
      expect(decide?.body.task).toBe('Decide');
      const claim = await claimTask(deps, process.id, 'Decide', 'w1');
      expect(claim.input.upstream).toEqual({ 'Review Credit': 'good', 'Check Identity': 'ok' });
      await completeTask(deps, process.id, 'Decide', { leaseToken: claim.leaseToken, output: { approved: true } });

      const view = await getProcess(deps, process.id);
      expect(view.status).toBe('COMPLETED');
      expect(view.endedAt).toBeDefined();
      expect(view.progress).toEqual({ total: 4, completed: 4, failed: 0, skipped: 0, cancelled: 0, percent: 100 });
      expect(view.tasks.map((t) => [t.name, t.status])).toEqual([
        ['Open Loan Application', 'COMPLETED'],
        ['Review Credit', 'COMPLETED'],
        ['Check Identity', 'COMPLETED'],
        ['Decide', 'COMPLETED'],
      ]);
      expect(view.tasks.find((t) => t.name === 'Decide')?.output).toEqual({ approved: true });
    });

    it('reports progress and active tasks while running', async () => {
      const { process } = await startProcess(deps, { definition: 'loan' });
      await engine.drain();
      await completeTask(deps, process.id, 'Open Loan Application', {});
      await engine.drain();
      const claim = await claimTask(deps, process.id, 'Review Credit', 'w1');
      void claim;
      const view = await getProcess(deps, process.id);
      expect(view.progress).toEqual({ total: 4, completed: 1, failed: 0, skipped: 0, cancelled: 0, percent: 25 });
      // Active tasks come a page at a time in the store's order: task names.
      const active = await listActiveTasks(deps, process.id);
      expect(active.items.map((t) => [t.name, t.status, t.workerId])).toEqual([
        ['Check Identity', 'SCHEDULED', undefined],
        ['Review Credit', 'RUNNING', 'w1'],
      ]);
      expect(active.nextToken).toBeUndefined();
      expect(view.tasks.find((t) => t.name === 'Decide')).toMatchObject({ status: 'PENDING', attempt: 0 });
    });

    it('gives the same worker its live lease back and refuses another worker', async () => {
      const { process } = await startProcess(deps, { definition: 'loan' });
      await engine.drain();
      const first = await claimTask(deps, process.id, 'Open Loan Application', 'w1');
      const again = await claimTask(deps, process.id, 'Open Loan Application', 'w1');
      expect(again.leaseToken).toBe(first.leaseToken);
      expect(await codeOf(claimTask(deps, process.id, 'Open Loan Application', 'w2'))).toBe('TaskAlreadyClaimed');
      expect(await codeOf(claimTask(deps, process.id, 'Decide', 'w1'))).toBe('TaskNotActive');
      expect(await codeOf(claimTask(deps, process.id, 'No Such Task', 'w1'))).toBe('TaskNotFound');
      expect(await codeOf(claimTask(deps, 'no-such-process', 'Decide', 'w1'))).toBe('ProcessNotFound');
    });

    it('fences complete and heartbeat by the lease token and changes nothing on a mismatch', async () => {
      const { process } = await startProcess(deps, { definition: 'loan' });
      await engine.drain();
      const claim = await claimTask(deps, process.id, 'Open Loan Application', 'w1');
      expect(await codeOf(completeTask(deps, process.id, 'Open Loan Application', { leaseToken: 'forged', output: 1 }))).toBe('LeaseMismatch');
      expect(await codeOf(completeTask(deps, process.id, 'Open Loan Application', { output: 1 }))).toBe('LeaseMismatch');
      expect(await codeOf(heartbeatTask(deps, process.id, 'Open Loan Application', 'forged'))).toBe('LeaseMismatch');
      expect((await getProcess(deps, process.id)).tasks[0]).toMatchObject({ status: 'RUNNING', workerId: 'w1' });

      engine.clock.advance(10_000);
      const beat = await heartbeatTask(deps, process.id, 'Open Loan Application', claim.leaseToken);
      expect(Date.parse(beat.leaseExpiresAt)).toBe(engine.clock.now() + 300_000);

      await completeTask(deps, process.id, 'Open Loan Application', { leaseToken: claim.leaseToken, output: 1 });
      // A retried completion with the same token is answered as a success, and changes nothing.
      await completeTask(deps, process.id, 'Open Loan Application', { leaseToken: claim.leaseToken, output: 2 });
      expect((await getProcess(deps, process.id)).tasks[0]).toMatchObject({ status: 'COMPLETED', output: 1 });
      expect(await codeOf(completeTask(deps, process.id, 'Open Loan Application', { output: 3 }))).toBe('TaskNotActive');
    });

    it('fails the process when a task fails: the rest is cancelled and claims get 409', async () => {
      const { process } = await startProcess(deps, { definition: 'loan' });
      await engine.drain();
      await completeTask(deps, process.id, 'Open Loan Application', {});
      await engine.drain();
      const review = await claimTask(deps, process.id, 'Review Credit', 'w1');
      await failTask(deps, process.id, 'Review Credit', { leaseToken: review.leaseToken, error: { message: 'bureau down', code: 'E_BUREAU', retryable: false } });

      const view = await getProcess(deps, process.id);
      expect(view.status).toBe('FAILED');
      expect(view.tasks.map((t) => [t.name, t.status])).toEqual([
        ['Open Loan Application', 'COMPLETED'],
        ['Review Credit', 'FAILED'],
        ['Check Identity', 'CANCELLED'],
        ['Decide', 'CANCELLED'],
      ]);
      expect(view.tasks[1]?.error).toEqual({ message: 'bureau down', code: 'E_BUREAU' });
      expect(await codeOf(claimTask(deps, process.id, 'Check Identity', 'w2'))).toBe('ProcessNotRunning');
      expect(await engine.drain()).toEqual([]);
    });

    it('cancels a running process; a second cancel is a no-op; a completed process cannot be cancelled', async () => {
      const { process } = await startProcess(deps, { definition: 'loan' });
      await engine.drain();
      const claim = await claimTask(deps, process.id, 'Open Loan Application', 'w1');
      await cancelProcess(deps, process.id);
      await cancelProcess(deps, process.id);
      const view = await getProcess(deps, process.id);
      expect(view.status).toBe('CANCELLED');
      expect(view.tasks.every((t) => t.status === 'CANCELLED')).toBe(true);
      expect(await codeOf(completeTask(deps, process.id, 'Open Loan Application', { leaseToken: claim.leaseToken }))).toBe('ProcessNotRunning');

      const { process: done } = await startProcess(deps, { definition: 'loan' });
      await runToEnd(engine, done.id);
      expect(await codeOf(cancelProcess(deps, done.id))).toBe('ProcessNotRunning');
    });

    it('returns the same process for a repeated idempotency key', async () => {
      const a = await startProcess(deps, { definition: 'loan', input: { n: 1 }, idempotencyKey: 'order-42' });
      const b = await startProcess(deps, { definition: 'loan', input: { n: 1 }, idempotencyKey: 'order-42' });
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.process).toEqual(a.process);
      const roots = (await engine.drain()).filter((m) => m.body.processId === a.process.id);
      expect(roots).toHaveLength(1);
    });

    it('refuses a reused idempotency key for another request with IdempotencyKeyReused, and takes the same input in any key order', async () => {
      const first = await startProcess(deps, { definition: 'loan', input: { n: 1, who: 'Ada' }, idempotencyKey: 'order-43' });
      const reordered = await startProcess(deps, { definition: 'loan', input: { who: 'Ada', n: 1 }, idempotencyKey: 'order-43' });
      expect(reordered).toEqual({ created: false, process: first.process });
      expect(await codeOf(startProcess(deps, { definition: 'loan', input: { n: 2, who: 'Ada' }, idempotencyKey: 'order-43' }))).toBe('IdempotencyKeyReused');
      expect(await codeOf(startProcess(deps, { definition: 'loan', idempotencyKey: 'order-43' }))).toBe('IdempotencyKeyReused');
      expect(await codeOf(startProcess(deps, { definition: 'loan', version: 1, input: { n: 1, who: 'Ada' }, idempotencyKey: 'order-43' }))).toBe('IdempotencyKeyReused');
      await putYaml(deps, 'loan-other', 'tasks:\n  - name: A\n');
      expect(await codeOf(startProcess(deps, { definition: 'loan-other', input: { n: 1, who: 'Ada' }, idempotencyKey: 'order-43' }))).toBe('IdempotencyKeyReused');
      // Nothing was started by the refused calls: the key still names the first process, unchanged.
      expect(await getProcess(deps, first.process.id)).toMatchObject({ id: first.process.id, definition: 'loan', input: { n: 1, who: 'Ada' } });
      expect((await listProcesses(deps, { limit: 100, definition: 'loan-other' })).items).toEqual([]);
    });

    it('keeps a process on the version it started with', async () => {
      await putYaml(deps, 'versioned', 'tasks:\n  - name: A\n');
      const { process } = await startProcess(deps, { definition: 'versioned' });
      expect(await putYaml(deps, 'versioned', 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n')).toBe(2);
      await engine.drain();
      const view = await getProcess(deps, process.id);
      expect(view.version).toBe(1);
      expect(view.tasks.map((t) => t.name)).toEqual(['A']);
      await runToEnd(engine, process.id);
      expect((await getProcess(deps, process.id)).status).toBe('COMPLETED');
    });

    it('lists processes by status and by definition through the indexes, newest first, with pagination', async () => {
      await putYaml(deps, 'listed', 'tasks:\n  - name: A\n');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        engine.clock.advance(1000);
        ids.push((await startProcess(deps, { definition: 'listed' })).process.id);
      }
      await cancelProcess(deps, ids[0]!);
      const byDef = await listProcesses(deps, { definition: 'listed', limit: 2 });
      expect(byDef.items.map((p) => p.id)).toEqual([ids[2], ids[1]]);
      expect(byDef.nextToken).toBeDefined();
      const rest = await listProcesses(deps, { definition: 'listed', limit: 2, nextToken: byDef.nextToken });
      expect(rest.items.map((p) => p.id)).toEqual([ids[0]]);
      const cancelled = await listProcesses(deps, { status: 'CANCELLED', limit: 50 });
      expect(cancelled.items.map((p) => p.id)).toContain(ids[0]);
      expect(cancelled.items.every((p) => p.status === 'CANCELLED')).toBe(true);
      const both = await listProcesses(deps, { definition: 'listed', status: 'RUNNING', limit: 50 });
      expect(both.items.map((p) => p.id).sort()).toEqual([ids[1], ids[2]].sort());
    });
  });
}
