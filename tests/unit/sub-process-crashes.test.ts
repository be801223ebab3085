import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { startProcess, processIdOfKey } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { childProcessKey } from '#domain/sub-process-spec.ts';
import { InjectedCrash, memoryEngine, putYaml, type Engine } from '../support/engines.ts';

/**
 * The start of a child process, crashed at every call boundary: the call that
 * makes a process task ready (here, the parent's start, whose root it is) dies
 * after its k-th store call or send, for every k up to the calls it makes
 * when nothing fails; the client retries the start with its idempotency key
 * (which finds the process, and leaves the rest to the sweeper). Then
 * workers and the sweeper carry on. Exactly one child
 * per task attempt: the child's id is the one derived from the task, it runs
 * once (run 1, each of its tasks completed once), and the parent completes
 * with the child's output.
 */
const CHILD = `
tasks:
  - name: a
  - name: b
    needs: [a]
`;
const PARENT = `
tasks:
  - name: kyc
    process:
      definition: child
  - name: after
    needs: [kyc]
`;

/** Runs every message of every process, and the sweeper, until the process has ended and owes nothing. */
async function runAll(engine: Engine, processId: string): Promise<Map<string, number>> {
  const completions = new Map<string, number>();
  for (let round = 0; round < 100; round++) {
    const process = await engine.deps.processes.get({ id: processId });
    if (process && process.status !== 'RUNNING' && process.sweepAt === undefined) return completions;
    const messages = await engine.drain();
    if (messages.length === 0) {
      engine.clock.advance(60 * 60_000);
      await sweep(engine.deps);
      continue;
    }
    for (const m of messages) {
      const claim = await claimTask(engine.deps, m.body.processId, m.body.task, 'w').catch(() => undefined);
      if (!claim) continue;
      await completeTask(engine.deps, m.body.processId, m.body.task, { leaseToken: claim.leaseToken, output: { by: m.body.task } });
      const key = `${m.body.processId}/${m.body.task}`;
      completions.set(key, (completions.get(key) ?? 0) + 1);
    }
  }
  throw new Error(`process ${processId} did not end`);
}

describe('the start of a child process, crashed at every call boundary', () => {
  let engine: Engine;
  let calls = 0;

  beforeAll(async () => {
    engine = await memoryEngine();
    await putYaml(engine.deps, 'child', CHILD);
    await putYaml(engine.deps, 'parent', PARENT);
    const counting = engine.countingDeps();
    await startProcess(counting.deps, { definition: 'parent', input: { n: 0 }, idempotencyKey: 'count' });
    calls = counting.calls();
  });

  it('makes several calls to start a child, so every boundary below is a real one', () => {
    // The parent's start (input, process, root), the child's start, its roots, the task's move to RUNNING.
    expect(calls).toBeGreaterThan(6);
  });

  it('starts exactly one child per task attempt, and the parent completes, whichever call dies', async () => {
    for (let k = 1; k <= calls; k++) {
      const key = `crash-${k}`;
      const crashed = startProcess(engine.crashingDeps(k), { definition: 'parent', input: { n: k }, idempotencyKey: key });
      await expect(crashed, `a crash after call ${k}`).rejects.toBeInstanceOf(InjectedCrash);
      // The client retries a start whose answer it never got, with the same idempotency key.
      await startProcess(engine.deps, { definition: 'parent', input: { n: k }, idempotencyKey: key });
      const parentId = processIdOfKey(key);
      const completions = await runAll(engine, parentId);
      const parent = await engine.deps.processes.get({ id: parentId });
      expect(parent?.status, `crash after call ${k}`).toBe('COMPLETED');
      const task = await engine.deps.tasks.get({ processId: parentId, task: 'kyc' });
      const childId = processIdOfKey(childProcessKey(parentId, 'kyc'));
      expect(task?.childProcessId, `crash after call ${k}`).toBe(childId);
      expect(task?.attempt).toBe(1);
      expect(task?.output).toEqual({ b: { by: 'b' } });
      const child = await engine.deps.processes.get({ id: childId });
      expect(child?.status).toBe('COMPLETED');
      expect(child?.run, `crash after call ${k}: the child ran once`).toBe(1);
      expect(child?.parentProcessId).toBe(parentId);
      expect(completions.get(`${childId}/a`) ?? 0).toBeLessThanOrEqual(1);
      expect(completions.get(`${childId}/b`)).toBe(1);
      expect(completions.get(`${parentId}/after`)).toBe(1);
    }
  });
});

describe("a child's end, crashed at every call boundary", () => {
  it("ends the parent's task exactly once, and the parent completes, whichever call of the child's last completion dies", async () => {
    const engine = await memoryEngine();
    await putYaml(engine.deps, 'child', CHILD);
    await putYaml(engine.deps, 'parent', PARENT);
    /** A parent whose child has run up to its last task, claimed: the completion of `b` ends the child. */
    const upToLast = async (key: string) => {
      await startProcess(engine.deps, { definition: 'parent', input: {}, idempotencyKey: key });
      const parentId = processIdOfKey(key);
      const childId = processIdOfKey(childProcessKey(parentId, 'kyc'));
      for (const task of ['a', 'b']) {
        await engine.drain();
        const claim = await claimTask(engine.deps, childId, task, 'w');
        if (task === 'b') return { parentId, childId, leaseToken: claim.leaseToken };
        await completeTask(engine.deps, childId, task, { leaseToken: claim.leaseToken, output: { by: task } });
      }
      throw new Error('unreachable');
    };
    const counted = await upToLast('count');
    const counting = engine.countingDeps();
    await completeTask(counting.deps, counted.childId, 'b', { leaseToken: counted.leaseToken, output: { by: 'b' } });
    const calls = counting.calls();
    expect(calls).toBeGreaterThan(4);
    for (let k = 1; k <= calls; k++) {
      const { parentId, childId, leaseToken } = await upToLast(`end-${k}`);
      const crashed = completeTask(engine.crashingDeps(k), childId, 'b', { leaseToken, output: { by: 'b' } });
      await expect(crashed, `a crash after call ${k}`).rejects.toBeInstanceOf(InjectedCrash);
      // The worker retries its completion with the same lease: answered as a success once written.
      await completeTask(engine.deps, childId, 'b', { leaseToken, output: { by: 'b' } });
      const completions = await runAll(engine, parentId);
      expect((await engine.deps.processes.get({ id: parentId }))?.status, `crash after call ${k}`).toBe('COMPLETED');
      const task = await engine.deps.tasks.get({ processId: parentId, task: 'kyc' });
      expect(task?.output).toEqual({ b: { by: 'b' } });
      expect(task?.attempt).toBe(1);
      expect(completions.get(`${parentId}/after`)).toBe(1);
      // What the child still owes (its cleanup, cut by the crash) is the sweeper's: a redo that changes nothing.
      engine.clock.advance(60 * 60_000);
      await sweep(engine.deps);
      expect((await engine.deps.processes.get({ id: childId }))?.sweepAt, 'the child owes nothing more').toBeUndefined();
      expect((await engine.deps.tasks.get({ processId: parentId, task: 'kyc' }))?.endedAt).toBe(task?.endedAt);
    }
  });
});
