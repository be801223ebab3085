import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createDeps, type CreateDepsOptions } from '#app/create-deps.ts';
import type { AwsCallInterceptor } from '#adapters/aws-clients.ts';
import type { AppDeps, Settings } from '#app/deps.ts';
import { putDefinition } from '#app/definitions.ts';
import { TaskMessageSchema, type TaskMessage } from '#schemas/items.ts';
import type { LocalResources } from '../../local/create-resources.ts';
import { sqsClient, testEmulators } from './clients.ts';
import { createIsolatedResources } from './resources.ts';

export type Deps = AppDeps;

/** A clock the test moves by hand, so lease expiry and grace periods need no waiting. */
export class TestClock {
  constructor(public t = Date.UTC(2026, 10, 23, 12, 0, 0)) {}
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

const silent = { warn: () => undefined, error: () => undefined };

/**
 * Use-case deps wired to the real adapters on this file's own table and queues.
 * Each call builds new clients, like a separate Lambda invocation would.
 */
export function testDeps(
  resources: LocalResources,
  clock: TestClock,
  options: { interceptor?: AwsCallInterceptor; settings?: Partial<Settings> } = {},
): Deps {
  const { region, dynamodbEndpoint, sqsEndpoint } = testEmulators();
  const opts: CreateDepsOptions = {
    region,
    dynamodbEndpoint,
    sqsEndpoint,
    tableName: resources.tableName,
    queueUrls: resources.queues,
    now: clock.now,
    ...(options.interceptor ? { interceptor: options.interceptor } : {}),
    // DynamoDB Local updates its indexes with the write, and every caller shares the test clock: no sweep lag.
    settings: { sweepLagMs: 0, ...options.settings },
  };
  return { ...createDeps(opts), log: silent };
}

/**
 * A test file's own table and queues, a hand-moved clock, and deps over them:
 * the DynamoDB side of the engines in `engines.ts`, for tests that are about
 * DynamoDB itself (consumed capacity, condition expressions). Use-case
 * scenarios take an `Engine` instead, so they run in memory too.
 */
export interface CoreFixture {
  readonly resources: LocalResources;
  readonly clock: TestClock;
  readonly deps: Deps;
  /** The `default` work queue. */
  readonly queueUrl: string;
}

export async function coreFixture(label: string): Promise<CoreFixture> {
  const resources = await createIsolatedResources(label);
  const clock = new TestClock();
  return { resources, clock, deps: testDeps(resources, clock), queueUrl: resources.queues.default! };
}

/** The error code a call is refused with, or undefined when it succeeds. */
export async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  return call.then(
    () => undefined,
    (e: { code?: string }) => e.code ?? String(e),
  );
}

export interface ReceivedTask {
  readonly body: TaskMessage;
  readonly receiptHandle: string;
}

/** Receives every message currently visible on a queue (and deletes them unless `keep`). */
export async function drainQueue(url: string, options: { keep?: boolean; sqs?: SQSClient } = {}): Promise<ReceivedTask[]> {
  const sqs = options.sqs ?? sqsClient();
  const all: ReceivedTask[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 60 }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) break;
    for (const m of messages) all.push({ body: TaskMessageSchema.parse(JSON.parse(m.Body ?? '{}')), receiptHandle: m.ReceiptHandle ?? '' });
    if (!options.keep) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }));
    }
  }
  return all;
}

export async function putYaml(deps: AppDeps, name: string, yaml: string): Promise<number> {
  return (await putDefinition(deps, name, { yaml })).definition.version;
}
