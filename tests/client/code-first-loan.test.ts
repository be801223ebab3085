import { readFileSync } from 'node:fs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseDefinition, validateDefinition } from '#domain/definition.ts';
import { InvalidWorkflowError, TributaryApiError, TributaryClient, Worker, workflow, type Process, type WorkerLogger } from '../../client/index.ts';
import { createCodeFirstLoanWorker, loanApplication, quietLoanHandlers } from '../../examples/loan-application/code-first.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { sqsClient, testEmulators } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';

/** The code-first twin of the loan-application example, against the real handlers and the emulators. */
let api: TestApi;
let client: TributaryClient;
let queueUrl: string;
const logged: string[] = [];
const logger: WorkerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message) => logged.push(message),
  error: (message) => logged.push(message),
};
const sqsClients: SQSClient[] = [];
function newSqs(): SQSClient {
  const sqs = sqsClient();
  sqsClients.push(sqs);
  return sqs;
}

beforeAll(async () => {
  quietLoanHandlers();
  const resources = await createIsolatedResources('code-first');
  api = await startTestApi({ resources });
  client = new TributaryClient({ baseUrl: api.url, backoff: { baseMs: 10, maxMs: 100 } });
  queueUrl = resources.queues.default!;
});
afterAll(async () => {
  for (const sqs of sqsClients) sqs.destroy();
  await api?.close();
});

function loanWorker(): Worker {
  const { region, sqsEndpoint } = testEmulators();
  const { worker, sqs } = createCodeFirstLoanWorker({ region, sqsEndpoint, queues: { default: queueUrl } }, client, { logger, waitTimeSeconds: 1 });
  sqsClients.push(sqs);
  return worker;
}

/** Receive rounds until the process leaves RUNNING; a bounded number of rounds, not a clock. */
async function runUntilEnded(worker: Worker, processId: string): Promise<Process> {
  for (let round = 0; round < 50; round++) {
    const view = await client.getProcess(processId);
    if (view.status !== 'RUNNING') return view;
    await worker.runOnce();
  }
  throw new Error(`process ${processId} still RUNNING after 50 receive rounds`);
}

describe('the code-first loan application', () => {
  it('defines the same DAG as loan-application.yaml', () => {
    const options = { queues: ['default'], defaultQueue: 'default' };
    const yaml = parseDefinition(readFileSync(new URL('../../examples/loan-application/loan-application.yaml', import.meta.url), 'utf8'), options);
    expect(validateDefinition(loanApplication.toDefinition(), options).tasks).toEqual(yaml.tasks);
  });

  it('is applied, started, and run to completion by a Worker that takes its handlers from the workflow', async () => {
    const { created, definition } = await client.apply(loanApplication);
    expect(created).toBe(true);
    expect(definition.inputSchema).toMatchObject({ type: 'object', required: ['applicant'] });
    expect((await client.apply(loanApplication)).created).toBe(false);

    const { process } = await client.startProcess({ definition: loanApplication.name, input: { applicant: 'Ada Lovelace' } });
    await client.complete(process.id, 'Open Loan Application', { output: { amount: 1_000_000 } });
    const worker = loanWorker();
    const view = await runUntilEnded(worker, process.id);

    expect(view.status).toBe('COMPLETED');
    expect(Object.fromEntries(view.tasks.map((t) => [t.name, t.output]))).toEqual({
      'Open Loan Application': { amount: 1_000_000 },
      'Review Credit': { score: 712, amount: 1_000_000 },
      'Check Identity': { verified: true, applicant: 'Ada Lovelace' },
      Decide: { approved: true, amount: 1_000_000, rate: 0.049 },
    });
    expect(logged).toEqual([]);
  });

  it('refuses a start whose input does not match the zod schema, listing every violation', async () => {
    await client.apply(loanApplication);
    const error = await client.startProcess({ definition: loanApplication.name, input: { applicant: '', purpose: 7 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TributaryApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 'ValidationError',
      details: [
        { path: '/input/applicant', message: 'must NOT have fewer than 1 characters' },
        { path: '/input/purpose', message: 'must be string' },
      ],
    });
  });
});

describe('a Worker given workflows', () => {
  it('parses the input with the zod schema (transforms included) and a manual task’s output with its schema', async () => {
    const wf = workflow(`parsed-${Date.now().toString(36)}`, { input: z.object({ count: z.string().transform(Number) }) });
    const form = wf.manualTask('Form', { output: z.object({ when: z.iso.date().transform((d) => new Date(d)) }) });
    wf.task('Use', { needs: [form] }, ({ input, upstream }) => ({ doubled: input.count * 2, year: upstream.Form.when.getUTCFullYear() }));
    await client.apply(wf);
    const { process } = await client.startProcess({ definition: wf.name, input: { count: '21' } });
    await client.complete(process.id, 'Form', { output: { when: '2026-12-02' } });
    const worker = new Worker({ client, sqs: newSqs(), queueUrl, workerId: 'parsing', workflows: [wf], waitTimeSeconds: 1, logger });
    const view = await runUntilEnded(worker, process.id);
    expect(view.tasks.find((t) => t.name === 'Use')?.output).toEqual({ doubled: 42, year: 2026 });
  });

  it('fails at start when the registered definition has a task the workflow has no handler for', async () => {
    const name = `drifted-${Date.now().toString(36)}`;
    await client.putDefinition(name, { tasks: [{ name: 'A' }, { name: 'B', needs: ['A'] }] });
    const wf = workflow(name);
    wf.task('A', () => 1);
    const worker = new Worker({ client, sqs: newSqs(), queueUrl, workerId: 'drift', workflows: [wf], logger });
    const error = await worker.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidWorkflowError);
    expect((error as InvalidWorkflowError).details).toEqual([
      { message: `task 'B' of definition '${name}' version 1 has no handler in this workflow; apply the workflow again, or add the task` },
    ]);
  });

  it('fails at start when the workflow was never applied', async () => {
    const wf = workflow(`never-applied-${Date.now().toString(36)}`);
    wf.task('A', () => 1);
    const worker = new Worker({ client, sqs: newSqs(), queueUrl, workerId: 'unapplied', workflows: [wf], logger });
    await expect(worker.start()).rejects.toThrow(/is not registered: call client\.apply\(workflow\) first/);
  });

  it('fails at construction when a task name is manual in one workflow and handled in another', () => {
    const a = workflow('a');
    a.manualTask('Review');
    const b = workflow('b');
    b.task('Review', () => 1);
    expect(() => new Worker({ client, sqs: newSqs(), queueUrl, workerId: 'x', workflows: [a, b] })).toThrow(
      "task 'Review' is manual in one workflow and has a handler in another; run these workflows in separate workers",
    );
  });

  it('fails at construction when a workflow does not build, or with both a handler and workflows', () => {
    const sqs = newSqs();
    expect(() => new Worker({ client, sqs, queueUrl, workerId: 'x', workflows: [workflow('empty')] })).toThrow(InvalidWorkflowError);
    expect(() => new Worker({ client, sqs, queueUrl, workerId: 'x', workflows: [loanApplication], handler: async () => 1 })).toThrow(
      'give the Worker either a handler or workflows',
    );
  });
});
