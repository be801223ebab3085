/**
 * `npm run bench`: runs the three workloads of issue #2 against the local
 * stack (embedded DynamoDB Local and SQS emulator, handlers in-process) and
 * prints throughput, latency, units per task and dollars per million tasks,
 * Lambda compute included (issue 19, part 3: measured on the in-memory engine in the same run).
 * Figures are recorded in BENCHMARKS.md. Not part of `npm test`.
 */
import { writeFileSync } from 'node:fs';
import { createS3Client, createSqsClient } from '#adapters/aws-clients.ts';
import { capacityDelta, capacitySnapshot } from '#adapters/capacity-meter.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { api, newRecorder, runWorkers } from './bench-workers.ts';
import { costPerMillionTasks, lambdaSecondsPerTask, percentile, type ComputePerTask, type PerTask } from './pricing.ts';
import { measureEngine } from './engine-cpu.ts';
import { LAMBDA_MEMORY_MB } from '../infra/lambda-memory.ts';
import { WORKLOADS, needsOf, type Workload } from './workloads.ts';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const WORKER_LOOPS = Number(process.env.BENCH_WORKERS ?? 16);

interface Result {
  readonly workload: string;
  readonly title: string;
  readonly tasks: number;
  readonly seconds: number;
  readonly tasksPerSecond: number;
  /** From a complete call until the next task's message could be received (SQS SentTimestamp). */
  readonly latencyMs: { p50: number; p99: number; samples: number };
  /** From a complete call until a worker actually received the next message (includes queue backlog). */
  readonly pickupMs: { p50: number; p99: number };
  readonly dynamoRequestsPerTask: number;
  readonly perTask: PerTask;
  readonly costPerMillionTasks: Record<string, number>;
}

/**
 * Issue 19, part 3: the API functions' compute per task, measured in this bench run on the in-memory engine
 * (`bench/engine-cpu.ts`, one metered run of the same workload): their handlers' CPU and the DynamoDB and SQS calls
 * they make, at the construct's memory setting.
 */
async function computeOf(w: Workload): Promise<ComputePerTask> {
  const e = await measureEngine(w, { perInvocation: true });
  return { cpuMicros: e.apiCpuMicrosPerTask, dynamoCalls: e.apiTableCallsPerTask, sqsCalls: e.apiQueueCallsPerTask, memoryMb: LAMBDA_MEMORY_MB };
}

async function runWorkload(stack: Awaited<ReturnType<typeof startLocalStack>>, w: Workload, compute: ComputePerTask): Promise<Result> {
  const recorder = newRecorder();
  const sqs = createSqsClient({ region: stack.region, sqsEndpoint: stack.sqsEndpoint });
  const name = `bench-${w.id}-${Date.now()}`;
  const put = await api(recorder, stack.apiUrl, 'PUT', `/definitions/${name}`, w.definition);
  if (put.status !== 201) throw new Error(`PUT definition: ${put.status} ${JSON.stringify(put.json)}`);
  const total = (w.workerTasks ?? w.definition.tasks.length) * w.processes;
  if (w.s3Lines) await putLines(stack, w.s3Lines.key, w.s3Lines.lines);

  const before = capacitySnapshot();
  const apiBefore = recorder.apiRequests;
  const started = performance.now();
  const workers = runWorkers({
    sqs,
    queueUrl: stack.queues.default!,
    apiUrl: stack.apiUrl,
    recorder,
    concurrency: WORKER_LOOPS,
    done: () => recorder.completed >= total,
  });
  const ids: string[] = [];
  for (let i = 0; i < w.processes; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, w.processes - i) }, () => api(recorder, stack.apiUrl, 'POST', '/processes', { definition: name, input: w.input ?? { n: i } })),
    );
    ids.push(...batch.map((b) => (b.json as { id: string }).id));
  }
  await workers;
  const seconds = (performance.now() - started) / 1000;
  const used = capacityDelta(capacitySnapshot(), before);
  const apiRequests = recorder.apiRequests - apiBefore;

  for (const id of ids) {
    const p = await fetch(`${stack.apiUrl}/processes/${id}`).then((r) => r.json() as Promise<{ status: string }>);
    if (p.status !== 'COMPLETED') throw new Error(`process ${id} is ${p.status}`);
  }

  const needs = needsOf(w);
  const sinceTrigger = (times: Map<string, number>): number[] => {
    const out: number[] = [];
    for (const [key, at] of times) {
      const [processId, task] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
      const parents = needs.get(task) ?? [];
      if (parents.length === 0) continue;
      // The completion that made the task ready is its parents' last one.
      const trigger = Math.max(...parents.map((p) => recorder.completeStartedAt.get(`${processId}/${p}`) ?? Number.NaN));
      if (Number.isFinite(trigger)) out.push(at - trigger);
    }
    return out.sort((a, b) => a - b);
  };
  const latencies = sinceTrigger(recorder.sentAt);
  const pickups = sinceTrigger(recorder.receivedAt);
  const perTask: PerTask = {
    dynamoWriteUnits: used.dynamoWriteUnits / total,
    dynamoReadUnits: used.dynamoReadUnits / total,
    sqsRequests: used.sqsRequests / total,
    apiRequests: apiRequests / total,
    lambdaInvocations: apiRequests / total,
    compute,
  };
  return {
    workload: w.id,
    title: w.title,
    tasks: total,
    seconds,
    tasksPerSecond: total / seconds,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length },
    pickupMs: { p50: percentile(pickups, 50), p99: percentile(pickups, 99) },
    dynamoRequestsPerTask: used.dynamoRequests / total,
    perTask,
    costPerMillionTasks: costPerMillionTasks(perTask),
  };
}

/** A JSON Lines object of `lines` rows on the stack's S3 emulator, in the bucket the workload's map reads. */
async function putLines(stack: Awaited<ReturnType<typeof startLocalStack>>, key: string, lines: number): Promise<void> {
  const s3 = createS3Client({ region: stack.region, s3Endpoint: stack.s3Endpoint });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'tributary-bench' })).catch(() => undefined);
    await s3.send(new PutObjectCommand({ Bucket: 'tributary-bench', Key: key, Body: `${Array.from({ length: lines }, (_, i) => JSON.stringify({ row: i })).join('\n')}\n` }));
  } finally {
    s3.destroy();
  }
}

const f = (n: number, d = 2) => n.toFixed(d);

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = WORKLOADS.filter((x) => only.length === 0 || only.includes(x.id));
  // Compute first, on the in-memory engine, before the stack's emulators load the machine.
  const computes = new Map<string, ComputePerTask>();
  // A small unmeasured run first, so the JIT's warm-up is not billed to the first workload (as bench:engine does).
  if (chosen.length > 0) await measureEngine({ ...WORKLOADS[0]!, processes: 20 }, { perInvocation: false });
  for (const w of chosen) {
    process.stdout.write(`measuring (${w.id}) on the in-memory engine ... `);
    computes.set(w.id, await computeOf(w));
    console.log(`${f(computes.get(w.id)!.cpuMicros, 0)} µs handler CPU per task`);
  }
  const stack = await startLocalStack({ port: 0, stateFile: null, env: {}, tableName: `tributary-bench-${Date.now()}`, queuePrefix: 'bench-' });
  const results: Result[] = [];
  try {
    for (const w of chosen) {
      process.stdout.write(`running (${w.id}) ${w.title} ... `);
      const r = await runWorkload(stack, w, computes.get(w.id)!);
      results.push(r);
      console.log(`${r.tasks} tasks in ${f(r.seconds, 1)} s`);
    }
  } finally {
    await stack.stop();
  }
  console.log(
    '\n| workload | tasks | tasks/s | ready p50 / p99 ms | picked up p50 / p99 ms | WCU/task | RCU/task | DynamoDB req/task | SQS req/task | API req/task | Lambda compute ms/task (CPU µs) | $/M tasks (DynamoDB + SQS + API GW + Lambda req + Lambda compute) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const c = r.costPerMillionTasks;
    console.log(
      `| (${r.workload}) ${r.title} | ${r.tasks} | ${f(r.tasksPerSecond, 1)} | ${f(r.latencyMs.p50, 0)} / ${f(r.latencyMs.p99, 0)} | ${f(r.pickupMs.p50, 0)} / ${f(r.pickupMs.p99, 0)} | ${f(r.perTask.dynamoWriteUnits)} | ${f(r.perTask.dynamoReadUnits)} | ${f(r.dynamoRequestsPerTask)} | ${f(r.perTask.sqsRequests)} | ${f(r.perTask.apiRequests)} | ${f(1000 * lambdaSecondsPerTask(r.perTask.compute!), 1)} (${f(r.perTask.compute!.cpuMicros, 0)}) | ${f(c.total!)} = ${f(c.dynamodb!)} + ${f(c.sqs!)} + ${f(c.apiGateway!)} + ${f(c.lambdaRequests!)} + ${f(c.lambdaCompute!)} |`,
    );
  }
  writeFileSync('bench-results.json', JSON.stringify({ at: new Date().toISOString(), node: process.version, workerLoops: WORKER_LOOPS, results }, null, 2));
  console.log('\nwritten: bench-results.json');
}

await main();
