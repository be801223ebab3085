/**
 * Issue 18: how long a task waiting for a task concurrency slot waits after the slot frees, on the local stack
 * (DynamoDB Local, the SQS emulator, the HTTP API). Each round: a definition with `concurrency: {limit: 1}` and a
 * 10-minute lease; process A's task is claimed, B's claim is refused (409 ConcurrencyLimited, `notBefore` = A's
 * lease expiry, 600 s away); then A completes, and the clock runs until B's message is on the queue again and B's
 * claim succeeds. Without the wait list's hand-on, B's message would come back at `notBefore`.
 *
 * Run: `node --import tsx bench/slot-hand-on.ts [rounds]` (default 20). Prints the wait per round's median, p95 and
 * worst, in ms, from A's complete call returning to B's message being received, and to B's claim answering.
 * The queue is polled with short receives: the SQS emulator answers a long poll only when its wait is over, even
 * with a message on the queue (20 rounds with a 1 s wait measured 1,044 ms), which would measure the emulator.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '#adapters/aws-clients.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { TributaryClient, isTributaryApiError } from '../client/index.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ROUNDS = Number(process.argv[2] ?? 20);

const stack = await startLocalStack({ port: 0, stateFile: null, logger: (level, message) => { if (level === 'ERROR') console.error(message); } });
try {
  const client = new TributaryClient({ baseUrl: stack.apiUrl });
  const sqs = createSqsClient({ region: stack.region, sqsEndpoint: stack.sqsEndpoint });
  const queueUrl = stack.queues.default!;
  const drain = async (): Promise<string[]> => {
    const ids: string[] = [];
    for (;;) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!r.Messages?.length) return ids;
      for (const m of r.Messages) {
        ids.push((JSON.parse(m.Body ?? '{}') as { processId: string }).processId);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    }
  };
  await client.putDefinition('hand-on', 'tasks:\n  - name: call\n    timeoutSeconds: 600\n    concurrency: { limit: 1 }\n');
  const toMessage: number[] = [];
  const toClaim: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const a = (await client.startProcess({ definition: 'hand-on', input: {} })).process.id;
    const b = (await client.startProcess({ definition: 'hand-on', input: {} })).process.id;
    await drain();
    const held = await client.claim(a, 'call', 'bench-a');
    const refused = await client.claim(b, 'call', 'bench-b').then(
      () => undefined,
      (e: unknown) => (isTributaryApiError(e, 'ConcurrencyLimited') ? e : Promise.reject(e)),
    );
    if (!refused) throw new Error('the second claim was not refused: is the limit 1?');
    await client.complete(a, 'call', { leaseToken: held.leaseToken, output: {} });
    const freed = performance.now();
    for (;;) {
      const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      const mine = r.Messages?.find((m) => (JSON.parse(m.Body ?? '{}') as { processId: string }).processId === b);
      if (mine) {
        toMessage.push(performance.now() - freed);
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: mine.ReceiptHandle }));
        break;
      }
      if (performance.now() - freed > 700_000) throw new Error('no message for the waiting task within the lease');
    }
    const claimed = await client.claim(b, 'call', 'bench-b');
    toClaim.push(performance.now() - freed);
    await client.complete(b, 'call', { leaseToken: claimed.leaseToken, output: {} });
  }
  const stats = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
    return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, worst ${s.at(-1)!.toFixed(1)} ms`;
  };
  console.log(`${ROUNDS} rounds; the holder's lease (and the refused message's notBefore) was 600,000 ms away`);
  console.log(`slot freed -> waiter's message received: ${stats(toMessage)}`);
  console.log(`slot freed -> waiter's claim answered:   ${stats(toClaim)}`);
} finally {
  await stack.stop();
}
