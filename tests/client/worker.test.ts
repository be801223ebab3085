import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { sweep } from '#app/sweep.ts';
import { LeaseLostError, TributaryClient, Worker, type TaskContext, type TaskHandler, type WorkerLogger, type WorkerOptions } from '../../client/index.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { sqsClient } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';

/** Workers against the real handlers and the SQS emulator, on this file's own table and queue. */

let api: TestApi;
let client: TributaryClient;
let sqs: SQSClient;
let queueUrl: string;
/** Every warning and error the workers of the current test logged. */
let logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
const running: Worker[] = [];

const logger: WorkerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => logged.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
  error: (message, fields) => logged.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
};

beforeAll(async () => {
  const resources = await createIsolatedResources('worker');
  api = await startTestApi({ resources });
  client = new TributaryClient({ baseUrl: api.url, backoff: { baseMs: 10, maxMs: 100 } });
  sqs = sqsClient();
  queueUrl = resources.queues.default!;
  await client.putDefinition(
    'loan',
    `tasks:
  - name: Open Loan Application
  - name: Review Credit
    needs: [Open Loan Application]
  - name: Check Identity
    needs: [Open Loan Application]
  - name: Decide
    needs: [Review Credit, Check Identity]
`,
  );
  // A 4 s lease: heartbeats (every third of it) then tolerate a stall of more than 2 s on a loaded machine.
  await client.putDefinition('slow', { tasks: [{ name: 'Slow', timeoutSeconds: 4 }] });
  await client.putDefinition('single', { tasks: [{ name: 'Only' }] });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.stop()));
  logged = [];
});
afterAll(async () => {
  sqs?.destroy();
  await api?.close();
});

function worker(options: Partial<WorkerOptions> & Pick<WorkerOptions, 'handler'>): Worker {
  const w = new Worker({ client, sqs, queueUrl, workerId: 'w1', waitTimeSeconds: 1, logger, ...options });
  running.push(w);
  return w;
}

/** Starts the workers, waits until the process leaves RUNNING, then stops them. */
async function runToEnd(processId: string, workers: Worker[], timeoutMs = 15_000) {
  const runs = workers.map((w) => w.start());
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const view = await client.getProcess(processId);
      if (view.status !== 'RUNNING') return view;
      if (Date.now() > deadline) throw new Error(`process still RUNNING after ${timeoutMs} ms: ${JSON.stringify(view.tasks)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(runs);
  }
}

async function queueDepth(): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

const loanHandler: TaskHandler = async ({ task, input }) => {
  const up = input.upstream as Record<string, Record<string, unknown>>;
  switch (task) {
    case 'Open Loan Application':
      return { amount: (input.process as { amount: number }).amount };
    case 'Review Credit':
      return { score: 700, amount: up['Open Loan Application']?.amount };
    case 'Check Identity':
      return { verified: true };
    case 'Decide':
      return { approved: up['Check Identity']?.verified === true && (up['Review Credit']?.score as number) > 650, saw: up };
    default:
      throw new Error(`unexpected task ${task}`);
  }
};

describe('Worker', () => {
  it('runs a process to completion, passing outputs downstream, and leaves the queue empty', async () => {
    const { process } = await client.startProcess({ definition: 'loan', input: { amount: 1000000 } });
    const view = await runToEnd(process.id, [worker({ handler: loanHandler })]);
    expect(view.status).toBe('COMPLETED');
    expect(Object.fromEntries(view.tasks.map((t) => [t.name, [t.status, t.attempt, t.workerId]]))).toEqual({
      'Open Loan Application': ['COMPLETED', 1, 'w1'],
      'Review Credit': ['COMPLETED', 1, 'w1'],
      'Check Identity': ['COMPLETED', 1, 'w1'],
      Decide: ['COMPLETED', 1, 'w1'],
    });
    expect(view.tasks[3]!.output).toEqual({
      approved: true,
      saw: { 'Review Credit': { score: 700, amount: 1000000 }, 'Check Identity': { verified: true } },
    });
    expect(await queueDepth()).toBe(0);
    expect(logged).toEqual([]);
  });

  it('fails the task and the process when the handler throws, with the error name as code', async () => {
    class CreditBureauDown extends Error {
      override name = 'CreditBureauDown';
    }
    const { process } = await client.startProcess({ definition: 'single' });
    const view = await runToEnd(process.id, [
      worker({
        handler: async () => {
          throw new CreditBureauDown('credit bureau answered 503');
        },
      }),
    ]);
    expect(view.status).toBe('FAILED');
    expect(view.tasks[0]).toMatchObject({ status: 'FAILED', error: { message: 'credit bureau answered 503', code: 'CreditBureauDown' } });
    expect(await queueDepth()).toBe(0);
  });

  it('fails the task when its output cannot be stored: too large, or not JSON', async () => {
    const big = await client.startProcess({ definition: 'single' });
    const odd = await client.startProcess({ definition: 'single' });
    const w = worker({ handler: async ({ processId }) => (processId === big.process.id ? 'x'.repeat(300 * 1024) : { n: 1n }) });
    await runToEnd(big.process.id, [w]);
    await runToEnd(odd.process.id, [w]);
    expect((await client.getProcess(big.process.id)).tasks[0]).toMatchObject({ status: 'FAILED', error: { code: 'PayloadTooLarge' } });
    expect((await client.getProcess(odd.process.id)).tasks[0]).toMatchObject({ status: 'FAILED', error: { code: 'OutputNotSerializable' } });
  });

  it('lets two workers with task filters split one queue', async () => {
    const seen: Record<string, string[]> = { front: [], back: [] };
    const as = (id: string): TaskHandler => async (task) => {
      seen[id]!.push(task.task);
      return loanHandler(task);
    };
    const front = worker({ workerId: 'front', tasks: ['Open Loan Application', 'Decide'], handler: as('front') });
    const back = worker({ workerId: 'back', tasks: ['Review Credit', 'Check Identity'], handler: as('back') });
    const { process } = await client.startProcess({ definition: 'loan', input: { amount: 5 } });
    const view = await runToEnd(process.id, [front, back]);
    expect(view.status).toBe('COMPLETED');
    expect(view.tasks.map((t) => [t.name, t.workerId, t.attempt])).toEqual([
      ['Open Loan Application', 'front', 1],
      ['Review Credit', 'back', 1],
      ['Check Identity', 'back', 1],
      ['Decide', 'front', 1],
    ]);
    expect(seen.front!.sort()).toEqual(['Decide', 'Open Loan Application']);
    expect(seen.back!.sort()).toEqual(['Check Identity', 'Review Credit']);
    expect(await queueDepth()).toBe(0);
  });

  it('deletes the messages of manual tasks and runs the rest once a person completes them', async () => {
    const seen: string[] = [];
    const w = worker({
      manualTasks: ['Open Loan Application'],
      handler: async (task) => {
        seen.push(task.task);
        return loanHandler(task);
      },
    });
    const { process } = await client.startProcess({ definition: 'loan' });
    expect(await w.runOnce()).toBe(0);
    expect(await queueDepth()).toBe(0);
    expect((await client.getProcess(process.id)).tasks[0]!.status).toBe('SCHEDULED');

    await client.complete(process.id, 'Open Loan Application', { output: { amount: 1000000 } });
    const view = await runToEnd(process.id, [w]);
    expect(view.status).toBe('COMPLETED');
    expect(view.tasks[0]).toMatchObject({ output: { amount: 1000000 }, attempt: 1 });
    expect(view.tasks[0]!.workerId).toBeUndefined();
    expect(seen.sort()).toEqual(['Check Identity', 'Decide', 'Review Credit']);
    expect(await queueDepth()).toBe(0);
  });

  it('runs one round with runOnce, deleting malformed messages', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"not":"a task"}' }));
    const w = worker({ waitTimeSeconds: 1, handler: async () => 'garbage in, nothing out' });
    expect(await w.runOnce()).toBe(0);
    expect(logged).toEqual([expect.objectContaining({ level: 'warn', message: 'malformed task message; deleting it' })]);

    const { process } = await client.startProcess({ definition: 'single', input: 'x' });
    expect(await w.runOnce()).toBe(1);
    expect((await client.getProcess(process.id)).tasks[0]).toMatchObject({ status: 'COMPLETED', output: 'garbage in, nothing out' });
    expect(await queueDepth()).toBe(0);
  });

  it('runs a task once when its message arrives twice', async () => {
    const calls: number[] = [];
    const { process } = await client.startProcess({ definition: 'single' });
    const w = worker({
      handler: async ({ attempt }) => {
        calls.push(attempt);
        // The duplicate arrives while this runs: claiming again would hand this worker the same lease.
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ processId: process.id, task: 'Only', attempt, definition: 'single', version: 1 }) }));
        // Run until the worker has received the duplicate and dropped it, rather than for a fixed time.
        await waitFor(async () => (await queueDepth()) === 0);
        return 'once';
      },
    });
    const view = await runToEnd(process.id, [w]);
    expect(view.tasks[0]).toMatchObject({ status: 'COMPLETED', attempt: 1 });
    expect(calls).toEqual([1]);
    expect(await queueDepth()).toBe(0);
  });

  describe('with the recovery sweeper running', () => {
    let sweeping: NodeJS.Timeout;
    beforeAll(() => {
      // What the scheduled sweeper does, every 200 ms: expired leases go back to SCHEDULED with attempt + 1.
      const deps = runtimeDeps();
      sweeping = setInterval(() => void sweep(deps).catch(() => undefined), 200);
    });
    afterAll(() => clearInterval(sweeping));

    const slowHandler = (attempts: number[]): TaskHandler => async ({ attempt, signal }) => {
      attempts.push(attempt);
      if (attempt > 1) return 'rerun';
      await abortableSleep(10_000, signal);
      return 'slow and steady';
    };

    it('heartbeats keep a task with a 4 s lease alive through 10 s of work', async () => {
      const attempts: number[] = [];
      const { process } = await client.startProcess({ definition: 'slow' });
      const view = await runToEnd(process.id, [worker({ handler: slowHandler(attempts) })], 90_000);
      expect(view.tasks[0]).toMatchObject({ status: 'COMPLETED', attempt: 1, output: 'slow and steady' });
      expect(attempts).toEqual([1]);
      expect(logged).toEqual([]);
    }, 120_000);

    it('without heartbeats the same task loses its lease and runs again (the control for the test above)', async () => {
      const attempts: number[] = [];
      const { process } = await client.startProcess({ definition: 'slow' });
      const view = await runToEnd(process.id, [worker({ heartbeatEveryMs: 60_000, handler: slowHandler(attempts) })], 90_000);
      expect(view.tasks[0]).toMatchObject({ status: 'COMPLETED', attempt: 2, output: 'rerun' });
      expect(attempts).toEqual([1, 2]);
      // The first run finished after the second and was refused: its result was dropped.
      expect(logged).toContainEqual(expect.objectContaining({ message: 'the server refused the result: the lease is gone' }));
    }, 120_000);
  });

  it('aborts the handler when the lease is lost, and does not complete the task', async () => {
    const { process } = await client.startProcess({ definition: 'single' });
    let reason: unknown;
    let entered!: () => void;
    const inHandler = new Promise<void>((r) => (entered = r));
    const w = worker({
      heartbeatEveryMs: 100,
      handler: async ({ signal }: TaskContext) => {
        entered();
        await abortableSleep(10_000, signal).catch((e: unknown) => (reason = e));
        return 'too late';
      },
    });
    const run = w.start();
    await inHandler;
    await client.cancelProcess(process.id);
    await w.stop();
    await run;
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect((reason as LeaseLostError).cause).toMatchObject({ code: 'ProcessNotRunning' });
    expect((await client.getProcess(process.id)).tasks[0]).toMatchObject({ status: 'CANCELLED' });
    expect(logged).toContainEqual(expect.objectContaining({ message: 'lease lost; aborting the handler' }));
  });
});

/** Polls `condition` until it holds; the bound is generous because only the condition is under test. */
async function waitFor(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

describe('a Worker that stops mid-task', () => {
  it('releases its task, and another Worker finishes it without waiting for the lease to expire', async () => {
    // A lease of an hour: waiting it out would fail this test by far.
    await client.putDefinition('long-lease', { tasks: [{ name: 'Long', timeoutSeconds: 3600 }] });
    const { process } = await client.startProcess({ definition: 'long-lease' });
    let started = false;
    let aborted: unknown;
    const leaving = worker({
      workerId: 'leaving',
      handler: ({ signal }) =>
        new Promise((_, reject) => {
          started = true;
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(signal.reason as Error);
          });
        }),
    });
    const leavingRun = leaving.start();
    const bound = Date.now() + 30_000;
    while (!started) {
      if (Date.now() > bound) throw new Error('the first worker never started the task');
      await new Promise((r) => setTimeout(r, 20));
    }
    await leaving.stop();
    await leavingRun;
    expect(aborted).toBeInstanceOf(LeaseLostError);
    const afterStop = await client.getProcess(process.id);
    expect(afterStop.tasks[0]).toMatchObject({ status: 'SCHEDULED', attempt: 1 });

    const staying = worker({ workerId: 'staying', handler: async ({ attempt }) => ({ attempt }) });
    const view = await runToEnd(process.id, [staying], 30_000);
    expect(view.status).toBe('COMPLETED');
    expect(view.tasks[0]).toMatchObject({ attempt: 1, workerId: 'staying', output: { attempt: 1 } });
  });
});
