import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskHandler, TributaryClient } from '../../client/index.ts';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack.ts';

/**
 * Issue 17, parts 1 and 2, through the HTTP API on DynamoDB Local and the SQS emulator, with real workers and a
 * sweeper beside, as deployed: the approve-or-review diamond, and the join rules when parents were skipped.
 */

let stack: WorkerStack;
let client: TributaryClient;
let runToEnd: WorkerStack['runToEnd'];

beforeAll(async () => {
  stack = await startWorkerStack('branches');
  ({ client, runToEnd } = stack);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

const DIAMOND = [
  'tasks:',
  '  - name: intake',
  '  - name: approve',
  '    needs: [intake]',
  '    when: "upstream.intake.amount < 1000"',
  '  - name: review',
  '    needs: [intake]',
  '    when: "upstream.intake.amount >= 1000"',
  '  - name: notify',
  '    needs: [approve, review]',
].join('\n');

describe('branches through the HTTP API', () => {
  it('runs exactly one side of the approve-or-review diamond, and the join after it with skippedUpstream', async () => {
    await client.putDefinition('approve-or-review', DIAMOND);
    const ran: string[] = [];
    let notifyInput: { upstream: Record<string, unknown>; skippedUpstream?: string[] } | undefined;
    const { process } = await client.startProcess({ definition: 'approve-or-review', input: {} });
    const view = await runToEnd(process.id, async ({ task, input }) => {
      ran.push(task);
      if (task === 'intake') return { amount: 250 };
      if (task === 'notify') notifyInput = input as typeof notifyInput;
      return { done: task };
    });
    expect(view.status).toBe('COMPLETED');
    expect(ran.sort()).toEqual(['approve', 'intake', 'notify']);
    const review = view.tasks.find((t) => t.name === 'review')!;
    expect(review.status).toBe('SKIPPED');
    expect(review.skipReason).toBe('ConditionFalse');
    expect(notifyInput?.upstream).toEqual({ approve: { done: 'approve' } });
    expect(notifyInput?.skippedUpstream).toEqual(['review']);
  }, 150_000);

  it('applies each join rule when one parent was skipped, and skips a join whose parents were all skipped', async () => {
    const definition = (join: string, neverBoth = false) =>
      [
        'tasks:',
        '  - name: start',
        '  - name: left',
        '    needs: [start]',
        '    when: "input.left"',
        '  - name: right',
        '    needs: [start]',
        `    when: "${neverBoth ? 'input.left && !input.left' : 'true'}"`,
        '  - name: join',
        '    needs: [left, right]',
        `    join: ${join}`,
      ].join('\n');
    await client.putDefinition('join-settled', definition('allSettled'));
    await client.putDefinition('join-completed', definition('allCompleted'));
    await client.putDefinition('join-any', definition('anyCompleted'));
    await client.putDefinition('join-none', definition('allSettled', true));
    const handler: TaskHandler = async ({ task }) => ({ task });
    const statusOfJoin = async (name: string) => {
      const { process } = await client.startProcess({ definition: name, input: { left: false } });
      const view = await runToEnd(process.id, handler);
      const join = view.tasks.find((t) => t.name === 'join')!;
      return { process: view.status, join: join.status, reason: join.skipReason };
    };
    expect(await statusOfJoin('join-settled')).toEqual({ process: 'COMPLETED', join: 'COMPLETED', reason: undefined });
    expect(await statusOfJoin('join-completed')).toEqual({ process: 'COMPLETED', join: 'SKIPPED', reason: 'UpstreamSkipped' });
    expect(await statusOfJoin('join-any')).toEqual({ process: 'COMPLETED', join: 'COMPLETED', reason: undefined });
    expect(await statusOfJoin('join-none')).toEqual({ process: 'COMPLETED', join: 'SKIPPED', reason: 'UpstreamSkipped' });
  }, 400_000);

  it('fails a task whose condition errors with ConditionError, naming the expression', async () => {
    await client.putDefinition('http-bad-condition', 'tasks:\n  - name: a\n  - name: b\n    needs: [a]\n    when: "upstream.a.missing > 1"\n');
    const { process } = await client.startProcess({ definition: 'http-bad-condition', input: {} });
    const view = await runToEnd(process.id, async () => ({ present: true }));
    expect(view.status).toBe('FAILED');
    const b = view.tasks.find((t) => t.name === 'b')!;
    expect(b.status).toBe('FAILED');
    expect(b.error).toEqual(expect.objectContaining({ code: 'ConditionError', message: expect.stringContaining('upstream.a.missing > 1') }));
  }, 150_000);
});
