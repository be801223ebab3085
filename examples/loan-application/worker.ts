/**
 * The loan application's worker: handlers for Review Credit, Check Identity
 * and Decide, run by the client's Worker against the local stack that
 * `npm start` runs (endpoints from .tributary/local.json).
 *
 * Run it on its own (Ctrl-C stops it after the tasks in hand):
 *   node --import tsx examples/loan-application/worker.ts
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { TributaryClient, Worker, type TaskContext, type TaskHandler, type WorkerLogger } from '../../client/index.ts';

/** What `npm start` writes to .tributary/local.json (the fields this example reads). */
const LocalStackSchema = z.object({
  apiUrl: z.string().url(),
  region: z.string(),
  sqsEndpoint: z.string().url(),
  queues: z.object({ default: z.string().url() }),
});
export type LocalStack = z.infer<typeof LocalStackSchema>;

const STATE_FILE = new URL('../../.tributary/local.json', import.meta.url);

/** The local stack's endpoints, or an error that says to run `npm start` first. */
export async function readLocalStack(): Promise<LocalStack> {
  let text: string;
  try {
    text = await readFile(STATE_FILE, 'utf8');
  } catch (error) {
    throw new Error(`${fileURLToPath(STATE_FILE)} not found: start the local stack first with \`npm start\` in another terminal`, { cause: error });
  }
  return LocalStackSchema.parse(JSON.parse(text));
}

/** The task the applicant completes through the API; the worker never runs it. */
export const MANUAL_TASKS = ['Open Loan Application'];

interface Application {
  readonly applicant?: string;
}
interface Opened {
  readonly amount: number;
}
interface CreditReview {
  readonly score: number;
  readonly amount: number;
}
interface IdentityCheck {
  readonly verified: boolean;
  readonly applicant: string;
}

/** Stands in for a call to a credit bureau or an identity service; gives up when the lease is lost. */
export function work(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

class IdentityServiceTimeout extends Error {
  override readonly name = 'IdentityServiceTimeout';
}

const say = (task: string, line: string): void => console.log(`  [worker] ${task}: ${line}`);

export const handlers: Readonly<Record<string, TaskHandler>> = {
  'Review Credit': async ({ input, signal }: TaskContext): Promise<CreditReview> => {
    const { amount } = input.upstream['Open Loan Application'] as Opened;
    await work(300, signal);
    // Larger loans get a stricter (made-up) score, so that the decision depends on the amount.
    const score = amount > 500_000 ? 712 : 768;
    say('Review Credit', `amount ${amount} → credit score ${score}`);
    return { score, amount };
  },
  'Check Identity': async ({ input, signal, attempt }: TaskContext): Promise<IdentityCheck> => {
    const applicant = (input.process as Application | null)?.applicant ?? 'unknown';
    await work(200, signal);
    // On purpose: the first call "times out", to show a retry. Any thrown error is retryable (see the task's retry policy);
    // throw NonRetryableTaskError to fail at once, or RetryAfterTaskError to choose the delay.
    if (attempt === 1) {
      say('Check Identity', `${applicant} → identity service timed out; the engine will retry`);
      throw new IdentityServiceTimeout('identity service timed out');
    }
    say('Check Identity', `${applicant} → verified`);
    return { verified: true, applicant };
  },
  Decide: async ({ input }: TaskContext) => {
    const credit = input.upstream['Review Credit'] as CreditReview;
    const identity = input.upstream['Check Identity'] as IdentityCheck;
    const approved = identity.verified && credit.score >= 700 && credit.amount <= 2_000_000;
    const decision = { approved, amount: credit.amount, rate: approved ? (credit.score >= 750 ? 0.041 : 0.049) : null };
    say('Decide', `score ${credit.score}, identity ${identity.verified ? 'verified' : 'not verified'} → ${approved ? 'approved' : 'declined'}`);
    return decision;
  },
};

/** Short lines for people, not JSON: this worker runs in a terminal. */
const logger: WorkerLogger = {
  debug: () => undefined,
  info: (message, fields) => console.log(`  [worker] ${message}: ${fields?.task} (attempt ${fields?.attempt}, ${fields?.durationMs} ms)`),
  warn: (message, fields) => console.warn(`  [worker] WARN ${message} ${JSON.stringify(fields)}`),
  error: (message, fields) => console.error(`  [worker] ERROR ${message} ${JSON.stringify(fields)}`),
};

/**
 * A Worker for the loan application on the local stack's default queue.
 * `waitTimeSeconds` is short so that stopping takes a moment: a deployed
 * worker keeps the default 20 s long poll, which costs fewer requests.
 */
export function createLoanWorker(stack: LocalStack, client = new TributaryClient({ baseUrl: stack.apiUrl })): { worker: Worker; sqs: SQSClient } {
  // The emulator takes any credentials; fixed ones keep the SDK from searching for real ones.
  const sqs = new SQSClient({ region: stack.region, endpoint: stack.sqsEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const worker = new Worker({
    client,
    sqs,
    queueUrl: stack.queues.default,
    workerId: `loan-worker-${process.pid}`,
    tasks: Object.keys(handlers),
    manualTasks: MANUAL_TASKS,
    waitTimeSeconds: 2,
    logger,
    handler: (task) => {
      const handler = handlers[task.task];
      if (!handler) throw new Error(`no handler for task '${task.task}'`);
      return handler(task);
    },
  });
  return { worker, sqs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { worker, sqs } = createLoanWorker(await readLocalStack());
  const stop = (): void => {
    console.log('\nstopping: releasing the tasks in hand for other workers…');
    void worker.stop();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  console.log(`loan worker polling; handles ${Object.keys(handlers).join(', ')}. Ctrl-C to stop.`);
  await worker.start();
  sqs.destroy();
}
