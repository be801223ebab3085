import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDepsFromEnv } from '#app/create-deps.ts';
import type { AppDeps } from '#app/deps.ts';
import { sweep } from '#app/sweep.ts';
import { TributaryClient, Worker, type TaskHandler } from '../../client/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { sqsClient } from '../support/clients.ts';
import { createIsolatedResources, testHandlerEnv } from '../support/resources.ts';

/**
 * Issue 17, parts 1 and 2, through the HTTP API on DynamoDB Local and the SQS emulator, with real workers and a
 * sweeper beside, as deployed: the approve-or-review diamond, and the join rules when parents were skipped.
 */

let api: TestApi;
let client: TributaryClient;
let sqs: SQSClient;
let queueUrl: string;
let deps: AppDeps;
let sweeping: NodeJS.Timeout;

beforeAll(async () => {
  const resources = await createIsolatedResources('branches');
  api = await startTestApi({ resources });
  client = new TributaryClient({ baseUrl: api.url, backoff: { baseMs: 10, maxMs: 100 } });
  sqs = sqsClient();
  queueUrl = resources.queues.default!;
  deps = createDepsFromEnv(testHandlerEnv(resources));
  sweeping = setInterval(() => void sweep(deps).catch(() => undefined), 500);
}, 120_000);
afterAll(async () => {
  clearInterval(sweeping);
  sqs?.destroy();
  await api?.close();
});

/** Runs two workers until the process leaves RUNNING (a generous bound: CI machines are shared); answers the process. */
async function runToEnd(processId: string, handler: TaskHandler, timeoutMs = 90_000) {
  const workers = Array.from({ length: 2 }, (_, i) => new Worker({ client, sqs, queueUrl, workerId: `w${i}`, waitTimeSeconds: 1, handler }));
  const runs = workers.map((w) => w.start());
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const view = await client.getProcess(processId);
      if (view.status !== 'RUNNING') return view;
      if (Date.now() > deadline) throw new Error(`process still RUNNING after ${timeoutMs} ms: ${JSON.stringify(view.tasks.map((t) => [t.name, t.status]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(runs);
  }
}

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
