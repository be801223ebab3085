/**
 * Issue 19, part 4: the engine's own CPU per task. Runs the bench's workloads
 * (bench/workloads.ts, the same definitions) on createTestEngine(): the real
 * handlers and use cases over the in-memory table and queues, no I/O. Prints,
 * per workload, CPU µs per task (user + system, `process.cpuUsage()`, over the
 * measured window: starts, claims, completes and sweeps, plus the in-process
 * client and test worker that call them), tasks per second, and what part 3
 * prices as Lambda compute: function invocations, their CPU, and the table and
 * queue calls they make, per task, and that compute's price (bench/pricing.ts).
 *
 * Run: `npm run bench:engine` (node --import tsx bench/engine-cpu.ts [workload ids…], default a b c);
 * `BENCH_REPEATS` (default 5) runs each workload that many times and prints the least CPU of them.
 */
import { pathToFileURL } from 'node:url';
import type { MemoryMapItemSource } from '#adapters/memory/memory-map-item-source.ts';
import { createTestEngine, type TestEngine } from '../testing/index.ts';
import { WORKLOADS, type Workload } from './workloads.ts';
import { lambdaComputePerTask, lambdaSecondsPerTask, type ComputePerTask } from './pricing.ts';
import { LAMBDA_MEMORY_MB } from '../infra/lambda-memory.ts';

/** What one workload cost on the in-memory engine. */
export interface EngineFigures {
  readonly workload: string;
  readonly tasks: number;
  readonly seconds: number;
  /** CPU (user + system) of the whole measured window, per task. */
  readonly cpuMicrosPerTask: number;
  readonly tasksPerSecond: number;
  /** API function invocations (one per route call) per task. */
  readonly apiInvocationsPerTask: number;
  /** CPU of the API functions' handlers alone, per invocation. */
  readonly apiCpuMicrosPerInvocation: number;
  /** CPU of the API functions' handlers, per task. */
  readonly apiCpuMicrosPerTask: number;
  /** CPU of the sweeper's runs, per task (the test engine sweeps every round; a deployment once a minute). */
  readonly sweeperCpuMicrosPerTask: number;
  /** Table calls per task, as the DynamoDB adapter would make them (a batch get per 100 keys). */
  readonly tableCallsPerTask: number;
  /** Queue sends per task, as the SQS adapter makes them (one SendMessageBatch per 10 messages of a queue). */
  readonly queueCallsPerTask: number;
  /** Of those, the calls the API functions made (the rest are the sweeper's). NaN unless metered per invocation. */
  readonly apiTableCallsPerTask: number;
  readonly apiQueueCallsPerTask: number;
}

interface Counters {
  apiInvocations: number;
  apiCpu: number;
  sweeperCpu: number;
  tableCalls: number;
  queueCalls: number;
  apiTableCalls: number;
  apiQueueCalls: number;
  /** The table and queue calls counted when the last invocation ended: the next one's are what follows. */
  seen: { table: number; queue: number };
  metering: boolean;
}

/** Counts the table's and queue's calls, as their AWS adapters would make them, while `c.metering`. */
function countCalls(engine: TestEngine, c: Counters): void {
  const table = engine.table as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of ['get', 'getMany', 'queryPartition', 'queryPartitionPage', 'queryIndex', 'write', 'transact']) {
    const original = table[name]!.bind(engine.table);
    table[name] = (...args: unknown[]) => {
      if (c.metering) c.tableCalls += name === 'getMany' ? Math.max(1, Math.ceil((args[0] as unknown[]).length / 100)) : 1;
      return original(...args);
    };
  }
  const queue = engine.queue as unknown as { send: (s: { messages: readonly { queue: string }[] }) => Promise<void> };
  const send = queue.send.bind(engine.queue);
  queue.send = (s) => {
    if (c.metering) {
      const perQueue = new Map<string, number>();
      for (const m of s.messages) perQueue.set(m.queue, (perQueue.get(m.queue) ?? 0) + 1);
      for (const n of perQueue.values()) c.queueCalls += Math.ceil(n / 10);
    }
    return send(s);
  };
}

/**
 * Runs one workload to the end on a fresh test engine and measures it. With `perInvocation`, each function
 * invocation's CPU is read too (two `process.cpuUsage()` calls each, which add their own cost to the window's CPU);
 * without it the invocation figures are NaN.
 */
export async function measureEngine(w: Workload, { perInvocation }: { perInvocation: boolean }): Promise<EngineFigures> {
  const c: Counters = { apiInvocations: 0, apiCpu: 0, sweeperCpu: 0, tableCalls: 0, queueCalls: 0, apiTableCalls: 0, apiQueueCalls: 0, seen: { table: 0, queue: 0 }, metering: false };
  const engine = createTestEngine({
    onInvocation: !perInvocation ? undefined : ({ fn, cpuMicros }) => {
      if (!c.metering) return;
      // Invocations run one at a time and only they use the table and queues: the calls since the last one ended are this one's.
      if (fn === 'sweeper') c.sweeperCpu += cpuMicros;
      else {
        c.apiInvocations += 1;
        c.apiCpu += cpuMicros;
        c.apiTableCalls += c.tableCalls - c.seen.table;
        c.apiQueueCalls += c.queueCalls - c.seen.queue;
      }
      c.seen = { table: c.tableCalls, queue: c.queueCalls };
    },
  });
  countCalls(engine, c);
  if (w.s3Lines) {
    const body = `${Array.from({ length: w.s3Lines.lines }, (_, i) => JSON.stringify({ row: i })).join('\n')}\n`;
    (engine.deps.mapItems as MemoryMapItemSource).putObject('tributary-bench', w.s3Lines.key, body);
  }
  const name = `bench-${w.id}`;
  await engine.client.putDefinition(name, JSON.stringify(w.definition));
  engine.worker({ handler: async () => ({ ok: true }) });
  const total = (w.workerTasks ?? w.definition.tasks.length) * w.processes;

  c.metering = true;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const ids: string[] = [];
  for (let i = 0; i < w.processes; i++) ids.push((await engine.client.startProcess({ definition: name, input: w.input ?? { n: i } })).process.id);
  // runUntilIdle gives up after 10,000 rounds (a round delivers one receive of 10): a map of 10,000 children needs more.
  for (let more = true; more; ) {
    more = await engine.runUntilIdle().then(
      () => false,
      (e: unknown) => {
        if (e instanceof Error && e.message.includes('did not go idle')) return true;
        throw e;
      },
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  c.metering = false;

  for (const id of ids) {
    const view = await engine.client.getProcess(id);
    if (view.status !== 'COMPLETED') throw new Error(`workload (${w.id}): process ${id} ended ${view.status}`);
  }
  return {
    workload: w.id,
    tasks: total,
    seconds,
    cpuMicrosPerTask: (cpu.user + cpu.system) / total,
    tasksPerSecond: total / seconds,
    apiInvocationsPerTask: perInvocation ? c.apiInvocations / total : Number.NaN,
    apiCpuMicrosPerInvocation: perInvocation ? c.apiCpu / c.apiInvocations : Number.NaN,
    apiCpuMicrosPerTask: perInvocation ? c.apiCpu / total : Number.NaN,
    sweeperCpuMicrosPerTask: perInvocation ? c.sweeperCpu / total : Number.NaN,
    tableCallsPerTask: c.tableCalls / total,
    queueCallsPerTask: c.queueCalls / total,
    apiTableCallsPerTask: perInvocation ? c.apiTableCalls / total : Number.NaN,
    apiQueueCallsPerTask: perInvocation ? c.apiQueueCalls / total : Number.NaN,
  };
}

const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const pick = ({ seconds, cpuMicrosPerTask, tasksPerSecond }: EngineFigures) => ({ seconds, cpuMicrosPerTask, tasksPerSecond });

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = WORKLOADS.filter((w) => (only.length === 0 ? ['a', 'b', 'c'].includes(w.id) : only.includes(w.id)));
  // One unmeasured run first, so module loading and the JIT's warm-up are not billed to the first workload.
  await measureEngine({ ...WORKLOADS[0]!, processes: 20 }, { perInvocation: false });
  const f = (n: number, d = 0) => n.toFixed(d);
  console.log('| workload | tasks | CPU µs/task | tasks per CPU-second | tasks/s (wall) | API invocations/task | API handler CPU µs/invocation | API CPU µs/task | sweeper CPU µs/task | table calls/task (by the API) | queue sends/task (by the API) | Lambda compute ms/task | Lambda compute $/M tasks |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const w of chosen) {
    // The window's CPU and rate: the least of REPEATS runs without per-invocation metering (the machine is shared:
    // another's load slows a run, never speeds it up); the split from one more, metered run.
    const runs: EngineFigures[] = [];
    for (let i = 0; i < REPEATS; i++) runs.push(await measureEngine(w, { perInvocation: false }));
    runs.sort((x, y) => x.cpuMicrosPerTask - y.cpuMicrosPerTask);
    const r = { ...(await measureEngine(w, { perInvocation: true })), ...pick(runs[0]!) };
    const compute: ComputePerTask = { cpuMicros: r.apiCpuMicrosPerTask, dynamoCalls: r.apiTableCallsPerTask, sqsCalls: r.apiQueueCallsPerTask, memoryMb: LAMBDA_MEMORY_MB };
    console.log(
      `| (${w.id}) ${w.title} | ${r.tasks} | ${f(r.cpuMicrosPerTask)} | ${f(1e6 / r.cpuMicrosPerTask)} | ${f(r.tasksPerSecond)} | ${f(r.apiInvocationsPerTask, 2)} | ${f(r.apiCpuMicrosPerInvocation)} | ${f(r.apiCpuMicrosPerTask)} | ${f(r.sweeperCpuMicrosPerTask)} | ${f(r.tableCallsPerTask, 2)} (${f(r.apiTableCallsPerTask, 2)}) | ${f(r.queueCallsPerTask, 2)} (${f(r.apiQueueCallsPerTask, 2)}) | ${f(1000 * lambdaSecondsPerTask(compute), 1)} | ${f(1e6 * lambdaComputePerTask(compute), 3)} |`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
