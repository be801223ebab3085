import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDepsFromEnv } from '#app/create-deps.ts';
import type { AppDeps } from '#app/deps.ts';
import { sweep } from '#app/sweep.ts';
import { TributaryClient, Worker, type TaskHandler } from '../../client/index.ts';
import { silentLogger } from '../../client/worker-logger.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { createTestBucket, s3Client, sqsClient } from '../support/clients.ts';
import { createIsolatedResources, testHandlerEnv } from '../support/resources.ts';

/**
 * Issue 16 through the HTTP API, with real workers on the SQS emulator, DynamoDB Local and s3rver: a 2,000-item
 * map that never has more than 20 children SCHEDULED or RUNNING, a JSON Lines map from S3, a cancel that reaches
 * every child, and a bad expression refused at PUT. A sweeper runs beside, as the deployed one would.
 */

let api: TestApi;
let client: TributaryClient;
let sqs: SQSClient;
let s3: S3Client;
let queueUrl: string;
let deps: AppDeps;
let sweeping: NodeJS.Timeout;

beforeAll(async () => {
  const resources = await createIsolatedResources('maps');
  api = await startTestApi({ resources });
  client = new TributaryClient({ baseUrl: api.url, backoff: { baseMs: 10, maxMs: 100 } });
  sqs = sqsClient();
  s3 = s3Client();
  queueUrl = resources.queues.default!;
  deps = createDepsFromEnv(testHandlerEnv(resources));
  sweeping = setInterval(() => void sweep(deps).catch(() => undefined), 500);
}, 120_000);
afterAll(async () => {
  clearInterval(sweeping);
  sqs?.destroy();
  s3?.destroy();
  await api?.close();
});

/** Runs workers until the process leaves RUNNING, calling `watch` between polls; answers the process. */
async function runToEnd(processId: string, handler: TaskHandler, watch: () => Promise<void> = async () => undefined, timeoutMs = 600_000) {
  const workers = Array.from({ length: 4 }, (_, i) => new Worker({ client, sqs, queueUrl, workerId: `w${i}`, waitTimeSeconds: 1, handler }));
  const runs = workers.map((w) => w.start());
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      await watch();
      const view = await client.getProcess(processId);
      if (view.status !== 'RUNNING') return view;
      if (Date.now() > deadline) throw new Error(`process still RUNNING after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(runs);
  }
}

describe('a map through the HTTP API', () => {
  it('runs 2,000 items with maxConcurrency 20, never more than 20 children SCHEDULED or RUNNING, and hands the join every result', async () => {
    await client.putDefinition(
      'map-2000',
      `tasks:\n  - name: list\n  - name: work\n    needs: [list]\n    map:\n      items: "upstream.list.ids"\n      maxConcurrency: 20\n  - name: join\n    needs: [work]\n`,
    );
    const { process } = await client.startProcess({ definition: 'map-2000' });
    let most = 0;
    let joined: unknown;
    const view = await runToEnd(
      process.id,
      async ({ task, item, input }) => {
        if (task === 'list') return { ids: Array.from({ length: 2000 }, (_, i) => i) };
        if (task === 'join') {
          joined = input.upstream.work;
          return {};
        }
        return { square: (item as number) ** 2 };
      },
      async () => {
        const counts = (await client.getTask(process.id, 'work')).map;
        if (counts) most = Math.max(most, counts.scheduled + counts.running);
      },
    );
    expect(view.status).toBe('COMPLETED');
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(20);
    const result = joined as { total: number; completed: number; failed: number; results: { square: number }[] };
    expect(result).toMatchObject({ total: 2000, completed: 2000, failed: 0 });
    expect(result.results.map((r) => r.square)).toEqual(Array.from({ length: 2000 }, (_, i) => i * i));
    expect((await client.getTask(process.id, 'work')).map).toEqual({ total: 2000, scheduled: 0, running: 0, completed: 2000, failed: 0, cancelled: 0 });
    // The children route pages them in index order, with their outputs.
    const page = await client.listTasks(process.id, { map: 'work', limit: 150 });
    expect(page.items.slice(0, 3).map((t) => [t.name, t.output])).toEqual([
      ['work[0]', { square: 0 }],
      ['work[1]', { square: 1 }],
      ['work[2]', { square: 4 }],
    ]);
  }, 900_000);

  it('streams a 1,000-line JSON Lines object from S3 into children', async () => {
    const bucket = await createTestBucket(s3, 'maps');
    const body = `${Array.from({ length: 1000 }, (_, i) => JSON.stringify({ n: i })).join('\n')}\n`;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'rows.jsonl', Body: body }));
    await client.putDefinition('map-s3', `tasks:\n  - name: rows\n    map:\n      itemsFrom: { bucket: "input.bucket", key: "'rows.jsonl'", format: jsonl }\n      maxConcurrency: 50\n  - name: total\n    needs: [rows]\n`);
    const { process } = await client.startProcess({ definition: 'map-s3', input: { bucket } });
    let sum = -1;
    const view = await runToEnd(process.id, async ({ task, item, input }) => {
      if (task === 'total') {
        sum = (input.upstream.rows as { results: number[] }).results.reduce((a, b) => a + b, 0);
        return {};
      }
      return (item as { n: number }).n;
    });
    expect(view.status).toBe('COMPLETED');
    expect(sum).toBe((999 * 1000) / 2);
  }, 600_000);

  it('cancelling the process cancels every child still scheduled or running', async () => {
    await client.putDefinition('map-cancel', `tasks:\n  - name: slow\n    map:\n      items: "input.items"\n      maxConcurrency: 5\n`);
    const { process } = await client.startProcess({ definition: 'map-cancel', input: { items: Array.from({ length: 40 }, (_, i) => i) } });
    let started = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const workers = [new Worker({ client, sqs, queueUrl, workerId: 'blocked', waitTimeSeconds: 1, logger: silentLogger, handler: async ({ signal }) => {
      started += 1;
      await Promise.race([gate, new Promise((r) => signal.addEventListener('abort', r))]);
      return {};
    } })];
    const runs = workers.map((w) => w.start());
    for (let i = 0; i < 600 && started === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(started).toBeGreaterThan(0);
    await client.cancelProcess(process.id);
    let counts = (await client.getTask(process.id, 'slow')).map;
    for (let i = 0; i < 600 && (counts?.scheduled ?? 1) + (counts?.running ?? 1) > 0; i++) {
      await sweep(deps);
      await new Promise((r) => setTimeout(r, 100));
      counts = (await client.getTask(process.id, 'slow')).map;
    }
    release();
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(runs);
    const map = await client.getTask(process.id, 'slow');
    expect(map.status).toBe('CANCELLED');
    expect(map.map).toMatchObject({ total: 40, scheduled: 0, running: 0, completed: 0 });
    expect(map.map!.cancelled).toBeGreaterThan(0);
  }, 600_000);

  it('refuses a bad items expression at PUT with 400 InvalidDefinition, its path, line and column', async () => {
    const res = await api.request('PUT', '/definitions/map-bad', `tasks:\n  - name: m\n    map:\n      items: "input.files.("\n`, { 'content-type': 'application/yaml' });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'InvalidDefinition', details: [expect.objectContaining({ path: 'tasks[0].map.items', line: 4, column: expect.any(Number) })] } });
  });
});
