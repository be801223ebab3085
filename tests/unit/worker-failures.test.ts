import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { TributaryApiError } from '../../client/errors.ts';
import { runClaimedTask } from '../../client/run-claimed-task.ts';
import { NonRetryableTaskError, RetryAfterTaskError } from '../../client/task-failures.ts';
import type { TributaryClient } from '../../client/tributary-client.ts';
import { Worker } from '../../client/worker.ts';
import { silentLogger } from '../../client/worker-logger.ts';

/** The client's failure reporting, without a server: a fake client records what the Worker sends. */
const message = { processId: 'p1', task: 'A', attempt: 1, definition: 'wf', version: 1 };
const claim = { leaseToken: 't1', leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(), attempt: 1, input: { process: null, upstream: {} } };

function fakeClient(overrides: Partial<Record<'claim' | 'claimTasks' | 'fail' | 'complete' | 'heartbeat', (...args: unknown[]) => Promise<unknown>>> = {}) {
  const calls: { op: string; args: unknown[] }[] = [];
  const record =
    (op: string, answer: (...args: unknown[]) => Promise<unknown>) =>
    (...args: unknown[]) => {
      calls.push({ op, args });
      return answer(...args);
    };
  const client = {
    claim: record('claim', overrides.claim ?? (async () => claim)),
    claimTasks: record('claimTasks', overrides.claimTasks ?? (async () => [{ ok: true, value: claim }])),
    fail: record('fail', overrides.fail ?? (async () => ({ processId: 'p1', task: 'A', status: 'FAILED' }))),
    complete: record('complete', overrides.complete ?? (async () => ({ processId: 'p1', task: 'A', status: 'COMPLETED' }))),
    heartbeat: record('heartbeat', overrides.heartbeat ?? (async () => ({ leaseExpiresAt: claim.leaseExpiresAt }))),
  };
  return { client: client as unknown as TributaryClient, calls };
}

describe('a handler that throws', () => {
  it.each([
    ['NonRetryableTaskError', () => new NonRetryableTaskError('card declined', { code: 'CardDeclined', details: { last4: '4242' } }), { message: 'card declined', code: 'CardDeclined', details: { last4: '4242' }, retryable: false }],
    ['RetryAfterTaskError', () => new RetryAfterTaskError('rate limited', 30), { message: 'rate limited', code: 'RetryAfterTaskError', retryAfterSeconds: 30 }],
    ['any other error', () => new TypeError('bad input'), { message: 'bad input', code: 'TypeError' }],
  ])('%s is reported with how to treat it', async (_, error, expected) => {
    const { client, calls } = fakeClient();
    const outcome = await runClaimedTask(
      {
        client,
        logger: silentLogger,
        handler: async () => {
          throw error();
        },
      },
      message,
      claim,
    );
    expect(outcome).toBe('failed');
    expect(calls.find((c) => c.op === 'fail')?.args).toEqual(['p1', 'A', { leaseToken: 't1', error: expected }]);
  });
});

describe('the Worker and a retry that is not due yet', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('hides the message until notBefore instead of deleting it, and runs nothing', async () => {
    const notBefore = new Date(Date.now() + 120_000).toISOString();
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: JSON.stringify(message) }] }).resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    const refused = new TributaryApiError({ status: 409, code: 'TaskNotActive', message: `waiting for a retry: not before ${notBefore}`, details: { notBefore }, request: 'POST claim' });
    const { client, calls } = fakeClient({ claimTasks: async () => [{ ok: false, error: refused }] });
    let ran = 0;
    const worker = new Worker({
      client,
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'https://sqs.local/q',
      workerId: 'w1',
      waitTimeSeconds: 0,
      logger: silentLogger,
      handler: async () => {
        ran += 1;
        return null;
      },
    });
    expect(await worker.runOnce()).toBe(0);
    expect(ran).toBe(0);
    expect(calls.map((c) => c.op)).toEqual(['claimTasks']);
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    const change = sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input;
    expect(change?.ReceiptHandle).toBe('r1');
    expect(change?.VisibilityTimeout).toBeGreaterThanOrEqual(119);
    expect(change?.VisibilityTimeout).toBeLessThanOrEqual(120);
  });

  it('still deletes the message of a task that is over (TaskNotActive without notBefore)', async () => {
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: JSON.stringify(message) }] }).resolves({ Messages: [] });
    sqs.on(DeleteMessageCommand).resolves({});
    const over = new TributaryApiError({ status: 409, code: 'TaskNotActive', message: "task 'A' is COMPLETED, not active", request: 'POST claim' });
    const { client } = fakeClient({ claimTasks: async () => [{ ok: false, error: over }] });
    const worker = new Worker({ client, sqs: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://sqs.local/q', workerId: 'w1', waitTimeSeconds: 0, logger: silentLogger, handler: async () => null });
    await worker.runOnce();
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(1);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)).toHaveLength(0);
  });
});
