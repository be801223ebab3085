import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TributaryApiError, TributaryNetworkError } from '../../client/errors.ts';
import { messageAfterRefusedClaim, TASK_GONE_CODES, type MessageAction } from '../../client/message-policy.ts';
import type { TributaryClient } from '../../client/tributary-client.ts';
import { Worker } from '../../client/worker.ts';
import { silentLogger } from '../../client/worker-logger.ts';
import { createTestEngine } from '../../testing/index.ts';

/**
 * One message policy after a refused claim (client/message-policy.ts), used
 * by the SQS Worker and by the test engine. Here: the policy itself, what the
 * Worker does with SQS for each refusal, and what the test engine does with
 * its queue for the refusals a run can produce, each checked against it.
 */
const NOW = Date.UTC(2026, 0, 1, 12);
const api = (status: number, code: string, details?: unknown) => new TributaryApiError({ status, code, message: code, request: 'POST claim', ...(details === undefined ? {} : { details }) });
const notActiveUntil = (ms: number) => api(409, 'TaskNotActive', { notBefore: new Date(NOW + ms).toISOString() });

const CASES: readonly [string, () => unknown, MessageAction][] = [
  ...TASK_GONE_CODES.map((code): [string, () => unknown, MessageAction] => [code, () => api(409, code), { action: 'delete' }]),
  ['TaskNotActive, a retry due in 2 min', () => notActiveUntil(120_000), { action: 'postpone', seconds: 120 }],
  ['TaskNotActive, a retry due in 1.5 s', () => notActiveUntil(1500), { action: 'postpone', seconds: 2 }],
  ['TaskNotActive, a retry due in 20 h (SQS caps a visibility timeout at 12 h)', () => notActiveUntil(20 * 3_600_000), { action: 'postpone', seconds: 43_200 }],
  ['TaskNotActive, a retry due already', () => notActiveUntil(-5000), { action: 'postpone', seconds: 0 }],
  ['InternalError (500)', () => api(500, 'InternalError'), { action: 'keep' }],
  ['TooManyRequests (429)', () => api(429, 'TooManyRequests'), { action: 'keep' }],
  ['ConcurrencyConflict (409)', () => api(409, 'ConcurrencyConflict'), { action: 'keep' }],
  ['LeaseMismatch (409)', () => api(409, 'LeaseMismatch'), { action: 'keep' }],
  ['ValidationError (400)', () => api(400, 'ValidationError'), { action: 'keep' }],
  ['a network error', () => new TributaryNetworkError('fetch failed', 'POST claim', { cause: new TypeError('fetch failed') }), { action: 'keep' }],
  ['an error that is not from the client', () => new TypeError('boom'), { action: 'keep' }],
];

describe('the message policy after a refused claim', () => {
  it.each(CASES)('%s', (_, error, expected) => {
    expect(messageAfterRefusedClaim(error(), NOW)).toEqual(expected);
  });
});

describe('the Worker follows it', () => {
  const sqs = mockClient(SQSClient);
  beforeEach(() => {
    // Date only: the Worker reads the wall clock for a postponement; frozen, the seconds are exact.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
    sqs.reset();
  });

  it.each(CASES)('%s', async (_, error, expected) => {
    const body = { processId: 'p1', task: 'A', attempt: 1, definition: 'wf', version: 1 };
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: JSON.stringify(body) }] }).resolves({ Messages: [] });
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    // One receive is one batch claim: the refusal comes back as the item's error.
    const client = { claimTasks: async () => [{ ok: false, error: error() }] } as unknown as TributaryClient;
    const worker = new Worker({ client, sqs: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://sqs.local/q', workerId: 'w1', waitTimeSeconds: 0, logger: silentLogger, handler: async () => null });
    expect(await worker.runOnce()).toBe(0);
    const deleted = sqs.commandCalls(DeleteMessageCommand).length;
    const hidden = sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input.VisibilityTimeout);
    const done: MessageAction = deleted > 0 ? { action: 'delete' } : hidden.length > 0 ? { action: 'postpone', seconds: hidden[0]! } : { action: 'keep' };
    expect(done).toEqual(expected);
    expect(deleted + hidden.length).toBeLessThanOrEqual(1);
  });
});

describe('the test engine follows it', () => {
  const VISIBILITY_MS = 30_000;

  async function engineWith(yaml: string) {
    const engine = createTestEngine({ queues: { default: { visibilityTimeoutSeconds: VISIBILITY_MS / 1000 } } });
    await engine.client.putDefinition('wf', yaml);
    const { id } = (await engine.client.startProcess({ definition: 'wf' })).process;
    return { engine, id };
  }
  /** The policy's answer for the claim the engine's worker just made, asked again in the same state and time. */
  const policyFor = async (engine: ReturnType<typeof createTestEngine>, processId: string, task: string) =>
    messageAfterRefusedClaim(await engine.client.claim(processId, task, 'probe').then(() => new Error('the claim succeeded'), (e: unknown) => e), engine.now());

  it('keeps a message whose claim is refused for a reason that may clear (400 here): back after its visibility timeout', async () => {
    const { engine } = await engineWith('tasks:\n  - name: A\n');
    engine.queue.receive('default', 10).forEach((m) => engine.queue.delete('default', m.receiptHandle));
    await engine.deps.queue.send({ messages: [{ queue: 'default', body: { processId: 'not an id', task: 'A', attempt: 1, definition: 'wf', version: 1 } }] });
    engine.worker({ handler: async () => null });
    await engine.runUntilIdle();
    expect(await policyFor(engine, 'not an id', 'A')).toEqual({ action: 'keep' });
    expect(engine.queue.depth('default')).toBe(1);
    expect(engine.queue.nextVisibleAt('default')).toBe(engine.now() + VISIBILITY_MS);
  });

  it('postpones a message whose retry is not due: hidden until then', async () => {
    const { engine, id } = await engineWith('tasks:\n  - name: A\n    retry: { intervalSeconds: 90, jitter: none }\n');
    const claim = await engine.client.claim(id, 'A', 'w0');
    engine.queue.receive('default', 10).forEach((m) => engine.queue.delete('default', m.receiptHandle));
    await engine.client.fail(id, 'A', { leaseToken: claim.leaseToken, error: { message: 'later' } });
    // A resent copy arrives before the retry is due (as a sweeper's resend could).
    await engine.deps.queue.send({ messages: [{ queue: 'default', body: { processId: id, task: 'A', attempt: 2, definition: 'wf', version: 1 } }] });
    engine.worker({ handler: async () => null });
    await engine.runUntilIdle();
    const expected = await policyFor(engine, id, 'A');
    expect(expected).toEqual({ action: 'postpone', seconds: 90 });
    // Both copies are there, both hidden until the retry is due: the resent one was postponed, not deleted.
    expect(engine.queue.depth('default')).toBe(2);
    expect(engine.queue.receive('default', 10)).toEqual([]);
    expect(engine.queue.nextVisibleAt('default')).toBe(engine.now() + 90_000);
  });

  it('deletes a message for a task that is over', async () => {
    const { engine, id } = await engineWith('tasks:\n  - name: A\n');
    await engine.client.complete(id, 'A', { output: 1 });
    engine.worker({ handler: async () => null });
    const { ran } = await engine.runUntilIdle();
    expect(ran).toEqual([]);
    expect(await policyFor(engine, id, 'A')).toEqual({ action: 'delete' });
    expect(engine.queue.depth('default')).toBe(0);
  });
});
