import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TributaryClient, type Process } from '../../client/index.ts';
import type { LocalResources } from '../../local/create-resources.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { testEmulators } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';

/**
 * examples/python-worker/worker.py (boto3 + urllib) drives the
 * loan-application definition against the real handlers: one application is
 * approved, one fails its identity check, and the checks heartbeat while they work.
 */

const WORKER = fileURLToPath(new URL('../../examples/python-worker/worker.py', import.meta.url));
const DEFINITION = new URL('../../examples/loan-application/loan-application.yaml', import.meta.url);

let api: TestApi;
let client: TributaryClient;
let resources: LocalResources;
let worker: ChildProcess | undefined;
let log = '';
let python = 'python3';

beforeAll(async () => {
  // Fails with the fix rather than skipping: CI installs python3-boto3 (.ci/run). Debian's package goes to
  // the system interpreter, which a version manager's python3 on PATH (pyenv) would not see: try both.
  const found = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0);
  if (found === undefined) throw new Error('python3 with boto3 is needed: sudo apt-get install -y python3-boto3');
  python = found;
  resources = await createIsolatedResources('python');
  api = await startTestApi({ resources });
  client = new TributaryClient({ baseUrl: api.url });
  await client.putDefinition('loan-application', await readFile(DEFINITION, 'utf8'));
});
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await once(worker, 'exit');
  }
  await api?.close();
});

async function untilEnded(id: string): Promise<Process> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = await client.getProcess(id);
    if (view.status !== 'RUNNING') return view;
    if (Date.now() > deadline) throw new Error(`still RUNNING: ${JSON.stringify(view.tasks)}\nworker log:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the Python worker', () => {
  it('approves one application and fails one whose identity check fails, heartbeating while it works', async () => {
    const { sqsEndpoint, region } = testEmulators();
    worker = spawn(python, [WORKER], {
      env: {
        PATH: process.env.PATH,
        TRIBUTARY_URL: api.url,
        TRIBUTARY_QUEUE_URL: resources.queues.default,
        AWS_ENDPOINT_URL_SQS: sqsEndpoint,
        AWS_REGION: region,
        WORKER_ID: 'python-1',
        // Long enough for two heartbeats per check.
        LOAN_WORK_SECONDS: '1.2',
        HEARTBEAT_EVERY: '0.4',
        // Its claims ask for a lease of their own length (issue 19), which its heartbeats then extend by.
        LEASE_SECONDS: '30',
        WAIT_TIME_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout?.on('data', (c: Buffer) => (log += c.toString('utf8')));
    worker.stderr?.on('data', (c: Buffer) => (log += c.toString('utf8')));

    const ada = (await client.startProcess({ definition: 'loan-application', input: { applicant: 'Ada Lovelace' } })).process.id;
    const mallory = (await client.startProcess({ definition: 'loan-application', input: { applicant: 'Mallory' } })).process.id;
    for (const id of [ada, mallory]) await client.complete(id, 'Open Loan Application', { output: { amount: 1000000 } });

    const approved = await untilEnded(ada);
    expect(approved.status).toBe('COMPLETED');
    expect(approved.tasks.map((t) => [t.name, t.status, t.workerId ?? '(manual)'])).toEqual([
      ['Open Loan Application', 'COMPLETED', '(manual)'],
      ['Review Credit', 'COMPLETED', 'python-1'],
      ['Check Identity', 'COMPLETED', 'python-1'],
      ['Decide', 'COMPLETED', 'python-1'],
    ]);
    expect(approved.tasks[3]!.output).toEqual({ approved: true, rate: 0.049, amount: 1000000 });

    const failed = await untilEnded(mallory);
    expect(failed.status).toBe('FAILED');
    expect(failed.tasks.find((t) => t.name === 'Check Identity')).toMatchObject({
      status: 'FAILED',
      error: { code: 'IdentityNotVerified', message: 'could not verify the identity of Mallory' },
    });

    worker.kill('SIGTERM');
    const [code] = (await once(worker, 'exit')) as [number];
    expect(code).toBe(0);
    const events = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; task?: string });
    expect(events.filter((e) => e.event === 'heartbeat').length).toBeGreaterThanOrEqual(4);
    expect(events.some((e) => e.event === 'failed')).toBe(true);
    expect(events.at(-1)?.event).toBe('stopped');
  }, 120_000);
});
