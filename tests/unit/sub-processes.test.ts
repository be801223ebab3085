import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';

/** Sub-processes (issue 17, part 3) on the in-memory engine: start, end, retry by rerun, cancel, depth. */

const KYC = `
tasks:
  - name: check-id
  - name: score
    needs: [check-id]
`;

const ACCOUNT = (options = '') => `
tasks:
  - name: open-account
  - name: kyc
    needs: [open-account]
    process:
      definition: kyc-check
      input: "{'customer': upstream['open-account'].customer}"
${options}
  - name: activate
    needs: [kyc]
`;

async function engineWith(parent: string, child = KYC): Promise<TestEngine> {
  const engine = createTestEngine();
  await engine.client.putDefinition('kyc-check', child);
  await engine.client.putDefinition('account', parent);
  return engine;
}

describe('a process task', () => {
  it('starts one child process, runs RUNNING with no worker, and completes with the outputs of its sinks', async () => {
    const engine = await engineWith(ACCOUNT());
    const seen: Record<string, unknown> = {};
    engine.worker({
      handler: async ({ task, input }) => {
        seen[task] = input;
        if (task === 'open-account') return { customer: 'c-1' };
        if (task === 'score') return { score: 700 };
        return { ok: true };
      },
    });
    const { process } = await engine.client.startProcess({ definition: 'account', input: {} });
    await engine.runUntilIdle();
    const parent = await engine.client.getProcess(process.id);
    expect(parent.status).toBe('COMPLETED');
    const kyc = await engine.client.getTask(process.id, 'kyc');
    expect(kyc.status).toBe('COMPLETED');
    expect(kyc.output).toEqual({ score: { score: 700 } });
    expect(kyc.childProcessId).toEqual(expect.any(String));
    const child = await engine.client.getProcess(kyc.childProcessId!);
    expect(child.status).toBe('COMPLETED');
    expect(child.definition).toBe('kyc-check');
    expect(child.parent).toEqual({ processId: process.id, task: 'kyc' });
    expect(child.input).toEqual({ customer: 'c-1' });
    expect(seen.activate).toEqual(expect.objectContaining({ upstream: { kyc: { score: { score: 700 } } } }));
    const history = await engine.client.getHistory(process.id);
    const types = history.items.map((e) => e.type);
    expect(types).toContain('ChildProcessStarted');
    expect(types).toContain('ChildProcessEnded');
  });
});

describe('a child that fails', () => {
  it('fails the parent task with ChildProcessFailed; a retry of the task reruns the same child from its failure', async () => {
    const child = `
defaults:
  retry:
    maxAttempts: 1
tasks:
  - name: check-id
  - name: score
    needs: [check-id]
`;
    const engine = await engineWith(ACCOUNT('    retry:\n      maxAttempts: 2\n      intervalSeconds: 1'), child);
    const runs: Record<string, number> = {};
    engine.worker({
      handler: async ({ task }) => {
        runs[task] = (runs[task] ?? 0) + 1;
        if (task === 'open-account') return { customer: 'c-1' };
        if (task === 'score' && runs[task] === 1) throw Object.assign(new Error('bureau down'), { retryable: false });
        return { ok: task };
      },
    });
    const { process } = await engine.client.startProcess({ definition: 'account', input: {} });
    await engine.runUntilIdle();
    const waiting = await engine.client.getTask(process.id, 'kyc');
    expect(waiting.status).toBe('SCHEDULED');
    expect(waiting.attempt).toBe(2);
    expect(waiting.lastError).toEqual(expect.objectContaining({ code: 'ChildProcessFailed' }));
    const childId = waiting.childProcessId!;
    expect((await engine.client.getProcess(childId)).status).toBe('FAILED');

    await engine.advance(60_000);
    expect((await engine.client.getProcess(process.id)).status).toBe('COMPLETED');
    const kyc = await engine.client.getTask(process.id, 'kyc');
    expect(kyc.childProcessId).toBe(childId);
    expect(kyc.output).toEqual({ score: { ok: 'score' } });
    const rerun = await engine.client.getProcess(childId);
    expect(rerun.status).toBe('COMPLETED');
    expect(rerun.runs).toBe(2);
    // From its failure: the completed check-id was kept, only score ran again.
    expect(runs).toEqual({ 'open-account': 1, 'check-id': 1, score: 2, activate: 1 });
    const types = (await engine.client.getHistory(process.id)).items.filter((e) => e.task === 'kyc').map((e) => e.type);
    expect(types).toEqual(['TaskScheduled', 'ChildProcessStarted', 'ChildProcessEnded', 'TaskFailed', 'TaskScheduled', 'ChildProcessStarted', 'ChildProcessEnded', 'TaskCompleted']);
  });

  it('fails the parent for good without attempts left, carrying the child error; a rerun of the parent reruns the child', async () => {
    const child = `
defaults:
  retry:
    maxAttempts: 1
tasks:
  - name: score
`;
    const engine = await engineWith(ACCOUNT('    retry:\n      maxAttempts: 1'), child);
    let fail = true;
    engine.worker({
      handler: async ({ task }) => {
        if (task === 'score' && fail) throw Object.assign(new Error('no score'), { retryable: false });
        return { customer: 'c-1', task };
      },
    });
    const { process } = await engine.client.startProcess({ definition: 'account', input: {} });
    await engine.runUntilIdle();
    const failed = await engine.client.getProcess(process.id);
    expect(failed.status).toBe('FAILED');
    const kyc = await engine.client.getTask(process.id, 'kyc');
    expect(kyc.error).toEqual(expect.objectContaining({ code: 'ChildProcessFailed', details: expect.objectContaining({ childProcessId: kyc.childProcessId, status: 'FAILED' }) }));
    fail = false;
    await engine.client.rerun(process.id, {});
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(process.id)).status).toBe('COMPLETED');
    expect((await engine.client.getTask(process.id, 'kyc')).childProcessId).toBe(kyc.childProcessId);
    expect((await engine.client.getProcess(kyc.childProcessId!)).runs).toBe(2);
  });
});

describe('cancelling a parent', () => {
  const LEAF = 'tasks:\n  - name: wait\n';
  const MID = 'tasks:\n  - name: leaf\n    process:\n      definition: leaf\n';
  const TOP = (onParentEnd = 'cancel') => `tasks:\n  - name: mid\n    process:\n      definition: mid\n      onParentEnd: ${onParentEnd}\n`;

  async function threeLevels(onParentEnd?: string) {
    const engine = createTestEngine();
    await engine.client.putDefinition('leaf', LEAF);
    await engine.client.putDefinition('mid', MID);
    await engine.client.putDefinition('top', TOP(onParentEnd));
    const { process } = await engine.client.startProcess({ definition: 'top', input: {} });
    await engine.runUntilIdle();
    const mid = (await engine.client.getTask(process.id, 'mid')).childProcessId!;
    const leaf = (await engine.client.getTask(mid, 'leaf')).childProcessId!;
    expect((await engine.client.getTask(leaf, 'wait')).status).toBe('SCHEDULED');
    return { engine, top: process.id, mid, leaf };
  }

  it('cancels its running child and grandchild with ParentEnded', async () => {
    const { engine, top, mid, leaf } = await threeLevels();
    await engine.client.cancelProcess(top);
    await engine.runUntilIdle();
    const [m, l] = [await engine.client.getProcess(mid), await engine.client.getProcess(leaf)];
    expect(m.status).toBe('CANCELLED');
    expect(m.error).toEqual(expect.objectContaining({ code: 'ParentEnded' }));
    expect(l.status).toBe('CANCELLED');
    expect(l.error).toEqual(expect.objectContaining({ code: 'ParentEnded' }));
    expect((await engine.client.getTask(leaf, 'wait')).status).toBe('CANCELLED');
    expect((await engine.client.getTask(top, 'mid')).status).toBe('CANCELLED');
  });

  it('leaves an abandoned child running', async () => {
    const { engine, top, mid, leaf } = await threeLevels('abandon');
    await engine.client.cancelProcess(top);
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(mid)).status).toBe('RUNNING');
    expect((await engine.client.getProcess(leaf)).status).toBe('RUNNING');
    engine.worker({ handler: async () => ({ done: true }) });
    await engine.runUntilIdle();
    // The abandoned child ends on its own; the cancelled parent's task stays cancelled.
    expect((await engine.client.getProcess(mid)).status).toBe('COMPLETED');
    expect((await engine.client.getTask(top, 'mid')).status).toBe('CANCELLED');
  });
});

describe('the depth limit', () => {
  it('fails the start of a process nested deeper than 10 with ProcessDepthExceeded', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('recurse', 'defaults:\n  retry:\n    maxAttempts: 1\ntasks:\n  - name: down\n    process:\n      definition: recurse\n');
    const { process } = await engine.client.startProcess({ definition: 'recurse', input: {} });
    await engine.runUntilIdle();
    const chain = [process.id];
    for (let depth = 0; depth < 10; depth++) chain.push((await engine.client.getTask(chain.at(-1)!, 'down')).childProcessId!);
    expect(new Set(chain).size).toBe(11);
    const deepest = await engine.client.getTask(chain[10]!, 'down');
    expect(deepest.childProcessId).toBeUndefined();
    expect(deepest.error).toEqual(expect.objectContaining({ code: 'ProcessDepthExceeded' }));
    for (const id of chain) expect((await engine.client.getProcess(id)).status).toBe('FAILED');
  });
});

describe('a process task and workers', () => {
  it('answers a claim, a completion and a failure with 409 ProcessTaskNotClaimable', async () => {
    const engine = await engineWith(ACCOUNT());
    const { process } = await engine.client.startProcess({ definition: 'account', input: {} });
    engine.worker({ tasks: ['open-account'], handler: async () => ({ customer: 'c' }) });
    await engine.runUntilIdle();
    expect((await engine.client.getTask(process.id, 'kyc')).status).toBe('RUNNING');
    const refusal = (call: Promise<unknown>) => call.then(() => undefined, (e: { status?: number; code?: string }) => ({ status: e.status, code: e.code }));
    const notClaimable = { status: 409, code: 'ProcessTaskNotClaimable' };
    expect(await refusal(engine.client.claim(process.id, 'kyc', 'w'))).toEqual(notClaimable);
    expect(await refusal(engine.client.complete(process.id, 'kyc', { output: {} }))).toEqual(notClaimable);
    expect(await refusal(engine.client.fail(process.id, 'kyc', { error: { message: 'x' } }))).toEqual(notClaimable);
    expect(await refusal(engine.client.heartbeat(process.id, 'kyc', 'token'))).toEqual(notClaimable);
  });
});

describe('PUT of a definition with a process task', () => {
  const problems = async (engine: TestEngine, yaml: string) =>
    engine.client.putDefinition('parent', yaml).then(
      () => undefined,
      (e: { status?: number; details?: unknown }) => ({ status: e.status, details: e.details }),
    );

  it('refuses a child definition or version that does not exist, at tasks[i].process.definition', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('kyc-check', KYC);
    expect(await problems(engine, 'tasks:\n  - name: a\n  - name: kyc\n    process:\n      definition: nope\n')).toEqual({
      status: 400,
      details: [{ path: 'tasks[1].process.definition', message: "process.definition names 'nope', which is not a definition (PUT it first)", line: 5, column: 7 }],
    });
    expect(await problems(engine, 'tasks:\n  - name: kyc\n    process:\n      definition: kyc-check\n      version: 2\n')).toEqual({
      status: 400,
      details: [expect.objectContaining({ path: 'tasks[0].process.definition', message: "process.version: definition 'kyc-check' has no version 2 (its latest is 1)" })],
    });
    expect(await problems(engine, 'tasks:\n  - name: kyc\n    process:\n      definition: kyc-check\n      version: 1\n')).toBeUndefined();
  });

  it('refuses a process task that is also a map, or names a queue, and checks its input expression with line and column', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('kyc-check', KYC);
    const yaml = [
      'tasks:',
      '  - name: a',
      '  - name: both',
      '    map: { items: "input.xs" }',
      '    process: { definition: kyc-check }',
      '  - name: queued',
      '    queue: default',
      '    process: { definition: kyc-check }',
      '  - name: bad-input',
      '    needs: [a]',
      '    process:',
      '      definition: kyc-check',
      "      input: \"{'x': upstream.b}\"",
    ].join('\n');
    const found = (await problems(engine, yaml)) as { status: number; details: { path: string; message: string; line?: number; column?: number }[] };
    expect(found.status).toBe(400);
    expect(found.details.map((d) => d.path)).toEqual(['tasks[1].process', 'tasks[2].queue', 'tasks[3].process.input']);
    expect(found.details[0]!.message).toBe("a task runs a sub-process ('process') or a map ('map'), not both");
    expect(found.details[2]!.message).toMatch(/upstream/);
    expect(found.details[2]).toEqual(expect.objectContaining({ line: 13 }));
  });

  it('lets a definition name itself (a recursion, bounded by the depth limit)', async () => {
    const engine = createTestEngine();
    await expect(engine.client.putDefinition('recurse', 'tasks:\n  - name: down\n    process: { definition: recurse }\n')).resolves.toEqual(expect.objectContaining({ created: true }));
  });
});
