import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASS_COUNT_ATTRIBUTE, passOnDelaySeconds } from '../../client/worker.ts';
import { TributaryClient, Worker, type TaskHandler, type WorkerLogger, type WorkerOptions } from '../../client/index.ts';
import type { LocalResources } from '../../local/create-resources.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { sqsClient } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';

/**
 * Two worker pools with different tasks on one stack. No recovery sweeper runs
 * here, so a process that completes never waited for a resent message, and a
 * task that ran at attempt 1 was never handed out twice.
 */

let api: TestApi;
let client: TributaryClient;
let sqs: SQSClient;
let resources: LocalResources;
const warnings: string[] = [];
const logger: WorkerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message) => warnings.push(message),
  error: (message) => warnings.push(`ERROR ${message}`),
};

const QUEUE_SETTINGS = { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 };
const FRONT_TASKS = ['Open Loan Application', 'Decide'];
const BACK_TASKS = ['Review Credit', 'Check Identity'];

beforeAll(async () => {
  resources = await createIsolatedResources('routing', { default: QUEUE_SETTINGS, checks: QUEUE_SETTINGS, strict: { visibilityTimeoutSeconds: 60, maxReceiveCount: 2 } });
  api = await startTestApi({ resources });
  client = new TributaryClient({ baseUrl: api.url });
  sqs = sqsClient();
  const loan = (checksQueue: string): string => `tasks:
  - name: Open Loan Application
  - name: Review Credit
    needs: [Open Loan Application]
    queue: ${checksQueue}
  - name: Check Identity
    needs: [Open Loan Application]
    queue: ${checksQueue}
  - name: Decide
    needs: [Review Credit, Check Identity]
`;
  await client.putDefinition('routed', loan('checks'));
  await client.putDefinition('shared-queue', loan('default'));
});
afterAll(async () => {
  sqs?.destroy();
  await api?.close();
});

const handler: TaskHandler = async ({ task }) => ({ by: task });

function pool(name: string, queue: string, tasks: readonly string[], size = 2): Worker[] {
  return Array.from({ length: size }, (_, i) => {
    const options: WorkerOptions = { client, sqs, queueUrl: resources.queues[queue]!, workerId: `${name}-${i}`, tasks, handler, logger, waitTimeSeconds: 1 };
    return new Worker(options);
  });
}

async function runAll(definition: string, count: number, workers: Worker[]): Promise<void> {
  const ids = await Promise.all(Array.from({ length: count }, () => client.startProcess({ definition }).then((r) => r.process.id)));
  const runs = workers.map((w) => w.start());
  try {
    // Generous bound: the condition is what is tested, not the time it takes.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const views = await Promise.all(ids.map((id) => client.getProcess(id)));
      if (views.every((v) => v.status !== 'RUNNING')) {
        for (const view of views) {
          expect(view.status).toBe('COMPLETED');
          // Attempt 1 everywhere: no lease expired and nothing ran twice.
          expect(view.tasks.map((t) => t.attempt)).toEqual([1, 1, 1, 1]);
          expect(view.tasks.map((t) => t.workerId?.split('-')[0])).toEqual(['front', 'back', 'back', 'front']);
        }
        return;
      }
      if (Date.now() > deadline) throw new Error(`processes still RUNNING: ${JSON.stringify(views.filter((v) => v.status === 'RUNNING').map((v) => v.tasks))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(runs);
  }
}

async function depth(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const).reduce(
    (sum, key) => sum + Number(Attributes?.[key] ?? 0),
    0,
  );
}

describe('worker routing', () => {
  it('routes by queue: each pool reads its own queue, nothing reaches a DLQ, and no worker sees a foreign message', async () => {
    warnings.length = 0;
    await runAll('routed', 10, [...pool('front', 'default', FRONT_TASKS), ...pool('back', 'checks', BACK_TASKS)]);
    expect(await depth(resources.dlqs.default!)).toBe(0);
    expect(await depth(resources.dlqs.checks!)).toBe(0);
    expect(await depth(resources.queues.default!)).toBe(0);
    expect(await depth(resources.queues.checks!)).toBe(0);
    expect(warnings).toEqual([]);
  }, 120_000);

  it('two pools misrouted onto one queue still finish every task without burning a message, and warn once per foreign task with the fix', async () => {
    warnings.length = 0;
    await runAll('shared-queue', 10, [...pool('front', 'default', FRONT_TASKS, 1), ...pool('back', 'default', BACK_TASKS, 1)]);
    expect(await depth(resources.dlqs.default!)).toBe(0);
    // Each worker warns at most once per task it does not run, however many messages it passed on.
    const foreign = warnings.map((w) => /^task '([^']+)'/.exec(w)?.[1]);
    expect(new Set(foreign).size).toBe(foreign.length);
    for (const task of foreign) expect([...FRONT_TASKS, ...BACK_TASKS]).toContain(task);
    expect(warnings.every((w) => w.includes('Fix: give'))).toBe(true);
  }, 120_000);

  it('passes a foreign message on as a fresh copy: more passes than maxReceiveCount, and it is still on its queue, not in the DLQ', async () => {
    warnings.length = 0;
    const queueUrl = resources.queues.strict!;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ processId: 'p-1', task: 'Elsewhere', attempt: 1, definition: 'd', version: 1 }) }));
    const w = new Worker({ client, sqs, queueUrl, workerId: 'strict', tasks: ['Here'], handler, logger, waitTimeSeconds: 3 });
    // maxReceiveCount is 2: releasing the message each time would have moved it to the DLQ by the third round.
    for (let round = 0; round < 4; round++) expect(await w.runOnce()).toBe(0);
    expect(await depth(resources.dlqs.strict!)).toBe(0);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5, AttributeNames: ['All'], MessageAttributeNames: ['All'] }),
    );
    expect(Messages).toHaveLength(1);
    expect(Messages![0]!.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(Number(Messages![0]!.MessageAttributes?.[PASS_COUNT_ATTRIBUTE]?.StringValue)).toBeGreaterThanOrEqual(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("task 'Elsewhere' arrived on a queue this worker reads");
  }, 60_000);

  it('passes quickly at first, then backs off to at most 15 minutes', () => {
    expect([0, 1, 9].map(passOnDelaySeconds)).toEqual([1, 1, 1]);
    expect([10, 11, 12, 30].map(passOnDelaySeconds)).toEqual([2, 4, 8, 900]);
  });
});
