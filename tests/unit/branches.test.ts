import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';
import type { TaskContext } from '../../client/worker.ts';

/**
 * Branches (issue 17) on the in-memory engine: `when` conditions decide once
 * whether a ready task runs; join rules decide what a task with several
 * needs does when some of them were skipped. A skipped task is never sent to
 * a worker; a skipped parent is absent from `upstream` and named in
 * `skippedUpstream`.
 */

async function run(yaml: string, input: unknown, handler: (t: TaskContext) => Promise<unknown> = async (t) => ({ from: t.task })): Promise<{ engine: TestEngine; id: string; seen: TaskContext[] }> {
  const engine = createTestEngine();
  await engine.client.putDefinition('wf', yaml);
  const { id } = (await engine.client.startProcess({ definition: 'wf', input })).process;
  const seen: TaskContext[] = [];
  engine.worker({
    handler: async (t) => {
      seen.push(t);
      return handler(t);
    },
  });
  await engine.runUntilIdle();
  return { engine, id, seen };
}

const statuses = async (engine: TestEngine, id: string) =>
  Object.fromEntries((await engine.client.getProcess(id)).tasks.map((t) => [t.name, t.skipReason ? `${t.status}:${t.skipReason}` : t.status]));

const DIAMOND = `
tasks:
  - name: intake
  - name: approve
    needs: [intake]
    when: "upstream.intake.amount < 1000"
  - name: review
    needs: [intake]
    when: "upstream.intake.amount >= 1000"
  - name: notify
    needs: [approve, review]
`;

describe('approve or review: a diamond whose middle tasks have opposite conditions', () => {
  it.each([
    [500, 'approve', 'review'],
    [5000, 'review', 'approve'],
  ])('amount %i: exactly %s runs, %s is SKIPPED (ConditionFalse), and the join runs with skippedUpstream', async (amount, taken, untaken) => {
    const { engine, id, seen } = await run(DIAMOND, null, async (t) => (t.task === 'intake' ? { amount } : { by: t.task }));
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(seen.map((t) => t.task)).toEqual(['intake', taken, 'notify']);
    expect(await statuses(engine, id)).toEqual({ intake: 'COMPLETED', [taken]: 'COMPLETED', [untaken]: 'SKIPPED:ConditionFalse', notify: 'COMPLETED' });
    const join = seen.find((t) => t.task === 'notify')!;
    expect(join.input.upstream).toEqual({ [taken]: { by: taken } });
    expect(join.input.skippedUpstream).toEqual([untaken]);
    const progress = (await engine.client.getProcess(id)).progress;
    expect(progress).toMatchObject({ total: 4, completed: 3, skipped: 1, percent: 100 });
  });

  it('a condition over the process input decides a root', async () => {
    const yaml = 'tasks:\n  - name: a\n    when: "input.go"\n  - name: b\n';
    const { engine, id, seen } = await run(yaml, { go: false });
    expect(seen.map((t) => t.task)).toEqual(['b']);
    expect(await statuses(engine, id)).toEqual({ a: 'SKIPPED:ConditionFalse', b: 'COMPLETED' });
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });

  it('a skip cascades down a chain (UpstreamSkipped) and the process still COMPLETES', async () => {
    const yaml = 'tasks:\n  - name: a\n    when: "false"\n  - name: b\n    needs: [a]\n  - name: c\n    needs: [b]\n';
    const { engine, id, seen } = await run(yaml, null);
    expect(seen).toEqual([]);
    expect(await statuses(engine, id)).toEqual({ a: 'SKIPPED:ConditionFalse', b: 'SKIPPED:UpstreamSkipped', c: 'SKIPPED:UpstreamSkipped' });
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });
});

/** Two parents, `left` and `right`, each skipped when the input says so, and a join `j` with the given rule. */
const joinOf = (rule: string) => `
tasks:
  - name: left
    when: "!input.skipLeft"
  - name: right
    when: "!input.skipRight"
  - name: j
    needs: [left, right]
    join: ${rule}
`;

describe('join rules', () => {
  it.each([
    // rule, skipLeft, skipRight, the join's status
    ['allSettled', false, false, 'COMPLETED'],
    ['allSettled', true, false, 'COMPLETED'],
    ['allSettled', true, true, 'SKIPPED:UpstreamSkipped'],
    ['allCompleted', false, false, 'COMPLETED'],
    ['allCompleted', true, false, 'SKIPPED:UpstreamSkipped'],
    ['allCompleted', true, true, 'SKIPPED:UpstreamSkipped'],
    ['anyCompleted', false, false, 'COMPLETED'],
    ['anyCompleted', false, true, 'COMPLETED'],
    ['anyCompleted', true, true, 'SKIPPED:UpstreamSkipped'],
  ] as const)('%s, left skipped %s, right skipped %s: the join is %s and the process COMPLETED', async (rule, skipLeft, skipRight, expected) => {
    const { engine, id, seen } = await run(joinOf(rule), { skipLeft, skipRight });
    expect((await statuses(engine, id)).j).toBe(expected);
    expect(seen.filter((t) => t.task === 'j')).toHaveLength(expected === 'COMPLETED' ? 1 : 0);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });

  it('anyCompleted runs on the first completed parent, exactly once, while the other still runs; the process waits for it', async () => {
    const yaml = 'tasks:\n  - name: fast\n  - name: slow\n  - name: j\n    needs: [fast, slow]\n    join: anyCompleted\n';
    const engine = createTestEngine();
    await engine.client.putDefinition('wf', yaml);
    const { id } = (await engine.client.startProcess({ definition: 'wf', input: null })).process;
    const status = async () => Object.fromEntries((await engine.client.getProcess(id)).tasks.map((t) => [t.name, t.status]));
    await engine.client.complete(id, 'fast', { output: { ok: 1 } });
    expect(await status()).toEqual({ fast: 'COMPLETED', slow: 'SCHEDULED', j: 'SCHEDULED' });
    await engine.client.complete(id, 'j', { output: { joined: true } });
    // The sink has ended, but `slow` can still run: the process waits for it.
    expect((await engine.client.getProcess(id)).status).toBe('RUNNING');
    await engine.client.complete(id, 'slow', { output: { ok: 2 } });
    await engine.runUntilIdle();
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('COMPLETED');
    // Counted late, `slow` did not run the join again.
    expect(process.tasks.find((t) => t.name === 'j')).toMatchObject({ status: 'COMPLETED', attempt: 1, output: { joined: true } });
  });
});

describe('a condition that errors', () => {
  const yaml = (policy: string, optional = false) =>
    `onFailure: ${policy}\ntasks:\n  - name: a\n  - name: b\n    needs: [a]\n    when: "upstream.a.missing.deeper > 1"\n${optional ? '    optional: true\n' : ''}  - name: c\n    needs: [b]\n  - name: other\n`;

  it('failFast: the task FAILS with ConditionError naming the expression, and the process FAILS', async () => {
    const { engine, id, seen } = await run(yaml('failFast'), null);
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('FAILED');
    const b = process.tasks.find((t) => t.name === 'b')!;
    expect(b.status).toBe('FAILED');
    expect(b.error?.code).toBe('ConditionError');
    expect(b.error?.message).toContain('upstream.a.missing.deeper > 1');
    expect(seen.map((t) => t.task)).not.toContain('b');
  });

  it('failFast: a sink that errors beside a sink skipped in the same pass still FAILS the process (the property test found it)', async () => {
    const twoSinks = 'tasks:\n  - name: a\n  - name: skipped\n    needs: [a]\n    when: "false"\n  - name: broken\n    needs: [a]\n    when: "input.missing.deeper"\n';
    const { engine, id } = await run(twoSinks, {});
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('FAILED');
    expect(process.tasks.find((t) => t.name === 'broken')?.error?.code).toBe('ConditionError');
    expect(process.tasks.find((t) => t.name === 'skipped')?.skipReason).toBe('ConditionFalse');
  });

  it('skipDownstream: its descendants are SKIPPED, the rest runs, and the process FAILS naming it', async () => {
    const { engine, id } = await run(yaml('skipDownstream'), null);
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('FAILED');
    expect(await statuses(engine, id)).toEqual({ a: 'COMPLETED', b: 'FAILED', c: 'SKIPPED', other: 'COMPLETED' });
    expect(process.error).toMatchObject({ code: 'TaskFailed', task: 'b' });
  });

  it('skipDownstream stops at a descendant that already started: an anyCompleted join run by its other parent, and its children, run on', async () => {
    // a completes, so the join c (anyCompleted over a and b) starts; then b's condition errors and b fails. c and x
    // depend on b, but c had started: the skip reaches only what depends on b through tasks it skipped (after).
    const { engine, id } = await run(
      `
onFailure: skipDownstream
tasks:
  - name: a
  - name: b
    needs: [a]
    when: "input.missing.deeper"
  - name: c
    needs: [a, b]
    join: anyCompleted
  - name: x
    needs: [c]
  - name: after
    needs: [b]
`,
      {},
    );
    expect(await statuses(engine, id)).toEqual({ a: 'COMPLETED', b: 'FAILED', c: 'COMPLETED', x: 'COMPLETED', after: 'SKIPPED' });
    expect((await engine.client.getProcess(id)).status).toBe('FAILED');
  });

  it('optional: the process runs on and COMPLETES; the child sees the error in failedUpstream', async () => {
    const { engine, id, seen } = await run(yaml('failFast', true), null);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    const c = seen.find((t) => t.task === 'c')!;
    expect(Object.keys(c.input.failedUpstream ?? {})).toEqual(['b']);
  });
});
