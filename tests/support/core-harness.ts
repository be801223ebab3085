import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createDeps, type CreateDepsOptions } from '#app/create-deps.ts';
import type { AwsCallInterceptor } from '#adapters/aws-clients.ts';
import type { AppDeps, Settings } from '#app/deps.ts';
import { putDefinition } from '#app/definitions.ts';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { sweep } from '#app/sweep.ts';
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
    settings: options.settings ?? {},
  };
  return { ...createDeps(opts), log: silent };
}

/** A test file's own table and queues, a hand-moved clock, and deps over them. */
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

/**
 * Drives a process to its end the way workers do: take the messages, claim,
 * complete with `{ by: task }`, repeat. Sweeps when no message is left (with
 * the clock moved past every grace period), as the scheduled sweeper would.
 * Returns how often each task was completed by this loop.
 */
export async function runToEnd(deps: Deps, clock: TestClock, queueUrl: string, processId: string, maxRounds = 200): Promise<Map<string, number>> {
  const completions = new Map<string, number>();
  for (let round = 0; round < maxRounds; round++) {
    const process = await deps.processes.get({ id: processId });
    if (process && process.status !== 'RUNNING' && process.sweepAt === undefined) return completions;
    const messages = (await drainQueue(queueUrl)).filter((m) => m.body.processId === processId);
    if (messages.length === 0) {
      clock.advance(60 * 60_000);
      await sweep(deps);
      continue;
    }
    for (const m of messages) {
      try {
        const claim = await claimTask(deps, processId, m.body.task, 'test-worker');
        await completeTask(deps, processId, m.body.task, { leaseToken: claim.leaseToken, output: { by: m.body.task } });
        completions.set(m.body.task, (completions.get(m.body.task) ?? 0) + 1);
      } catch (error) {
        // Duplicate messages are expected after recovery: a claim on a finished task is refused.
        if (!['TaskNotActive', 'TaskAlreadyClaimed', 'ProcessNotRunning'].includes((error as { code?: string }).code ?? '')) throw error;
      }
    }
  }
  throw new Error(`process ${processId} did not end within ${maxRounds} rounds`);
}
