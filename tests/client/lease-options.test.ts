import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { TributaryClient, Worker, type WorkerLogger } from '../../client/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { sqsClient } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';
import { fakeFetch } from './fake-fetch.ts';

/** The client's and the Worker's `leaseSeconds` (issue 19, part 1): sent only when given; the Worker's claims ask for it. */

const BASE = 'http://api.test';
const claim = { leaseToken: 't1', leaseExpiresAt: '2026-01-01T00:00:30.000Z', attempt: 1, input: { process: null, upstream: {} } };
const quiet: WorkerLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

describe('TributaryClient leaseSeconds', () => {
  it('sends leaseSeconds on claim, claimTasks and heartbeat only when it is given', async () => {
    const fake = fakeFetch([
      { status: 200, body: claim },
      { status: 200, body: claim },
      { status: 200, body: { results: [claim] } },
      { status: 200, body: { results: [claim] } },
      { status: 200, body: { leaseExpiresAt: claim.leaseExpiresAt } },
      { status: 200, body: { leaseExpiresAt: claim.leaseExpiresAt } },
    ]);
    const client = new TributaryClient({ baseUrl: BASE, fetch: fake.fetch, retries: 0 });
    await client.claim('p-1', 'A', 'w1', { leaseSeconds: 30 });
    await client.claim('p-1', 'A', 'w1');
    await client.claimTasks('w1', [{ processId: 'p-1', task: 'A' }], { leaseSeconds: 30 });
    await client.claimTasks('w1', [{ processId: 'p-1', task: 'A' }]);
    await client.heartbeat('p-1', 'A', 't1', { leaseSeconds: 60 });
    await client.heartbeat('p-1', 'A', 't1');
    expect(fake.requests.map((r) => JSON.parse(r.body ?? 'null') as unknown)).toEqual([
      { workerId: 'w1', leaseSeconds: 30 },
      { workerId: 'w1' },
      { workerId: 'w1', leaseSeconds: 30, tasks: [{ processId: 'p-1', task: 'A' }] },
      { workerId: 'w1', tasks: [{ processId: 'p-1', task: 'A' }] },
      { leaseToken: 't1', leaseSeconds: 60 },
      { leaseToken: 't1' },
    ]);
  });

  it('the Worker refuses a leaseSeconds the server would refuse', () => {
    const client = new TributaryClient({ baseUrl: BASE, fetch: fakeFetch([{ status: 200 }]).fetch });
    const sqs = {} as SQSClient;
    for (const leaseSeconds of [0, 43_201, 1.5]) {
      expect(() => new Worker({ client, sqs, queueUrl: 'q', workerId: 'w', leaseSeconds, handler: async () => null })).toThrow(
        `leaseSeconds must be an integer from 1 to 43200, got ${leaseSeconds}`,
      );
    }
  });
});

describe('Worker leaseSeconds on the stack', () => {
  let api: TestApi;
  let client: TributaryClient;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    const resources = await createIsolatedResources('lease-worker');
    api = await startTestApi({ resources });
    client = new TributaryClient({ baseUrl: api.url, backoff: { baseMs: 10, maxMs: 100 } });
    sqs = sqsClient();
    queueUrl = resources.queues.default!;
    await client.putDefinition('leased', { tasks: [{ name: 'A', timeoutSeconds: 300 }] });
  });
  afterAll(async () => {
    sqs?.destroy();
    await api?.close();
  });

  it('claims what it receives for its leaseSeconds: the running task holds a lease of that length', async () => {
    const { process } = await client.startProcess({ definition: 'leased' });
    const seen: unknown[] = [];
    const worker = new Worker({
      client,
      sqs,
      queueUrl,
      workerId: 'w1',
      waitTimeSeconds: 1,
      logger: quiet,
      leaseSeconds: 30,
      handler: async ({ processId, task }) => {
        const item = await runtimeDeps().tasks.get({ processId, task });
        seen.push({ leaseMs: item?.leaseMs, length: (item?.leaseExpiresAt ?? 0) - Date.parse(item?.claimedAt ?? '') });
        return { ok: true };
      },
    });
    // Polled with a generous bound: the message may take a round or two to arrive.
    for (let round = 0; round < 20 && seen.length === 0; round++) await worker.runOnce();
    await worker.stop();
    expect(seen).toEqual([{ leaseMs: 30_000, length: 30_000 }]);
    expect((await client.getProcess(process.id)).status).toBe('COMPLETED');
  });
});
