/**
 * Issues 15 and 18: where the local stack's write units go, per operation. Runs workloads of
 * `bench/workloads.ts` on the local stack as `npm run bench` does (DynamoDB Local, the SQS emulator, the
 * handlers in-process, the same bench workers, processes started 20 at a time), one after the other, and
 * attributes every unit the capacity meter counts (`shared/adapters/capacity-meter.ts`, transactions as AWS
 * bills them) to the call that spent it: the use case and store method that sent it, the command (for a
 * transaction, the kinds of its items), and its outcome (applied; refused by its condition; a transaction
 * cancelled, with DynamoDB's reasons per item).
 *
 * How: the meter is one object on `globalThis`; its counters are turned into accessors that add each increment
 * to the call in flight, which an AsyncLocalStorage context set around the document client's `send` names.
 * Nothing in the engine changes. A diagnostic, not a figure for BENCHMARKS.md's tables (`npm run bench` is):
 * its totals should match them. Run: `node --import tsx bench/stack-write-breakdown.ts a f`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createSqsClient } from '#adapters/aws-clients.ts';
import { capacitySnapshot } from '#adapters/capacity-meter.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { api, newRecorder, runWorkers } from './bench-workers.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
Error.stackTraceLimit = 60;
const WORKER_LOOPS = Number(process.env.BENCH_WORKERS ?? 16);

/** One call in flight: what it is, and the units the meter has counted for it so far. */
interface Call {
  readonly label: string;
  write: number;
  read: number;
}
type Row = { calls: number; write: number; read: number };
const calls = new AsyncLocalStorage<Call>();
let rows = new Map<string, Row>();

// The meter's counters become accessors that also charge the call in flight (the meter is created on import).
const meter = (globalThis as unknown as Record<symbol, Record<string, number>>)[Symbol.for('tributary.capacityMeter')]!;
for (const field of ['dynamoWriteUnits', 'dynamoReadUnits'] as const) {
  let value = meter[field]!;
  Object.defineProperty(meter, field, {
    get: () => value,
    set: (next: number) => {
      const call = calls.getStore();
      if (call) call[field === 'dynamoWriteUnits' ? 'write' : 'read'] += next - value;
      else charge('(outside any send)', { write: field === 'dynamoWriteUnits' ? next - value : 0, read: field === 'dynamoReadUnits' ? next - value : 0 });
      value = next;
    },
  });
}

function charge(label: string, units: { write: number; read: number }): void {
  const row = rows.get(label) ?? { calls: 0, write: 0, read: 0 };
  rows.set(label, { calls: row.calls + 1, write: row.write + units.write, read: row.read + units.read });
}

/** `useCase > Store.method`, from the stack at the send (as `bench/write-units.ts` labels the engine's writes). */
function origin(stack: string): string {
  const frames = stack.split('\n').slice(2);
  const name = (f: string) => /at (?:async )?([\w.<>]+)/.exec(f)?.[1] ?? '?';
  const store = frames.find((f) => f.includes('/adapters/stores/') && !f.includes('row-writes'));
  // The use cases that led to it, outermost first (the innermost alone cannot tell a start's roots from a repair's).
  const apps = frames.filter((f) => f.includes('/shared/app/')).map(name).filter((n, i, all) => all.indexOf(n) === i).slice(0, 4).reverse();
  return `${apps.length > 0 ? apps.join(' → ') : '?'} > ${store ? name(store) : '?'}`;
}

/** The kind of a key: its partition key's prefix and, for a process partition, its sort key's. */
function kindOf(key: Record<string, unknown> | undefined): string {
  if (!key) return '?';
  const pk = String(key.pk ?? '');
  const sk = String(key.sk ?? '');
  const pkKind = pk.split('#')[0] ?? '?';
  return pkKind === 'PROC' ? `${sk.split('#')[0]}` : pkKind;
}

/** What a command is: its name, and for a transaction its items' operations and key kinds. */
function describe(command: { constructor: { name: string }; input?: unknown }): string {
  const name = command.constructor.name.replace(/Command$/, '');
  const input = command.input as { TransactItems?: Record<string, { Key?: Record<string, unknown>; Item?: Record<string, unknown> }>[]; Key?: Record<string, unknown>; Item?: Record<string, unknown> };
  if (input?.TransactItems) {
    const items = input.TransactItems.map((t) => {
      const [op, body] = Object.entries(t)[0]!;
      return `${op}:${kindOf(body.Key ?? body.Item)}`;
    });
    return `Transact[${items.join(',')}]`;
  }
  if (name === 'Put' || name === 'Update' || name === 'Delete') return `${name}:${kindOf(input.Key ?? input.Item)}`;
  return name;
}

function outcomeOf(error: unknown): string {
  const e = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e.name === 'ConditionalCheckFailedException') return 'refused';
  if (e.name === 'TransactionCanceledException') return `cancelled (${(e.CancellationReasons ?? []).map((r) => r.Code ?? '-').join(',')})`;
  return `error ${e.name ?? '?'}`;
}

const originalSend = DynamoDBDocumentClient.prototype.send as (...args: unknown[]) => Promise<unknown>;
(DynamoDBDocumentClient.prototype as unknown as { send: unknown }).send = function send(this: DynamoDBDocumentClient, command: never, ...rest: unknown[]) {
  const base = `${origin(new Error().stack ?? '')} | ${describe(command)}`;
  const call: Call = { label: base, write: 0, read: 0 };
  return calls.run(call, async () => {
    try {
      const out = await originalSend.call(this, command, ...rest);
      charge(`${base} | applied`, call);
      return out;
    } catch (error) {
      charge(`${base} | ${outcomeOf(error)}`, call);
      throw error;
    }
  });
};

async function run(stack: Awaited<ReturnType<typeof startLocalStack>>, w: Workload): Promise<void> {
  const recorder = newRecorder();
  const sqs = createSqsClient({ region: stack.region, sqsEndpoint: stack.sqsEndpoint });
  const name = `probe-${w.id}-${Date.now()}`;
  const put = await api(recorder, stack.apiUrl, 'PUT', `/definitions/${name}`, w.definition);
  if (put.status !== 201) throw new Error(`PUT definition: ${put.status}`);
  const total = (w.workerTasks ?? w.definition.tasks.length) * w.processes;
  rows = new Map();
  const before = capacitySnapshot();
  const started = performance.now();
  const workers = runWorkers({ sqs, queueUrl: stack.queues.default!, apiUrl: stack.apiUrl, recorder, concurrency: WORKER_LOOPS, done: () => recorder.completed >= total });
  for (let i = 0; i < w.processes; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, w.processes - i) }, () => api(recorder, stack.apiUrl, 'POST', '/processes', { definition: name, input: w.input ?? { n: i } })));
  }
  await workers;
  const seconds = (performance.now() - started) / 1000;
  const after = capacitySnapshot();
  const measured = rows;
  rows = new Map();
  const wcu = after.dynamoWriteUnits - before.dynamoWriteUnits;
  console.log(`\n## (${w.id}) ${w.title}: ${total} tasks in ${seconds.toFixed(1)} s, ${(wcu / total).toFixed(2)} WCU/task, ${((after.dynamoReadUnits - before.dynamoReadUnits) / total).toFixed(2)} RCU/task\n`);
  console.log('| use case > store method | command | outcome | calls | WCU | WCU/task | RCU/task |');
  console.log('|---|---|---|---|---|---|---|');
  const sorted = [...measured].sort((x, y) => y[1].write - x[1].write);
  for (const [label, r] of sorted) {
    if (r.write === 0 && r.read === 0) continue;
    const [who, what, outcome] = label.split(' | ');
    console.log(`| ${who} | ${what} | ${outcome} | ${r.calls} | ${r.write.toFixed(1)} | ${(r.write / total).toFixed(3)} | ${(r.read / total).toFixed(3)} |`);
  }
  sqs.destroy();
}

const only = process.argv.slice(2);
const chosen = only.map((id) => WORKLOADS.find((x) => x.id === id) ?? (() => { throw new Error(`no workload ${id}`); })());
const stack = await startLocalStack({ port: 0, stateFile: null, env: {}, tableName: `tributary-probe-${Date.now()}`, queuePrefix: 'probe-' });
try {
  for (const w of chosen) await run(stack, w);
} finally {
  await stack.stop();
}
