import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type TributaryClient } from '../../client/index.ts';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack.ts';

/**
 * Issue 18, part 3, through the HTTP API with real workers on the SQS emulator and DynamoDB Local: a task limit of
 * 2 across 5 processes, sampled every 50 ms, never has more than 2 RUNNING, and every process completes. A sweeper
 * runs beside, as the deployed one would. The lease is 10 minutes: a refused claim's message comes back only then, so
 * the processes complete within the test's bound only because each completion hands its slot to the key's first
 * waiter (its message sent again at once).
 */

let stack: WorkerStack;
let client: TributaryClient;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  stack = await startWorkerStack('taskslots');
  ({ client, sqs, queueUrl } = stack);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe('a task concurrency limit through the HTTP API', () => {
  it('5 processes, limit 2: never more than 2 RUNNING when sampled, all COMPLETED', async () => {
    await client.putDefinition('partner-calls', `tasks:\n  - name: call-partner\n    timeoutSeconds: 600\n    concurrency: { limit: 2, key: "input.partner" }\n`);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.startProcess({ definition: 'partner-calls', input: { partner: 'acme' } })).process.id);
    const workers = Array.from({ length: 5 }, (_, i) =>
      new Worker({ client, sqs, queueUrl, workerId: `w${i}`, waitTimeSeconds: 1, handler: async () => {
        await new Promise((r) => setTimeout(r, 400));
        return { ok: true };
      } }),
    );
    const runs = workers.map((w) => w.start());
    let most = 0;
    const deadline = Date.now() + 120_000;
    try {
      for (;;) {
        const views = await Promise.all(ids.map((id) => client.getProcess(id)));
        const running = views.filter((v) => v.tasks.some((t) => t.status === 'RUNNING')).length;
        most = Math.max(most, running);
        if (views.every((v) => v.status !== 'RUNNING')) {
          expect(views.map((v) => v.status)).toEqual(ids.map(() => 'COMPLETED'));
          break;
        }
        if (Date.now() > deadline) throw new Error('processes still RUNNING after 120 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(runs);
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(2);
    const pools = await client.listConcurrencyPools({ definition: 'partner-calls', task: 'call-partner' });
    expect(pools.items.flatMap((p) => p.holders)).toEqual([]);
  }, 180_000);
});
