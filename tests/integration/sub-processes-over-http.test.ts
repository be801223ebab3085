import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TributaryClient } from '../../client/index.ts';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack.ts';

/**
 * Issue 17, part 3, through the HTTP API on DynamoDB Local and the SQS emulator: a parent whose process task runs
 * a child process to COMPLETED, with real workers and a sweeper beside, as deployed.
 */

let stack: WorkerStack;
let client: TributaryClient;
let runToEnd: WorkerStack['runToEnd'];

beforeAll(async () => {
  stack = await startWorkerStack('subprocs');
  ({ client, runToEnd } = stack);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe('a sub-process through the HTTP API', () => {
  it('runs the child to COMPLETED, and the parent task completes with the outputs of its sinks', async () => {
    await client.putDefinition('kyc-check', 'tasks:\n  - name: check-id\n  - name: score\n    needs: [check-id]\n');
    await client.putDefinition(
      'open-account',
      [
        'tasks:',
        '  - name: open',
        '  - name: kyc',
        '    needs: [open]',
        '    process:',
        '      definition: kyc-check',
        "      input: \"{'customer': upstream.open.customer}\"",
        '  - name: activate',
        '    needs: [kyc]',
      ].join('\n'),
    );
    const { process } = await client.startProcess({ definition: 'open-account', input: {} });
    const view = await runToEnd(process.id, async ({ task, input }) => {
      if (task === 'open') return { customer: 'c-1' };
      if (task === 'check-id') return { customer: (input.process as { customer: string }).customer, ok: true };
      if (task === 'score') return { score: 700 };
      return { activated: input.upstream.kyc };
    });
    expect(view.status).toBe('COMPLETED');
    const kyc = view.tasks.find((t) => t.name === 'kyc')!;
    expect(kyc.output).toEqual({ score: { score: 700 } });
    const child = await client.getProcess(kyc.childProcessId!);
    expect(child.status).toBe('COMPLETED');
    expect(child.parent).toEqual({ processId: process.id, task: 'kyc' });
    expect(child.input).toEqual({ customer: 'c-1' });
    expect(view.tasks.find((t) => t.name === 'activate')?.output).toEqual({ activated: { score: { score: 700 } } });
    const types = (await client.getHistory(process.id)).items.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['ChildProcessStarted', 'ChildProcessEnded']));
    await expect(client.claim(process.id, 'kyc', 'w')).rejects.toMatchObject({ status: 409, code: 'ProcessTaskNotClaimable' });
  }, 120_000);

  /** Polls a condition with a generous bound (CI machines are shared): no timing assumption. */
  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('cancelling a parent cancels its child and its grandchild with ParentEnded', async () => {
    await client.putDefinition('http-leaf', 'tasks:\n  - name: wait\n');
    await client.putDefinition('http-mid', 'tasks:\n  - name: leaf\n    process:\n      definition: http-leaf\n');
    await client.putDefinition('http-top', 'tasks:\n  - name: mid\n    process:\n      definition: http-mid\n');
    const { process } = await client.startProcess({ definition: 'http-top', input: {} });
    const mid = (await eventually(() => client.getTask(process.id, 'mid'), (t) => t.childProcessId !== undefined, 'the child start')).childProcessId!;
    const leaf = (await eventually(() => client.getTask(mid, 'leaf'), (t) => t.childProcessId !== undefined, 'the grandchild start')).childProcessId!;
    await client.cancelProcess(process.id);
    const ended = await eventually(() => Promise.all([client.getProcess(mid), client.getProcess(leaf)]), (views) => views.every((v) => v.status !== 'RUNNING'), 'the cancel cascade');
    for (const view of ended) {
      expect(view.status).toBe('CANCELLED');
      expect(view.error).toEqual(expect.objectContaining({ code: 'ParentEnded' }));
    }
  }, 150_000);

  it('fails a start nested deeper than 10 with ProcessDepthExceeded', async () => {
    await client.putDefinition('http-recurse', 'defaults:\n  retry:\n    maxAttempts: 1\ntasks:\n  - name: down\n    process:\n      definition: http-recurse\n');
    const { process } = await client.startProcess({ definition: 'http-recurse', input: {} });
    const top = await eventually(() => client.getProcess(process.id), (v) => v.status !== 'RUNNING', 'the recursion', 150_000);
    expect(top.status).toBe('FAILED');
    const chain = [process.id];
    for (let depth = 0; depth < 10; depth++) chain.push((await client.getTask(chain.at(-1)!, 'down')).childProcessId!);
    expect(new Set(chain).size).toBe(11);
    expect((await client.getTask(chain[10]!, 'down')).error).toEqual(expect.objectContaining({ code: 'ProcessDepthExceeded' }));
  }, 200_000);
});
