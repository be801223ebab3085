/**
 * The loan application, code-first: the same DAG as loan-application.yaml,
 * with its handlers, an input schema, and `upstream` typed from what each
 * parent returns. One object gives the definition (`toDefinition()`), the
 * registration (`client.apply`) and the worker's handlers (`workflows: [...]`).
 *
 * End to end against the local stack (`npm start` in another terminal):
 *   node --import tsx examples/loan-application/code-first.ts
 */
import { fileURLToPath } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { TributaryClient, Worker, workflow, type WorkerLogger } from '../../client/index.ts';
import { readLocalStack, work, type LocalStack } from './worker.ts';

export const loanApplication = workflow('loan-application-ts', {
  description: 'A loan application, code-first. The applicant opens it (a manual task), credit and identity are checked in parallel, then it is decided.',
  input: z.object({ applicant: z.string().min(1), purpose: z.string().optional() }),
});

/** Manual: the application form completes it through the API with the requested amount. */
export const openApplication = loanApplication.manualTask('Open Loan Application', { output: z.object({ amount: z.number().positive() }) });

export const reviewCredit = loanApplication.task('Review Credit', { needs: [openApplication], timeoutSeconds: 30 }, async ({ upstream, signal }) => {
  const { amount } = upstream['Open Loan Application'];
  await work(300, signal);
  // Larger loans get a stricter (made-up) score, so that the decision depends on the amount.
  const score = amount > 500_000 ? 712 : 768;
  say('Review Credit', `amount ${amount} → credit score ${score}`);
  return { score, amount };
});

export const checkIdentity = loanApplication.task('Check Identity', { needs: [openApplication], timeoutSeconds: 30, retry: { maxAttempts: 3, intervalSeconds: 1, jitter: 'none' } }, async ({ input, signal }) => {
  await work(200, signal);
  say('Check Identity', `${input.applicant} → verified`);
  return { verified: true, applicant: input.applicant };
});

export const decide = loanApplication.task('Decide', { needs: [reviewCredit, checkIdentity], timeoutSeconds: 30 }, ({ upstream }) => {
  const credit = upstream['Review Credit'];
  const identity = upstream['Check Identity'];
  const approved = identity.verified && credit.score >= 700 && credit.amount <= 2_000_000;
  say('Decide', `score ${credit.score}, identity ${identity.verified ? 'verified' : 'not verified'} → ${approved ? 'approved' : 'declined'}`);
  return { approved, amount: credit.amount, rate: approved ? (credit.score >= 750 ? 0.041 : 0.049) : null };
});

let quiet = false;
const say = (task: string, line: string): void => {
  if (!quiet) console.log(`  [worker] ${task}: ${line}`);
};

/** Silences the handlers' lines (tests). */
export function quietLoanHandlers(): void {
  quiet = true;
}

const logger: WorkerLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => console.warn(`  [worker] WARN ${message} ${JSON.stringify(fields)}`),
  error: (message, fields) => console.error(`  [worker] ERROR ${message} ${JSON.stringify(fields)}`),
};

/** A Worker that takes its handlers, input parsing and manual tasks from the workflow. */
export function createCodeFirstLoanWorker(
  stack: Pick<LocalStack, 'region' | 'sqsEndpoint' | 'queues'>,
  client: TributaryClient,
  options: { logger?: WorkerLogger; waitTimeSeconds?: number } = {},
): { worker: Worker; sqs: SQSClient } {
  const sqs = new SQSClient({ region: stack.region, endpoint: stack.sqsEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const worker = new Worker({
    client,
    sqs,
    queueUrl: stack.queues.default,
    workerId: `loan-ts-worker-${process.pid}`,
    workflows: [loanApplication],
    waitTimeSeconds: options.waitTimeSeconds ?? 2,
    logger: options.logger ?? logger,
  });
  return { worker, sqs };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  console.log(loanApplication.toText());
  console.log(`\n${loanApplication.toMermaid()}\n`);
  const stack = await readLocalStack();
  const client = new TributaryClient({ baseUrl: stack.apiUrl });
  const { created, definition } = await client.apply(loanApplication);
  console.log(`apply → ${definition.name} version ${definition.version} (${created ? 'new' : 'unchanged'})`);
  const { process: started } = await client.startProcess({ definition: loanApplication.name, input: { applicant: 'Ada Lovelace', purpose: 'an analytical engine' } });
  console.log(`POST /processes → ${started.id}`);
  await client.complete(started.id, openApplication.name, { output: { amount: 1_000_000 } });
  const { worker, sqs } = createCodeFirstLoanWorker(stack, client);
  const running = worker.start();
  const deadline = Date.now() + 60_000;
  try {
    for (let view = await client.getProcess(started.id); ; view = await client.getProcess(started.id)) {
      if (Date.now() > deadline) throw new Error(`process ${started.id} is still RUNNING after 60 s`);
      if (view.status !== 'RUNNING') {
        console.log(`process ${view.id}: ${view.status}; decision ${JSON.stringify(view.tasks.find((t) => t.name === decide.name)?.output)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await worker.stop();
    await running;
    sqs.destroy();
  }
}
