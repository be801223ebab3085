import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createS3Client } from '#adapters/aws-clients.ts';
import { S3MapItemSource } from '#adapters/s3/s3-map-item-source.ts';
import { tributaryConfig } from '#config/queues.ts';
import { INDEXES, TABLE_KEYS } from '#config/table.ts';
import { localClientConfig } from '../../local/aws-env.ts';
import { createResources } from '../../local/create-resources.ts';
import { startEmulators } from '../../local/emulators.ts';
import { assertJavaAvailable, JavaNotAvailableError, parseJavaMajor } from '../../local/java-check.ts';
import { startLocalStack, type LocalStack } from '../../local/local-stack.ts';
import { silentLogger, type LocalLogger } from '../../local/log.ts';
import { startSweepLoop } from '../../local/sweep-loop.ts';
import { dynamoDbClient, testEmulators } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';
import { sweepStats } from '../support/fixtures/counting-sweeper.ts';

describe('startLocalStack with embedded emulators', () => {
  let dir: string;
  let stateFile: string;
  let stack: LocalStack;
  let dynamodb: DynamoDBClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tributary-local-stack-'));
    stateFile = join(dir, 'nested', 'local.json');
    // env: {} ignores any AWS_ENDPOINT_URL* of the caller, so this really embeds both emulators.
    stack = await startLocalStack({ port: 0, env: {}, stateFile, sweepIntervalMs: 0, logger: silentLogger });
    dynamodb = new DynamoDBClient(localClientConfig(stack.dynamodbEndpoint, stack.region));
    sqs = new SQSClient(localClientConfig(stack.sqsEndpoint, stack.region));
  });
  afterAll(async () => {
    dynamodb?.destroy();
    sqs?.destroy();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the state file with exactly the documented keys', async () => {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(state).sort()).toEqual(['apiUrl', 'dlqs', 'dynamodbEndpoint', 'queues', 'region', 's3Endpoint', 'sqsEndpoint', 'startDlqUrl', 'startQueueUrl', 'tableName']);
    expect(state).toEqual({
      apiUrl: stack.apiUrl,
      region: 'us-east-1',
      dynamodbEndpoint: stack.dynamodbEndpoint,
      sqsEndpoint: stack.sqsEndpoint,
      s3Endpoint: stack.s3Endpoint,
      tableName: 'tributary',
      queues: stack.queues,
      dlqs: stack.dlqs,
      startQueueUrl: stack.startQueueUrl,
      startDlqUrl: stack.startDlqUrl,
    });
    expect(stack.startQueueUrl).toMatch(/\/tributary-start$/);
    expect(Object.keys(stack.queues)).toEqual(Object.keys(tributaryConfig.queues));
    expect(stack.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stack.dynamodbEndpoint).not.toBe(testEmulators().dynamodbEndpoint);
    expect(stack.s3Endpoint).not.toBe(testEmulators().s3Endpoint);
    expect(stack.embeddedS3).toBe(true);
  });

  it('serves map items from its S3 emulator to the handlers, signed with the stack\'s own credentials', async () => {
    // The handlers' environment names the emulator; the S3 client reads it and goes path-style.
    expect(process.env.AWS_ENDPOINT_URL_S3).toBe(stack.s3Endpoint);
    const s3 = createS3Client({ region: stack.region });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'local-items' }));
      await s3.send(new PutObjectCommand({ Bucket: 'local-items', Key: 'rows.jsonl', Body: '{"n":1}\n{"n":2}\n' }));
      const items: unknown[] = [];
      for await (const { item } of new S3MapItemSource(s3).read({ bucket: 'local-items', key: 'rows.jsonl', format: 'jsonl', maxItemBytes: 1024 })) items.push(item);
      expect(items).toEqual([{ n: 1 }, { n: 2 }]);
    } finally {
      s3.destroy();
    }
  });

  it('starts a process for each start-queue message exactly once, and dead-letters invalid ones with a reason', async () => {
    const name = `start-queue-${Date.now()}`;
    expect((await fetch(`${stack.apiUrl}/definitions/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputSchema: { type: 'object', required: ['key'] }, tasks: [{ name: 'Ingest' }] }) })).status).toBe(201);
    const good = JSON.stringify({ definition: name, input: { key: 'a.csv' }, idempotencyKey: `s3:${name}:a.csv` });
    const invalid = ['{not json', JSON.stringify({ definition: 'no-such-definition', input: {} }), JSON.stringify({ definition: name, input: { other: 1 } }), JSON.stringify({ definition: name, extra: true })];
    for (const body of [good, good, ...invalid]) await sqs.send(new SendMessageCommand({ QueueUrl: stack.startQueueUrl, MessageBody: body }));
    const reasons: string[] = [];
    // Generous bound: the poll loop picks the messages up within seconds.
    for (let i = 0; i < 120 && reasons.length < invalid.length; i++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.startDlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }));
      for (const m of Messages) {
        reasons.push(m.MessageAttributes?.reason?.StringValue ?? '(none)');
        await sqs.send(new DeleteMessageCommand({ QueueUrl: stack.startDlqUrl, ReceiptHandle: m.ReceiptHandle! }));
      }
    }
    expect(reasons.map((r) => r.split(':')[0]).sort()).toEqual(['BadJson', 'DefinitionNotFound', 'ValidationError', 'ValidationError']);
    let processes: unknown[] = [];
    for (let i = 0; i < 120 && processes.length === 0; i++) {
      processes = ((await (await fetch(`${stack.apiUrl}/processes?definition=${name}`)).json()) as { items: unknown[] }).items;
      if (processes.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(processes).toHaveLength(1);
  });

  it('serves the API', async () => {
    const res = await fetch(`${stack.apiUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('creates the table with its keys and every GSI from config', async () => {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: stack.tableName }));
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    const gsis = new Map((Table?.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, g]));
    expect([...gsis.keys()].sort()).toEqual(INDEXES.map((i) => i.indexName).sort());
    for (const index of INDEXES) {
      const gsi = gsis.get(index.indexName)!;
      expect(gsi.KeySchema).toEqual([
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ]);
      if (index.include.length === 0) expect(gsi.Projection).toEqual({ ProjectionType: 'KEYS_ONLY' });
      else expect(gsi.Projection).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] });
    }
  });

  it('creates every queue with a DLQ, its redrive policy and visibility timeout', async () => {
    for (const [name, settings] of Object.entries(tributaryConfig.queues)) {
      expect(stack.queues[name]).toMatch(new RegExp(`/tributary-${name}$`));
      expect(stack.dlqs[name]).toMatch(new RegExp(`/tributary-${name}-dlq$`));
      const dlq = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.dlqs[name], AttributeNames: ['QueueArn'] }));
      const queue = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: stack.queues[name], AttributeNames: ['All'] }));
      expect(queue.Attributes?.VisibilityTimeout).toBe(String(settings.visibilityTimeoutSeconds));
      // 14 days, as deployed.
      expect(queue.Attributes?.MessageRetentionPeriod).toBe(String(14 * 24 * 3600));
      expect(JSON.parse(queue.Attributes?.RedrivePolicy ?? '{}')).toEqual({
        deadLetterTargetArn: dlq.Attributes?.QueueArn,
        maxReceiveCount: settings.maxReceiveCount,
      });
    }
  });

  it('creates resources idempotently', async () => {
    const again = await createResources({ dynamodbEndpoint: stack.dynamodbEndpoint, sqsEndpoint: stack.sqsEndpoint, region: stack.region });
    expect(again).toEqual({ tableName: stack.tableName, queues: stack.queues, dlqs: stack.dlqs });
  });

  it('stop() closes the API, leaves no child process behind and removes the state file', async () => {
    const pid = stack.dynamodbPid!;
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(true);
    await stack.stop();
    await stack.stop(); // idempotent
    expect(isAlive(pid)).toBe(false);
    await expect(fetch(`${stack.apiUrl}/health`)).rejects.toThrow();
    await expect(readFile(stateFile, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('endpoint overrides', () => {
  it('uses AWS_ENDPOINT_URL_DYNAMODB / _SQS instead of starting emulators', async () => {
    const shared = testEmulators();
    const emulators = await startEmulators({ env: { AWS_ENDPOINT_URL_DYNAMODB: shared.dynamodbEndpoint, AWS_ENDPOINT_URL_SQS: shared.sqsEndpoint } });
    expect(emulators).toMatchObject({ dynamodbEndpoint: shared.dynamodbEndpoint, sqsEndpoint: shared.sqsEndpoint, dynamodbPid: undefined, embeddedSqs: false });
    await emulators.stop();
  });

  it('uses AWS_ENDPOINT_URL for both services', async () => {
    const emulators = await startEmulators({ env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566', AWS_REGION: 'eu-west-1' } });
    expect(emulators).toMatchObject({ dynamodbEndpoint: 'http://127.0.0.1:4566', sqsEndpoint: 'http://127.0.0.1:4566', s3Endpoint: 'http://127.0.0.1:4566', embeddedS3: false, region: 'eu-west-1' });
    await emulators.stop();
  });
});

describe('test harness isolation', () => {
  it('gives each caller its own table and queues on the shared emulators', async () => {
    const [a, b] = await Promise.all([createIsolatedResources('iso'), createIsolatedResources('iso')]);
    expect(a.tableName).not.toBe(b.tableName);
    expect(a.tableName).not.toBe(testEmulators().tableName);
    expect(a.queues.default).not.toBe(b.queues.default);
    const ddb = dynamoDbClient();
    try {
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: a.tableName }));
      expect(Table?.GlobalSecondaryIndexes).toHaveLength(INDEXES.length);
    } finally {
      ddb.destroy();
    }
  });
});

describe('Java check', () => {
  it('parses old and new version banners', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('no idea')).toBeUndefined();
  });

  it('explains how to install Java when it is missing', async () => {
    const error = await assertJavaAvailable('definitely-not-a-java-binary').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JavaNotAvailableError);
    expect((error as Error).message).toContain('Java 17+');
    expect((error as Error).message).toContain('sudo apt-get install -y openjdk-17-jre-headless');
  });
});

describe('sweep loop', () => {
  // A virtual clock: the loop's timers move only when the test advances them, so "nothing ran after stop" needs no real wait.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /**
   * Advances the virtual clock in steps until `condition` holds; the sweeps themselves do real I/O
   * in between (the sweeper module's import among it), so the bound is a generous real-time one,
   * not a step count that a loaded machine could exhaust.
   */
  async function advanceUntil(condition: () => boolean, stepMs: number, realBoundMs = 60_000): Promise<void> {
    const deadline = performance.now() + realBoundMs;
    while (!condition()) {
      if (performance.now() > deadline) throw new Error('condition not met');
      await vi.advanceTimersByTimeAsync(stepMs);
      await new Promise((r) => setImmediate(r));
    }
  }

  it('runs the sweeper repeatedly, never two at once, and survives a failing sweep', async () => {
    const loop = startSweepLoop({ intervalMs: 5, entry: 'tests/support/fixtures/counting-sweeper.ts', logger: silentLogger });
    await advanceUntil(() => loop.stats().runs >= 4, 5);
    await loop.stop();
    const callsAtStop = sweepStats().calls;
    expect(loop.stats()).toMatchObject({ enabled: true, failures: 1 });
    expect(sweepStats().maxConcurrent).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sweepStats().calls).toBe(callsAtStop);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('warns once and stays idle when the sweeper module does not load', async () => {
    const warnings: string[] = [];
    const logger: LocalLogger = (level, message) => void (level === 'WARN' && warnings.push(message));
    const loop = startSweepLoop({ intervalMs: 5, entry: 'functions/no-such-sweeper.ts', logger });
    await advanceUntil(() => !loop.stats().enabled, 5);
    await vi.advanceTimersByTimeAsync(1000);
    await loop.stop();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('recovery sweeper disabled');
    expect(vi.getTimerCount()).toBe(0);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
