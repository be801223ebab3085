import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { completeTask } from '#app/end-task.ts';
import { pauseProcess, resumeProcess } from '#app/pause-process.ts';
import { rerunProcess } from '#app/rerun-process.ts';
import { rerunProcesses } from '#app/rerun-processes.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import type { ProcessItem, TaskItem } from '#schemas/items.ts';
import { dynamoEngine, putYaml, type Deps, type Engine } from '../support/engines.ts';

/**
 * Issue 15, part 2, at scale on DynamoDB Local and the SQS emulator: a
 * 3,001-task process (a root fanning out to 3,000 children) is paused,
 * resumed, cancelled, rerun, cancelled again and bulk-rerun with a second
 * one. Every call answers with its pass part-done (the budget is low and the
 * clock moves 10 ms per AWS call, so a call runs out of it after one chunk of
 * 100 tasks, deterministically, whatever the machine's load); the sweep use
 * case, called in a loop, finishes each pass from its cursor; then every task
 * is checked.
 *
 * The grace periods are a day, so that no task's resend falls due while the
 * virtual clock runs: the sweeps here only do the passes.
 */
const WIDTH = 3000;
const CHILDREN = Array.from({ length: WIDTH }, (_, i) => `T${i}`);
const WIDE = `tasks:\n  - name: Root\n${CHILDREN.map((c) => `  - name: ${c}\n    needs: [Root]\n`).join('')}`;
const DAY = 24 * 3600 * 1000;
const SETTINGS = { enqueueGraceMs: DAY, followUpGraceMs: DAY, followUpBudgetMs: 500, sweepFollowUpBudgetMs: 1000 };

let engine: Engine;
let deps: Deps;
/** The calls under test: the clock moves 10 ms after each AWS call. */
let stepping: Deps;

beforeAll(async () => {
  engine = await dynamoEngine('wide-passes', SETTINGS);
  deps = engine.deps;
  stepping = engine.invocation({ hooks: { after: () => engine.clock.advance(10) } });
  await putYaml(deps, 'wide-passes', WIDE);
}, 300_000);

/** Sweeps (moving the clock to the process's sweep time) until the process owes no pass; answers how many sweeps it took. */
async function sweepUntilDone(id: string): Promise<number> {
  for (let round = 1; round <= 200; round++) {
    const process = await deps.processes.get({ id });
    if (!process || process.sweepAt === undefined) return round - 1;
    if (process.sweepAt > engine.clock.now()) engine.clock.advance(process.sweepAt - engine.clock.now());
    await sweep(stepping);
  }
  throw new Error(`process ${id} still owes a pass after 200 sweeps`);
}

/** Every task item of the process, by name (the test's own look, in batches of 100: one query page would stop at 1 MB). */
async function tasksOf(id: string): Promise<Map<string, TaskItem>> {
  return deps.tasks.getMany({ processId: id, tasks: ['Root', ...CHILDREN] });
}

const count = (tasks: Map<string, TaskItem>, test: (t: TaskItem) => boolean) =>
  CHILDREN.filter((c) => {
    const t = tasks.get(c);
    return t !== undefined && test(t);
  }).length;

/** A started process whose root completed and whose 3,000 children are all SCHEDULED. */
async function fannedOut(): Promise<string> {
  const { process } = await startProcess(deps, { definition: 'wide-passes' });
  const root = await claimTask(deps, process.id, 'Root', 'w');
  // The fan-out is not under test here (tests/integration/wide-fan-out.test.ts): the clock stands still, so it fits the call.
  await completeTask(deps, process.id, 'Root', { leaseToken: root.leaseToken, output: {} });
  expect(count(await tasksOf(process.id), (t) => t.status === 'SCHEDULED')).toBe(WIDTH);
  return process.id;
}

/** The call left part of its pass to the sweeper, with a cursor. */
function expectOwed(process: ProcessItem | undefined, reason: string): void {
  expect(process).toMatchObject({ sweepAt: expect.any(Number), sweepReason: reason, resumeFrom: expect.any(Number) });
}

describe('passes over a 3,001-task process, budgeted and finished by the sweeper', () => {
  let id: string;

  it('pause: the call answers PAUSED with the marks part-done; the sweeper marks every child held', async () => {
    id = await fannedOut();
    expect((await pauseProcess(stepping, id, 'scale test')).status).toBe('PAUSED');
    expectOwed(await deps.processes.get({ id }), 'pause');
    expect(count(await tasksOf(id), (t) => t.held === true)).toBeLessThan(WIDTH);
    expect(await sweepUntilDone(id)).toBeGreaterThan(1);
    expect(count(await tasksOf(id), (t) => t.held === true)).toBe(WIDTH);
  }, 600_000);

  it('resume: the call answers RUNNING; the sweeper removes every mark', async () => {
    expect((await resumeProcess(stepping, id)).status).toBe('RUNNING');
    expectOwed(await deps.processes.get({ id }), 'resume');
    expect(await sweepUntilDone(id)).toBeGreaterThan(1);
    const tasks = await tasksOf(id);
    expect(count(tasks, (t) => t.held === true)).toBe(0);
    expect(count(tasks, (t) => t.status === 'SCHEDULED')).toBe(WIDTH);
  }, 600_000);

  it('cancel: the call answers CANCELLED; the sweeper cancels every child, and the root stays COMPLETED', async () => {
    expect((await cancelProcess(stepping, id)).status).toBe('CANCELLED');
    expectOwed(await deps.processes.get({ id }), 'cleanup');
    expect(await sweepUntilDone(id)).toBeGreaterThan(1);
    const tasks = await tasksOf(id);
    expect(count(tasks, (t) => t.status === 'CANCELLED')).toBe(WIDTH);
    expect(tasks.get('Root')).toMatchObject({ status: 'COMPLETED' });
  }, 600_000);

  it('rerun: the call answers run 2 with the plan so far; the sweeper resets and schedules every child once', async () => {
    const outcome = await rerunProcess(stepping, id, {});
    expect(outcome).toMatchObject({ run: 2, partial: true, total: WIDTH + 1 });
    expect(outcome.planned).toBeLessThan(WIDTH + 1);
    expect(outcome.kept).toEqual(['Root']);
    expectOwed(await deps.processes.get({ id }), 'rerun');
    expect(await sweepUntilDone(id)).toBeGreaterThan(1);
    const tasks = await tasksOf(id);
    expect(count(tasks, (t) => t.status === 'SCHEDULED' && t.run === 2 && t.attempt === 1)).toBe(WIDTH);
    expect(tasks.get('Root')).toMatchObject({ status: 'COMPLETED' });
    expect(tasks.get('Root')?.run ?? 1).toBe(1);
  }, 600_000);

  it('bulk rerun: its pages answer for both cancelled processes, each call within its budget; the sweeper finishes both passes', async () => {
    await cancelProcess(deps, id);
    await sweepUntilDone(id);
    const { process: second } = await startProcess(deps, { definition: 'wide-passes' });
    await cancelProcess(deps, second.id);
    await sweepUntilDone(second.id);

    // Page after page, as the CLI does: each call answers within its budget, and a page over the sharded status
    // index may hold one of the two.
    const rerun: string[] = [];
    const skipped: unknown[] = [];
    let nextToken: string | undefined;
    do {
      const page = await rerunProcesses(stepping, { definition: 'wide-passes', status: 'CANCELLED', ...(nextToken === undefined ? {} : { nextToken }) });
      rerun.push(...page.rerun);
      skipped.push(...page.skipped);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    expect(rerun.sort()).toEqual([id, second.id].sort());
    expect(skipped).toEqual([]);
    await sweepUntilDone(id);
    await sweepUntilDone(second.id);
    const first = await tasksOf(id);
    expect(await deps.processes.get({ id })).toMatchObject({ status: 'RUNNING', run: 3 });
    expect(count(first, (t) => t.status === 'SCHEDULED' && t.run === 3)).toBe(WIDTH);
    // The second never got past its root: the root runs again, and the children wait for it (reset, PENDING).
    const other = await tasksOf(second.id);
    expect(await deps.processes.get({ id: second.id })).toMatchObject({ status: 'RUNNING', run: 2 });
    expect(other.get('Root')).toMatchObject({ status: 'SCHEDULED', run: 2 });
    expect(count(other, (t) => t.status === 'PENDING' && t.run === 2)).toBe(WIDTH);
  }, 600_000);
});
