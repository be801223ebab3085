import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type TributaryClient } from '../../client/index.ts';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack.ts';

/**
 * Issue 18 through the HTTP API, with real workers on the SQS emulator and DynamoDB Local: 12 processes of a
 * definition with `concurrency.limit: 3`, the listing sampled every 50 ms while they run. A sweeper runs beside,
 * as the deployed one would. No timing is asserted: the samples are polled until every process has ended.
 */

let stack: WorkerStack;
let client: TributaryClient;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  stack = await startWorkerStack('procqueue');
  ({ client, sqs, queueUrl } = stack);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe('process concurrency over HTTP', () => {
  it('12 processes with limit 3: never more than 3 RUNNING in any sample, the rest QUEUED, all COMPLETED first in first out', async () => {
    await client.putDefinition('limited', 'concurrency:\n  limit: 3\ntasks:\n  - name: a\n  - name: b\n    needs: [a]\n');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await client.startProcess({ definition: 'limited', input: { i } })).process.id);
    const first = await client.listProcesses({ definition: 'limited', limit: 100 });
    expect(first.items.filter((p) => p.status === 'RUNNING')).toHaveLength(3);
    expect(first.items.filter((p) => p.status === 'QUEUED').map((p) => p.queuePosition).sort((x, y) => x! - y!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const workers = Array.from({ length: 4 }, (_, i) => new Worker({ client, sqs, queueUrl, workerId: `w${i}`, waitTimeSeconds: 1, handler: async () => ({ ok: true }) }));
    const runs = workers.map((w) => w.start());
    let most = 0;
    let samples = 0;
    const deadline = Date.now() + 600_000;
    try {
      for (;;) {
        const page = await client.listProcesses({ definition: 'limited', limit: 100 });
        samples += 1;
        most = Math.max(most, page.items.filter((p) => p.status === 'RUNNING' || p.status === 'PAUSED').length);
        if (page.items.every((p) => p.status === 'COMPLETED')) break;
        if (Date.now() > deadline) throw new Error('the processes did not all complete within 10 minutes');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(runs);
    }
    expect(samples).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(3);
    const views = await Promise.all(ids.map((id) => client.getProcess(id)));
    expect(views.map((v) => v.status)).toEqual(Array(12).fill('COMPLETED'));
    // First in first out: each took its slot no earlier than the one started before it.
    const started = views.map((v) => v.startedAt!);
    expect([...started].sort()).toEqual(started);
  }, 700_000);

  it('a rerun against a full pool queues (onLimit: queue), shows in GET /concurrency, and runs again when the holder hands it its slot', async () => {
    await client.putDefinition('rerun-queued', 'concurrency:\n  limit: 1\ntasks:\n  - name: a\n');
    const first = (await client.startProcess({ definition: 'rerun-queued', input: {} })).process.id;
    await client.cancelProcess(first);
    const holder = (await client.startProcess({ definition: 'rerun-queued', input: {} })).process.id;
    const rerun = await client.rerun(first);
    expect([rerun.run, rerun.process.status]).toEqual([2, 'QUEUED']);
    const pools = await client.listConcurrencyPools({ definition: 'rerun-queued' });
    expect(pools.items.map((p) => ({ held: p.held, queued: p.queued, holders: p.holders.map((h) => h.processId) }))).toEqual([{ held: 1, queued: 1, holders: [holder] }]);

    const worker = new Worker({ client, sqs, queueUrl, workerId: 'w-rerun', waitTimeSeconds: 1, handler: async () => ({ ok: true }) });
    const run = worker.start();
    const deadline = Date.now() + 300_000;
    try {
      while ((await client.getProcess(first)).status !== 'COMPLETED') {
        if (Date.now() > deadline) throw new Error('the queued rerun did not complete within 5 minutes');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.stop();
      await run;
    }
    expect((await client.getProcess(holder)).status).toBe('COMPLETED');
    const after = await client.listConcurrencyPools({ definition: 'rerun-queued' });
    expect(after.items.map((p) => [p.held, p.queued])).toEqual([[0, 0]]);
  }, 400_000);
});
