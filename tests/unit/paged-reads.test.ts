import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';
import { isTributaryApiError, type TributaryClient } from '../../client/index.ts';

type TaskView = Awaited<ReturnType<TributaryClient['listTasks']>>['items'][number];

const ONE_MIB = 1024 * 1024;
/** 12 KiB a task: 100 of them pass 1 MiB, so the budget has to leave some out. */
const BIG = 'x'.repeat(12 * 1024);

/** A root, `width` tasks that need it, and a join of them all. */
function fanOut(width: number, extra: Record<string, unknown> = {}): object {
  const middle = Array.from({ length: width }, (_, i) => `fan-${String(i).padStart(3, '0')}`);
  return { ...extra, tasks: [{ name: 'split' }, ...middle.map((name) => ({ name, needs: ['split'] })), { name: 'join', needs: middle }] };
}

/** Every task, page by page (each page checked under 1 MiB). */
async function everyTask(engine: TestEngine, id: string, options: { limit?: number; status?: TaskView['status'] } = {}): Promise<{ tasks: TaskView[]; pages: number }> {
  const tasks: TaskView[] = [];
  let nextToken: string | undefined;
  let pages = 0;
  do {
    const page = await engine.client.listTasks(id, { ...options, ...(nextToken === undefined ? {} : { nextToken }) });
    expect(Buffer.byteLength(JSON.stringify(page))).toBeLessThan(ONE_MIB);
    tasks.push(...page.items);
    nextToken = page.nextToken;
    pages += 1;
  } while (nextToken !== undefined);
  return { tasks, pages };
}

/** Progress as counting every task would give it: what the counters must equal. */
function counted(tasks: readonly TaskView[]): Record<string, number> {
  const n = (s: string) => tasks.filter((t) => t.status === s).length;
  return { total: tasks.length, completed: n('COMPLETED'), failed: n('FAILED'), skipped: n('SKIPPED'), cancelled: n('CANCELLED') };
}

describe('paged reads of a process of more than 100 tasks', () => {
  it('embeds the first 50 tasks with tasksNextToken and exact progress; a page keeps outputs only while under 1 MiB', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('wide', fanOut(248));
    const { process } = await engine.client.startProcess({ definition: 'wide' });
    engine.worker({ handler: async ({ task }) => ({ task, blob: BIG }) });
    await engine.runUntilIdle();

    const view = await engine.client.getProcess(process.id);
    expect(view.status).toBe('COMPLETED');
    expect(view.progress).toEqual({ total: 250, completed: 250, failed: 0, skipped: 0, cancelled: 0, percent: 100 });
    expect(view.tasks).toHaveLength(50);
    expect(view.tasksNextToken).toEqual(expect.any(String));
    expect(view.tasks.map((t) => t.name)).toEqual([...view.tasks.map((t) => t.name)].sort());
    // 50 outputs of 12 KiB fit in 1 MiB: the view keeps them all.
    expect(Buffer.byteLength(JSON.stringify(view))).toBeLessThan(ONE_MIB);
    expect(view.tasks.every((t) => t.output !== undefined && t.outputOmitted === undefined)).toBe(true);

    // A page of 100: outputs are kept in order until the budget is spent; every task after that says so.
    const first = await engine.client.listTasks(process.id, { limit: 100 });
    expect(first.items).toHaveLength(100);
    expect(first.items.slice(0, 50).map((t) => t.name)).toEqual(view.tasks.map((t) => t.name));
    expect(Buffer.byteLength(JSON.stringify(first))).toBeLessThan(ONE_MIB);
    const kept = first.items.filter((t) => t.output !== undefined).length;
    expect(kept).toBeGreaterThan(50);
    expect(kept).toBeLessThan(100);
    expect(first.items.slice(0, kept).every((t) => t.output !== undefined && t.outputOmitted === undefined)).toBe(true);
    expect(first.items.slice(kept).every((t) => t.output === undefined && t.outputOmitted === true)).toBe(true);

    // The token goes on where the view stopped; paging from the start covers every task once, in name order.
    const second = await engine.client.listTasks(process.id, { nextToken: view.tasksNextToken! });
    expect(second.items[0]!.name).toBe(first.items[50]!.name);
    const { tasks, pages } = await everyTask(engine, process.id, { limit: 100 });
    expect(pages).toBe(3);
    expect(tasks.map((t) => t.name)).toEqual(['fan-000', ...tasks.slice(1).map((t) => t.name)]);
    expect(new Set(tasks.map((t) => t.name)).size).toBe(250);
    expect(tasks.at(-1)!.name).toBe('split');

    // One task alone always carries its output, and its attempt's events.
    const omitted = first.items.find((t) => t.outputOmitted)!;
    const one = await engine.client.getTask(process.id, omitted.name);
    expect(one).toMatchObject({ name: omitted.name, status: 'COMPLETED', output: { task: omitted.name, blob: BIG } });
    expect(one.events.map((e) => e.type)).toEqual(['TaskScheduled', 'TaskClaimed', 'TaskCompleted']);
    const missing = await engine.client.getTask(process.id, 'no-such-task').catch((e: unknown) => e);
    expect(isTributaryApiError(missing) && [missing.status, missing.code]).toEqual([404, 'TaskNotFound']);
  });

  it('embeds every task of a process of 100, in the DAG order; of 101, the first 50 and a token', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('hundred', fanOut(98));
    await engine.client.putDefinition('hundred-and-one', fanOut(99));
    const whole = await engine.client.getProcess((await engine.client.startProcess({ definition: 'hundred' })).process.id);
    expect(whole.tasks).toHaveLength(100);
    expect(whole.tasks[0]!.name).toBe('split');
    expect(whole.tasksNextToken).toBeUndefined();
    const large = await engine.client.getProcess((await engine.client.startProcess({ definition: 'hundred-and-one' })).process.id);
    expect(large.tasks).toHaveLength(50);
    expect(large.tasks[0]!.name).toBe('fan-000');
    expect(large.tasksNextToken).toEqual(expect.any(String));
    const rest = await engine.client.listTasks(large.id, { nextToken: large.tasksNextToken! });
    expect(rest.items.map((t) => t.name)).toEqual([...Array.from({ length: 49 }, (_, i) => `fan-${String(i + 50).padStart(3, '0')}`), 'join', 'split']);
    expect(rest.nextToken).toBeUndefined();
  });

  it('lists PENDING tasks that have no item, filters by status, and pages active tasks', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('waiting', fanOut(120));
    const { process } = await engine.client.startProcess({ definition: 'waiting' });
    engine.worker({ tasks: ['split'], handler: async () => ({}) });
    await engine.runUntilIdle();
    // split completed; 120 tasks SCHEDULED (nobody takes them); join PENDING with only a counter item, or none.
    const pending = await everyTask(engine, process.id, { status: 'PENDING', limit: 7 });
    expect(pending.tasks.map((t) => t.name)).toEqual(['join']);
    const scheduled = await everyTask(engine, process.id, { status: 'SCHEDULED', limit: 50 });
    expect(scheduled.tasks).toHaveLength(120);
    expect(scheduled.pages).toBe(3);
    const active: TaskView[] = [];
    let page = await engine.client.listActiveTasks(process.id, { limit: 100 });
    active.push(...page.items);
    while (page.nextToken) {
      page = await engine.client.listActiveTasks(process.id, { limit: 100, nextToken: page.nextToken });
      active.push(...page.items);
    }
    expect(active.map((t) => t.name)).toEqual(scheduled.tasks.map((t) => t.name));
    expect(await engine.client.activeTasks(process.id)).toEqual(active);
    const view = await engine.client.getProcess(process.id);
    expect(view.progress).toMatchObject({ total: 122, completed: 1, percent: 0 });
    const bad = await engine.client.listTasks(process.id, { limit: 501 }).catch((e: unknown) => e);
    expect(isTributaryApiError(bad) && [bad.status, bad.message]).toEqual([400, expect.stringContaining('1 to 500')]);
    const forged = await engine.client.listTasks(process.id, { nextToken: 'bm90LWEtdG9rZW4' }).catch((e: unknown) => e);
    expect(isTributaryApiError(forged) && forged.status).toBe(400);
  });

  it('keeps progress exact through a failure, the cancellations it causes, and a rerun', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('fragile', fanOut(130, { defaults: { retry: { maxAttempts: 1 } } }));
    const { process } = await engine.client.startProcess({ definition: 'fragile' });
    let failing = true;
    engine.worker({
      handler: async ({ task }) => {
        if (task === 'fan-007' && failing) throw new Error('boom');
        return { task };
      },
    });
    await engine.runUntilIdle();
    const failed = await engine.client.getProcess(process.id);
    expect(failed.status).toBe('FAILED');
    const afterFailure = await everyTask(engine, process.id, { limit: 500 });
    expect(failed.progress).toMatchObject(counted(afterFailure.tasks));
    expect(failed.progress.failed).toBe(1);

    failing = false;
    await engine.client.rerun(process.id);
    await engine.runUntilIdle();
    const rerun = await engine.client.getProcess(process.id);
    expect(rerun.status).toBe('COMPLETED');
    expect(rerun.runs).toBe(2);
    const afterRerun = await everyTask(engine, process.id, { limit: 500 });
    expect(counted(afterRerun.tasks)).toEqual({ total: 132, completed: 132, failed: 0, skipped: 0, cancelled: 0 });
    expect(rerun.progress).toEqual({ total: 132, completed: 132, failed: 0, skipped: 0, cancelled: 0, percent: 100 });
  });

  it('counts skipped tasks and a cancelled process exactly', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('skips', 'onFailure: skipDownstream\ntasks:\n  - name: A\n    retry: { maxAttempts: 1 }\n  - name: B\n    needs: [A]\n  - name: X\n  - name: Y\n    needs: [X]\n');
    const skipped = (await engine.client.startProcess({ definition: 'skips' })).process;
    engine.worker({
      handler: async ({ task }) => {
        if (task === 'A') throw new Error('no');
        return {};
      },
    });
    await engine.runUntilIdle();
    const view = await engine.client.getProcess(skipped.id);
    expect(view.progress).toMatchObject({ ...counted(view.tasks), skipped: 1, failed: 1 });

    await engine.client.putDefinition('held', fanOut(3));
    const cancelled = (await engine.client.startProcess({ definition: 'held' })).process;
    await engine.client.cancelProcess(cancelled.id);
    await engine.runUntilIdle();
    const gone = await engine.client.getProcess(cancelled.id);
    expect(gone.progress).toMatchObject(counted(gone.tasks));
    expect(gone.progress.cancelled).toBeGreaterThan(0);
  });
});

describe('the history of a process of more than 100 tasks', () => {
  it('pages from a cursor: the process events first, then each task whole, in name order, every event once', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('long', fanOut(148, { defaults: { retry: { maxAttempts: 2, intervalSeconds: 0 } } }));
    const { process } = await engine.client.startProcess({ definition: 'long' });
    const tries = new Map<string, number>();
    engine.worker({
      handler: async ({ task }) => {
        tries.set(task, (tries.get(task) ?? 0) + 1);
        if (task === 'fan-100' && tries.get(task) === 1) throw new Error('once');
        return {};
      },
    });
    await engine.runUntilIdle();
    const events: { type: string; task?: string }[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await engine.client.getHistory(process.id, { limit: 40, ...(nextToken === undefined ? {} : { nextToken }) });
      events.push(...page.items);
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken !== undefined);
    expect(pages).toBeGreaterThan(10);
    expect(events.slice(0, 2).map((e) => e.type)).toEqual(['ProcessStarted', 'ProcessCompleted']);
    const taskOrder = events.filter((e) => e.task !== undefined).map((e) => e.task!);
    const firsts = taskOrder.filter((t, i) => taskOrder[i - 1] !== t);
    expect(firsts).toEqual([...new Set(firsts)].sort());
    expect(firsts).toHaveLength(150);
    // Each task's events are exactly those its own read answers.
    for (const task of ['split', 'fan-100', 'join']) {
      const own = (await engine.client.getTask(process.id, task)).events.map((e) => e.type);
      expect(events.filter((e) => e.task === task).map((e) => e.type)).toEqual(own);
    }
    expect(events.filter((e) => e.task === 'fan-100').map((e) => e.type)).toEqual(['TaskScheduled', 'TaskClaimed', 'TaskFailed', 'TaskScheduled', 'TaskClaimed', 'TaskCompleted']);
    expect(events).toHaveLength(2 + 150 * 3 + 3);
  });
});
