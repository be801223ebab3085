import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { TaskMessageSchema } from '#schemas/items.ts';

/** Counts and times what the benchmark's workers do, for throughput, latency and cost. */
export interface Recorder {
  apiRequests: number;
  /** `${processId}/${task}` -> when its complete call started (ms). */
  readonly completeStartedAt: Map<string, number>;
  /** `${processId}/${task}` -> when its message was first received by a worker (epoch ms). */
  readonly receivedAt: Map<string, number>;
  /** `${processId}/${task}` -> when SQS accepted its first message, i.e. when it could be received (epoch ms). */
  readonly sentAt: Map<string, number>;
  completed: number;
}

export function newRecorder(): Recorder {
  return { apiRequests: 0, completeStartedAt: new Map(), receivedAt: new Map(), sentAt: new Map(), completed: 0 };
}

export async function api(recorder: Recorder, baseUrl: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  recorder.apiRequests += 1;
  const send = () =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  // A kept-alive socket the server closed at the same moment resets (ECONNRESET) under load. Retrying is safe
  // here: a claim by the same worker answers its own lease again, and a repeated complete answers 200.
  let res: Response | undefined;
  for (let attempt = 0; res === undefined; attempt++) {
    res = await send().catch(async (error: unknown) => {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      return undefined;
    });
  }
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/**
 * Runs `concurrency` worker loops until `done()` says stop: receive a batch
 * (long poll), claim its tasks in one call (`POST /tasks/claim`), complete
 * those claimed in one call (`POST /tasks/complete`), then delete the batch.
 * This is what the reusable client's Worker does, without heartbeats (tasks
 * here take no time, so every result of a receive shares one call).
 */
export async function runWorkers(options: {
  sqs: SQSClient;
  queueUrl: string;
  apiUrl: string;
  recorder: Recorder;
  concurrency: number;
  done: () => boolean;
}): Promise<void> {
  const { sqs, queueUrl, apiUrl, recorder } = options;
  const loop = async (id: number): Promise<void> => {
    while (!options.done()) {
      // AttributeNames 'All' is what makes the emulator return SentTimestamp.
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 120, AttributeNames: ['All'] }),
      );
      const messages = out.Messages ?? [];
      const receivedAt = Date.now();
      const bodies = messages.map((m) => {
        const body = TaskMessageSchema.parse(JSON.parse(m.Body ?? '{}'));
        const key = `${body.processId}/${body.task}`;
        if (!recorder.receivedAt.has(key)) recorder.receivedAt.set(key, receivedAt);
        const sent = Number(m.Attributes?.SentTimestamp);
        if (!recorder.sentAt.has(key) && Number.isFinite(sent)) recorder.sentAt.set(key, sent);
        return { processId: body.processId, task: body.task, key };
      });
      if (bodies.length > 0) {
        // One claim call for the receive, then one call for the results, as the client's Worker does.
        const tasks = bodies.map(({ processId, task }) => ({ processId, task }));
        const claimed = await api(recorder, apiUrl, 'POST', '/tasks/claim', { workerId: `bench-${id}`, tasks });
        if (claimed.status !== 200) throw new Error(`claim: ${claimed.status} ${JSON.stringify(claimed.json)}`);
        const results = (claimed.json as { results: ({ leaseToken: string } | { error: unknown })[] }).results;
        // A refused claim is a duplicate: the claim is the authority.
        const items = bodies.flatMap((b, i) => {
          const r = results[i];
          return r && 'leaseToken' in r ? [{ processId: b.processId, task: b.task, leaseToken: r.leaseToken, output: { ok: true }, key: b.key }] : [];
        });
        if (items.length > 0) {
          const startedAt = Date.now();
          for (const item of items) recorder.completeStartedAt.set(item.key, startedAt);
          const done = await api(recorder, apiUrl, 'POST', '/tasks/complete', { items: items.map(({ key: _key, ...item }) => item) });
          const answers = (done.json as { results?: { error?: unknown }[] } | undefined)?.results ?? [];
          const refused = answers.filter((a) => a.error !== undefined);
          if (done.status !== 200 || refused.length > 0) throw new Error(`complete: ${done.status} ${JSON.stringify(refused.length > 0 ? refused : done.json)}`);
          recorder.completed += items.length;
        }
      }
      if (messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })) }),
        );
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => loop(i)));
}
