import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker, type TributaryClient } from '../../client/index.ts';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack.ts';

/**
 * `maxParallel` (issue 18, part 2) through the HTTP API, with real workers on the SQS emulator and DynamoDB Local:
 * a 10-wide fan-out under `maxParallel: 2`, sampled every 50 ms, never has more than 2 tasks SCHEDULED or RUNNING
 * (so never more than 2 claimed), and completes. A sweeper runs beside, as the deployed one would.
 */

let stack: WorkerStack;
let client: TributaryClient;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  // A generous timeout: the emulators share a loaded machine; the limit, not the speed, is under test.
  stack = await startWorkerStack('maxpar', { clientTimeoutMs: 120_000 });
  ({ client, sqs, queueUrl } = stack);
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

describe('maxParallel through the HTTP API', () => {
  it('keeps a 10-wide fan-out under maxParallel: 2 at 2 tasks SCHEDULED or RUNNING at most, sampled every 50 ms, and completes', async () => {
    const siblings = Array.from({ length: 10 }, (_, i) => `t${i}`);
    await client.putDefinition('max-parallel-2', `maxParallel: 2\ntasks:\n  - name: start\n${siblings.map((t) => `  - name: ${t}\n    needs: [start]`).join('\n')}\n`);
    const { process } = await client.startProcess({ definition: 'max-parallel-2' });
    // Four workers, each holding a task for 150 ms: without the limit, four would be claimed at once.
    const workers = Array.from({ length: 4 }, (_, i) =>
      new Worker({ client, sqs, queueUrl, workerId: `w${i}`, waitTimeSeconds: 1, handler: async () => new Promise((r) => setTimeout(() => r({}), 150)) }),
    );
    const runs = workers.map((w) => w.start());
    let most = 0;
    let mostClaimed = 0;
    let samples = 0;
    try {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const active = await client.activeTasks(process.id);
        samples += 1;
        most = Math.max(most, active.length);
        mostClaimed = Math.max(mostClaimed, active.filter((t) => t.status === 'RUNNING').length);
        const view = await client.getProcess(process.id);
        if (view.status !== 'RUNNING') break;
        if (Date.now() > deadline) throw new Error('process still RUNNING after 120 s');
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(runs);
    }
    const view = await client.getProcess(process.id);
    expect(view.status).toBe('COMPLETED');
    expect(view.tasks.every((t) => t.status === 'COMPLETED')).toBe(true);
    expect(samples).toBeGreaterThan(5);
    expect(most).toBeLessThanOrEqual(2);
    expect(mostClaimed).toBeLessThanOrEqual(2);
    expect(mostClaimed).toBeGreaterThan(0);
  }, 180_000);
});
