/**
 * `npm run bench:reads`: does a read's cost grow with the process's width? On the local stack (embedded DynamoDB
 * Local and SQS emulator, handlers in-process, free ports), it runs a 10-task and a 3,000-task process to the end
 * (a fan-out and a join, every task completed with a small output), then measures the same GETs on both, 20 times
 * each, interleaved: `GET /processes/{id}` (the 3,000-task one embeds its first 50 tasks and `tasksNextToken`: checked)
 * and the first page of `GET /processes/{id}/tasks` (100 tasks). It prints the median
 * time and DynamoDB read units of each, and exits 1 when the 3,000-task figure of `GET /processes/{id}` is more than 3
 * times the 10-task one (time or units): the issue's bound for the same GET. The task page is reported, not bounded:
 * its 100 tasks against the 10 of a 10-task process are ten times the items, by definition. Not part of `npm test`: a
 * benchmark, not a timed test. Figures go in BENCHMARKS.md.
 */
import { capacityDelta, capacitySnapshot } from '#adapters/capacity-meter.ts';
import { createSqsClient } from '#adapters/aws-clients.ts';
import { EMBEDDED_TASKS_OF_LARGE_PROCESS } from '#app/process-views.ts';
import { startLocalStack } from '../local/local-stack.ts';
import { api, newRecorder, runWorkers } from './bench-workers.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ROUNDS = 20;
const MAX_RATIO = 3;
const WIDTHS = [10, 3000] as const;

function fanOutJoin(tasks: number): { tasks: { name: string; needs?: string[] }[] } {
  const middle = Array.from({ length: tasks - 2 }, (_, i) => `fan-${String(i).padStart(4, '0')}`);
  return { tasks: [{ name: 'split' }, ...middle.map((name) => ({ name, needs: ['split'] })), { name: 'join', needs: middle }] };
}

interface Sample {
  readonly ms: number;
  readonly readUnits: number;
  readonly bytes: number;
  readonly status: number;
}

async function measure(url: string): Promise<Sample> {
  const before = capacitySnapshot();
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  const ms = performance.now() - started;
  return { ms, readUnits: capacityDelta(capacitySnapshot(), before).dynamoReadUnits, bytes: Buffer.byteLength(body), status: response.status };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const stack = await startLocalStack({ port: 0, stateFile: null, env: {}, tableName: `tributary-bench-reads-${Date.now()}`, queuePrefix: 'bench-reads-' });
let failed = false;
try {
  const recorder = newRecorder();
  const sqs = createSqsClient({ region: stack.region, sqsEndpoint: stack.sqsEndpoint });
  const ids = new Map<number, string>();
  for (const width of WIDTHS) {
    const name = `bench-reads-${width}-${Date.now()}`;
    const put = await api(recorder, stack.apiUrl, 'PUT', `/definitions/${name}`, fanOutJoin(width));
    if (put.status !== 201) throw new Error(`PUT definition: ${put.status} ${JSON.stringify(put.json)}`);
    const target = recorder.completed + width;
    const workers = runWorkers({ sqs, queueUrl: stack.queues.default!, apiUrl: stack.apiUrl, recorder, concurrency: 8, done: () => recorder.completed >= target });
    const started = await api(recorder, stack.apiUrl, 'POST', '/processes', { definition: name, input: { width } });
    await workers;
    ids.set(width, (started.json as { id: string }).id);
    console.error(`ran the ${width}-task process to its end`);
  }
  // What the lead's design asks of the process view: every task of a small process, the first 50 of a large one.
  for (const width of WIDTHS) {
    const view = (await (await fetch(`${stack.apiUrl}/processes/${ids.get(width)!}`)).json()) as { tasks: unknown[]; tasksNextToken?: string };
    const embedded = width <= 100 ? width : EMBEDDED_TASKS_OF_LARGE_PROCESS;
    const ok = view.tasks.length === embedded && (view.tasksNextToken !== undefined) === width > 100;
    failed ||= !ok;
    console.log(`GET /processes/{id} of ${width} tasks embeds ${view.tasks.length} tasks${view.tasksNextToken === undefined ? '' : ' and tasksNextToken'} ${ok ? 'ok' : `(expected ${embedded})`}`);
  }
  const routes = { process: (id: string) => `/processes/${id}`, tasksPage: (id: string) => `/processes/${id}/tasks` };
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [route, path] of Object.entries(routes)) {
      for (const width of WIDTHS) {
        const key = `${route}@${width}`;
        samples.set(key, [...(samples.get(key) ?? []), await measure(`${stack.apiUrl}${path(ids.get(width)!)}`)]);
      }
    }
  }
  const rows = [...samples].map(([key, s]) => ({
    key,
    status: s[0]!.status,
    medianMs: Number(median(s.map((x) => x.ms)).toFixed(2)),
    medianReadUnits: median(s.map((x) => x.readUnits)),
    bytes: median(s.map((x) => x.bytes)),
  }));
  console.table(rows);
  for (const route of Object.keys(routes)) {
    const [small, large] = WIDTHS.map((w) => rows.find((r) => r.key === `${route}@${w}`)!);
    if (small!.status !== 200 || large!.status !== 200) {
      console.log(`${route}: answered ${small!.status} / ${large!.status}, not compared`);
      failed = true;
      continue;
    }
    const timeRatio = large!.medianMs / small!.medianMs;
    const unitRatio = large!.medianReadUnits / Math.max(small!.medianReadUnits, 0.5);
    const bounded = route === 'process';
    const ok = timeRatio <= MAX_RATIO && unitRatio <= MAX_RATIO;
    if (bounded) failed ||= !ok;
    const verdict = bounded ? `(limit x${MAX_RATIO}) ${ok ? 'ok' : 'TOO MUCH'}` : '(reported: a page of 100 items against one of 10)';
    console.log(`${route}: 3,000 vs 10 tasks: time x${timeRatio.toFixed(2)}, read units x${unitRatio.toFixed(2)} ${verdict}`);
  }
} finally {
  await stack.stop();
}
process.exit(failed ? 1 : 0);
