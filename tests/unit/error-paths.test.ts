import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoItemTable } from '#adapters/dynamo/dynamo-item-table.ts';
import { ItemTaskStore } from '#adapters/stores/item-task-store.ts';
import { SqsTaskQueue } from '#adapters/sqs/task-queue.ts';
import { errorResponse } from '#http/error-response.ts';
import { LeaseMismatchError } from '#domain/errors.ts';

/**
 * Error paths the emulators cannot produce on demand: transaction conflicts on
 * a hot join counter, SQS partial batch failures, and unexpected AWS errors at
 * the HTTP edge. Everything else is tested against the real emulators.
 */
const ddb = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
const noSleep = async () => undefined;

const conflict = () =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
  });

const input = { processId: 'p1', task: 'A', leaseToken: 't', iso: '2026-01-01T00:00:00.000Z', now: 0, expiresAt: 0, run: 1 };

describe('TaskStore.complete under transaction conflicts', () => {
  beforeEach(() => ddb.reset());

  it('retries a completion whose transaction lost to a concurrent one, until it commits', async () => {
    ddb.on(TransactWriteCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({});
    const store = new ItemTaskStore(new DynamoItemTable(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', noSleep));
    await expect(store.complete({ end: input, output: { ok: 1 }, settles: [{ task: 'Join', expected: 2 }] })).resolves.toEqual({ ok: true, item: undefined });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 3);
  });

  it('gives up after its retry budget and surfaces the conflict', async () => {
    ddb.on(TransactWriteCommand).rejects(conflict());
    const store = new ItemTaskStore(new DynamoItemTable(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', noSleep));
    await expect(store.complete({ end: input, output: null, settles: [{ task: 'Join', expected: 2 }] })).rejects.toBeInstanceOf(TransactionCanceledException);
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 9);
  });

  it('reports a lost lease condition with the item as it is, without retrying', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed', Item: { name: { S: 'A' }, status: { S: 'RUNNING' }, leaseToken: { S: 'other' } } }, { Code: 'None' }],
      }),
    );
    const store = new ItemTaskStore(new DynamoItemTable(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', noSleep));
    const result = await store.complete({ end: input, output: null, settles: [{ task: 'Join', expected: 2 }] });
    expect(result).toMatchObject({ ok: false, current: { status: 'RUNNING', leaseToken: 'other' } });
    expect(ddb).toHaveReceivedCommandTimes(TransactWriteCommand, 1);
  });
});

describe('batch reads under throttling', () => {
  beforeEach(() => ddb.reset());

  it('retries unprocessed keys with backoff until every key is answered, however many rounds it takes', async () => {
    const key = (sk: string) => ({ pk: 'PROC#p', sk });
    let calls = 0;
    ddb.on(BatchGetCommand).callsFake(() => {
      calls += 1;
      // Twelve rounds of throttling (more than the 8 the process listing used to allow), then the rest.
      if (calls <= 12) return { Responses: { t: calls === 1 ? [{ ...key('TASK#A'), name: 'A' }] : [] }, UnprocessedKeys: { t: { Keys: [key('TASK#B')] } } };
      return { Responses: { t: [{ ...key('TASK#B'), name: 'B' }] } };
    });
    const pauses: number[] = [];
    const table = new DynamoItemTable(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 't', async (ms) => void pauses.push(ms));
    const items = await table.getMany([key('TASK#A'), key('TASK#B')]);
    expect(items.map((i) => i.name)).toEqual(['A', 'B']);
    expect(pauses).toHaveLength(12);
    expect(pauses[1]).toBeGreaterThan(pauses[0]!);
  });
});

describe('SqsTaskQueue partial batch failures', () => {
  beforeEach(() => sqs.reset());
  const body = (task: string) => ({ processId: 'p', task, attempt: 1, definition: 'd', version: 1 });

  it('resends only the entries SQS rejected', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Successful: [], Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' }] })
      .resolves({ Successful: [], Failed: [] });
    await new SqsTaskQueue(new SQSClient({ region: 'us-east-1' }), { default: 'https://q' }).send({
      messages: [
        { queue: 'default', body: body('A') },
        { queue: 'default', body: body('B') },
      ],
    });
    expect(sqs).toHaveReceivedCommandTimes(SendMessageBatchCommand, 2);
    expect(sqs.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries).toEqual([{ Id: '0', MessageBody: JSON.stringify(body('B')) }]);
  });

  it('throws when entries keep failing, so the caller leaves the task to the sweeper', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', SenderFault: false, Code: 'InternalError', Message: 'down' }] });
    await expect(new SqsTaskQueue(new SQSClient({ region: 'us-east-1' }), { default: 'https://q' }).send({ messages: [{ queue: 'default', body: body('A') }] })).rejects.toThrow(
      /SQS rejected 1 message/,
    );
  });
});

describe('errorResponse at the HTTP edge', () => {
  it('maps a typed error to its status and code, with no internals', () => {
    const res = errorResponse(new LeaseMismatchError('A', 'stale'));
    expect(res.statusCode).toBe(409);
    expect(JSON.parse(res.body ?? '')).toEqual({ error: { code: 'LeaseMismatch', message: "lease mismatch on task 'A': stale" } });
  });

  it('turns an unexpected AWS error into a generic 500 that leaks nothing, and logs it', () => {
    const logged: unknown[] = [];
    const res = errorResponse(Object.assign(new Error('ProvisionedThroughputExceededException: table tributary-prod'), { name: 'ProvisionedThroughputExceededException' }), (_m, e) =>
      logged.push(e),
    );
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toMatch(/tributary-prod|Throughput/);
    expect(JSON.parse(res.body ?? '')).toEqual({ error: { code: 'InternalError', message: 'internal error' } });
    expect(logged).toHaveLength(1);
  });
});
