/**
 * The loan application end to end, against the local stack (`npm start` in
 * another terminal): put the definition, start a process, complete the manual
 * "Open Loan Application" task as the applicant would, run the worker until
 * the process completes, and print every task.
 *
 *   node --import tsx examples/loan-application/run.ts
 */
import { readFile } from 'node:fs/promises';
import { TributaryClient, type Process } from '../../client/index.ts';
import { createLoanWorker, readLocalStack } from './worker.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DEFINITION = 'loan-application';
const TIMEOUT_MS = 60_000;

const stack = await readLocalStack();
const client = new TributaryClient({ baseUrl: stack.apiUrl });
await client.health().catch((error: unknown) => {
  throw new Error(`the API at ${stack.apiUrl} does not answer: is \`npm start\` still running?`, { cause: error });
});

const yaml = await readFile(new URL('./loan-application.yaml', import.meta.url), 'utf8');
const { created, definition } = await client.putDefinition(DEFINITION, yaml);
console.log(`PUT /definitions/${DEFINITION} → version ${definition.version} (${created ? 'new' : 'unchanged'}), ${definition.tasks.length} tasks`);

const { process: started } = await client.startProcess({ definition: DEFINITION, input: { applicant: 'Ada Lovelace', purpose: 'an analytical engine' } });
console.log(`POST /processes → ${started.id} (${started.status})`);

// The applicant submits the form: a person completes the manual task, without a lease.
await client.complete(started.id, 'Open Loan Application', { output: { amount: 1000000 } });
console.log(`POST /processes/${started.id}/tasks/Open%20Loan%20Application/complete → {"amount":1000000}`);

const { worker, sqs } = createLoanWorker(stack, client);
const running = worker.start();
console.log('worker started');

let view: Process;
let last = '';
const deadline = Date.now() + TIMEOUT_MS;
try {
  for (;;) {
    view = await client.getProcess(started.id);
    const line = `progress ${view.progress.completed}/${view.progress.total} (${view.progress.percent}%) ${view.status}: ${view.tasks.map((t) => `${t.name}=${t.status}`).join(', ')}`;
    if (line !== last) console.log(line);
    last = line;
    if (view.status !== 'RUNNING') break;
    if (Date.now() > deadline) throw new Error(`process ${started.id} is still RUNNING after ${TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
} finally {
  await worker.stop();
  await running;
  sqs.destroy();
  console.log('worker stopped');
}

console.log(`\nprocess ${view.id}: ${view.status}`);
printTable(
  ['task', 'status', 'attempt', 'worker', 'output'],
  view.tasks.map((t) => [t.name, t.status, String(t.attempt), t.workerId ?? '(manual)', JSON.stringify(t.output ?? t.error ?? null)]),
);
process.exitCode = view.status === 'COMPLETED' ? 0 : 1;

function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
}
