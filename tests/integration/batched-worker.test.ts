import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TributaryClient, Worker } from '../../client/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { sqsClient } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';

/**
 * The batched worker calls over HTTP, on DynamoDB Local and the SQS emulator:
 * a Worker with concurrency 10 runs a 50-wide fan-out, and the server's access
 * log shows what it called: one claim per receive, results shared by up to 10.
 */

let api: TestApi;
let client: TributaryClient;
let sqs: SQSClient;
let queueUrl: string;
/** `METHOD path` of every request the server answered. */
const seen: string[] = [];

beforeAll(async () => {
  const resources = await createIsolatedResources('batched');
  api = await startTestApi({
    resources,
    accessLog: true,
    logger: (_level, message, fields) => {
      if (message === 'request') seen.push(`${String(fields?.method)} ${String(fields?.path)}`);
    },
  });
  client = new TributaryClient({ baseUrl: api.url, backoff: { baseMs: 10, maxMs: 100 } });
  sqs = sqsClient();
  queueUrl = resources.queues.default!;
}, 120_000);
afterAll(async () => {
  sqs?.destroy();
  await api?.close();
});

const WIDTH = 50;

describe('a Worker with batched calls', () => {
  it('completes a 50-wide fan-out with one claim call per receive and results sent in batches', async () => {
    const fan = Array.from({ length: WIDTH }, (_, i) => `fan-${i}`);
    await client.putDefinition('batched-fan', { tasks: [{ name: 'split' }, ...fan.map((name) => ({ name, needs: ['split'] })), { name: 'join', needs: fan }] });
    const { process } = await client.startProcess({ definition: 'batched-fan', input: {} });
    const before = seen.length;
    const problems: string[] = [];
    const worker = new Worker({
      client,
      sqs,
      queueUrl,
      workerId: 'batched-1',
      concurrency: 10,
      waitTimeSeconds: 1,
      logger: { debug: () => undefined, info: () => undefined, warn: (m, f) => problems.push(`${m} ${JSON.stringify(f)}`), error: (m, f) => problems.push(`${m} ${JSON.stringify(f)}`) },
      handler: async ({ task, input }) => (task === 'join' ? Object.keys(input.upstream).length : { task }),
    });
    const running = worker.start();
    let view = await client.getProcess(process.id);
    const deadline = Date.now() + 120_000;
    try {
      while (view.status === 'RUNNING' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        view = await client.getProcess(process.id);
      }
    } finally {
      await worker.stop();
      await running;
    }
    expect(view.status, `worker warnings: ${problems.join('\n')}`).toBe('COMPLETED');
    expect(view.tasks.find((t) => t.name === 'join')?.output).toBe(WIDTH);

    const calls = seen.slice(before).filter((r) => r.startsWith('POST ') && /\/(claim|complete|fail)$/.test(r));
    const count = (pattern: RegExp) => calls.filter((r) => pattern.test(r)).length;
    const batchClaims = count(/^POST \/tasks\/claim$/);
    const batchCompletes = count(/^POST \/tasks\/complete$/);
    const singleClaims = count(/^POST \/processes\/.+\/claim$/);
    const singleCompletes = count(/^POST \/processes\/.+\/complete$/);
    const tasks = WIDTH + 2;
    // Every claim went through the batch route; a result alone in its batch goes through the single route.
    expect(singleClaims).toBe(0);
    expect(count(/fail$/)).toBe(0);
    expect(batchClaims).toBeGreaterThan(0);
    expect(batchCompletes).toBeGreaterThan(0);
    // The 50 fanned-out tasks arrive up to 10 per receive: far fewer calls than the 2 per task of single calls.
    expect(batchClaims).toBeLessThanOrEqual(tasks / 2);
    expect(batchCompletes + singleCompletes).toBeLessThanOrEqual(tasks / 2);
    expect(calls.length / tasks).toBeLessThan(1);
  }, 300_000);
});
