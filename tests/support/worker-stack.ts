import type { SQSClient } from '@aws-sdk/client-sqs';
import { createDepsFromEnv } from '#app/create-deps.ts';
import type { AppDeps } from '#app/deps.ts';
import { sweep } from '#app/sweep.ts';
import { TributaryClient, Worker, type Process, type TaskHandler } from '../../client/index.ts';
import { startTestApi, type TestApi } from './api.ts';
import { sqsClient } from './clients.ts';
import { createIsolatedResources, testHandlerEnv } from './resources.ts';

/** The HTTP API on isolated emulator resources, a client, and a sweeper every 500 ms, as deployed. */
export interface WorkerStack {
  readonly client: TributaryClient;
  /** For tests that run their own workers: the SQS client, the default queue, and the handlers' own deps. */
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly deps: AppDeps;
  /** Runs two workers until the process leaves RUNNING (a generous bound: CI machines are shared); answers the process. */
  runToEnd(processId: string, handler: TaskHandler, timeoutMs?: number): Promise<Process>;
  close(): Promise<void>;
}

/** `clientTimeoutMs`: the client's per-call timeout, for calls that may wait long on a loaded machine. */
export async function startWorkerStack(name: string, options: { clientTimeoutMs?: number } = {}): Promise<WorkerStack> {
  const resources = await createIsolatedResources(name);
  const api: TestApi = await startTestApi({ resources });
  const client = new TributaryClient({ baseUrl: api.url, ...(options.clientTimeoutMs === undefined ? {} : { timeoutMs: options.clientTimeoutMs }), backoff: { baseMs: 10, maxMs: 100 } });
  const sqs: SQSClient = sqsClient();
  const queueUrl = resources.queues.default!;
  const deps = createDepsFromEnv(testHandlerEnv(resources));
  const sweeping = setInterval(() => void sweep(deps).catch(() => undefined), 500);

  async function runToEnd(processId: string, handler: TaskHandler, timeoutMs = 90_000): Promise<Process> {
    const workers = Array.from({ length: 2 }, (_, i) => new Worker({ client, sqs, queueUrl, workerId: `w${i}`, waitTimeSeconds: 1, handler }));
    const runs = workers.map((w) => w.start());
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const view = await client.getProcess(processId);
        if (view.status !== 'RUNNING') return view;
        if (Date.now() > deadline) throw new Error(`process still RUNNING after ${timeoutMs} ms: ${JSON.stringify(view.tasks.map((t) => [t.name, t.status, t.childProcessId]))}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(runs);
    }
  }

  return {
    client,
    sqs,
    queueUrl,
    deps,
    runToEnd,
    close: async () => {
      clearInterval(sweeping);
      sqs.destroy();
      await api.close();
    },
  };
}
