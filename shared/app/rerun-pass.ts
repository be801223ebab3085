import { decodeCursor, encodeCursor, type PassCursor } from '#domain/pass-cursor.ts';
import { planRerunChunk, type TaskState } from '#domain/rerun-plan.ts';
import { currentRunRecords, type AttemptRecord, type DefinitionVersionItem, type ProcessItem, type TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { scheduleNewTasks, scheduleReadyJoins } from './scheduling.ts';
import { budgetedPassDeadline, instant, type Instant } from './timestamps.ts';
import { inLanes, walkOrder } from './walk-order.ts';
import { TASK_STATUS, isPendingTask } from '#domain/status-predicates.ts';
import { notBehind } from './sweep-log.ts';

/** The rerun pass's walks over the definition's order: first every reset, then the scheduling. */
const RESET_PHASE = 0;
const SCHEDULE_PHASE = 1;

/** What a caller that has just reopened the process knows of the run (saves reading its record). */
export interface KnownRun {
  readonly fromTasks: readonly string[];
  readonly previousVersion: number;
}

/**
 * The pass of a rerun, idempotent and budgeted, in two walks over the
 * definition's topological order, a chunk at a time from the cursor on the
 * process (`resumeFrom`, a {@link PassCursor}):
 * 1. reset: each task is planned from its own item and its needs' items
 *    ({@link planRerunChunk}; a need reset for this run runs again, one of an
 *    earlier run was kept). A task that runs again is reset, once per run
 *    (its attempts closed, a join's counter set to the needs kept); a kept one
 *    has its expiry moved. The cursor's tally counts the kept sinks, and at
 *    the end of the walk the end counter is set to it.
 * 2. schedule: every task reset for this run, still PENDING, whose needs
 *    were all kept is scheduled (roots included).
 * Nothing is scheduled before every reset is written, so no task of the new
 * run can meet a child still in its old state. Past the budget the cursor is
 * recorded and the process stays due; the sweeper calls this again. Done, the
 * process gives its sweep slot back (to its deadline, if any).
 */
export async function continueRerun(deps: AppDeps, process: ProcessItem, budgetMs?: number, known?: KnownRun): Promise<void> {
  if (process.sweepAt === undefined) return;
  const to = await getDefinition(deps, process.definition, process.version);
  const run = known ?? (await readRun(deps, process));
  const from = run.previousVersion === to.version ? to : await getDefinition(deps, process.definition, run.previousVersion);
  const at = instant(deps);
  const deadline = budgetedPassDeadline(deps, at, budgetMs);
  let cursor = decodeCursor(process.resumeFrom);
  if (cursor.phase === RESET_PHASE) {
    const reset = await resetWalk(deps, process, from, to, run.fromTasks, cursor, at, deadline);
    if (reset.phase === RESET_PHASE || deps.now() >= deadline) {
      await deferRerun(deps, process, reset);
      return;
    }
    cursor = reset;
  }
  const dag = dagOf(to);
  const isJoin = (t: string) => (dag.tasks.get(t)?.needs.length ?? 0) > 1;
  const walk = await walkOrder(deps, { processId: process.id, order: dag.order, from: cursor.position, deadline }, async (names, items) => {
    const needItems = await itemsOfNeeds(deps, process.id, dag, names);
    const keptNeed = (n: string) => {
      const item = needItems.get(n) ?? items.get(n);
      return item !== undefined && (item.run ?? 1) < process.run;
    };
    const ready = names.filter((name) => {
      const item = items.get(name);
      return item?.run === process.run && isPendingTask(item.status) && (dag.tasks.get(name)?.needs ?? []).every(keptNeed);
    });
    await Promise.all([
      scheduleNewTasks(deps, to, process.id, ready.filter((t) => !isJoin(t)), at, undefined, process.run),
      scheduleReadyJoins(deps, to, process.id, ready.filter(isJoin), at, process.run),
    ]);
  });
  if (!walk.complete) {
    await deferRerun(deps, process, { phase: SCHEDULE_PHASE, position: walk.next, tally: 0 });
    return;
  }
  if (process.deadlineAt !== undefined) await deps.processes.awaitDeadline({ id: process.id, sweepAt: process.sweepAt, deadlineAt: notBehind(deps, process.deadlineAt) });
  else await deps.processes.clearSweep({ id: process.id, sweepAt: process.sweepAt });
}

/** The reset walk from `cursor`: where it stopped (still the reset phase), or the start of the scheduling. */
async function resetWalk(
  deps: AppDeps,
  process: ProcessItem,
  fromDef: DefinitionVersionItem,
  toDef: DefinitionVersionItem,
  fromTasks: readonly string[],
  cursor: PassCursor,
  at: Instant,
  deadline: number,
): Promise<PassCursor> {
  const from = dagOf(fromDef);
  const to = dagOf(toDef);
  const sinks = new Set(to.sinks);
  const run = process.run;
  let tally = cursor.tally;
  const walk = await walkOrder(deps, { processId: process.id, order: to.order, from: cursor.position, deadline }, async (names, items, position) => {
    const needItems = await itemsOfNeeds(deps, process.id, to, names);
    // A need decided in an earlier chunk is read back: reset for this run, it runs again; of an earlier run, it was kept.
    const runsAgainBefore = (n: string) => {
      const item = needItems.get(n);
      return item === undefined || (item.run ?? 1) >= run;
    };
    const plan = planRerunChunk(from, to, names, statesOf(items), fromTasks, run, runsAgainBefore);
    const kept = new Set(plan.kept);
    const keptNeed = (n: string) => kept.has(n) || !runsAgainBefore(n);
    await inLanes(deps, [...plan.reset.filter((t) => (items.get(t)?.run ?? 0) < run), ...plan.kept], deps.settings.writeConcurrency, async (task) => {
      if (kept.has(task)) {
        await deps.tasks.retain({ processId: process.id, task, run, expiresAt: at.expiresAt + deps.settings.maxProcessSeconds });
        return;
      }
      const needs = to.tasks.get(task)?.needs ?? [];
      await deps.tasks.reopen({
        processId: process.id,
        task,
        run,
        records: closingRecords(items.get(task), run, at),
        ...(needs.length > 1 ? { counter: { settled: needs.filter(keptNeed).length, expected: needs.length } } : {}),
      });
    });
    // The kept tasks count as completed in the new run's progress (its endings count themselves), each chunk once
    // per counter shard, before any task of the run is scheduled: nothing of the run can end first but a cancel.
    const completed = plan.kept.filter((t) => items.get(t)?.status === TASK_STATUS.completed);
    if (completed.length > 0) {
      await deps.processes.seedProgress({ id: process.id, run, completed, position, next: position + names.length, expiresAt: at.expiresAt + deps.settings.maxProcessSeconds });
    }
    // Counted only once the chunk's writes are done: a crash redoes the chunk with the tally as it was before it.
    tally += plan.kept.filter((t) => sinks.has(t)).length;
  });
  if (!walk.complete) return { phase: RESET_PHASE, position: walk.next, tally };
  if (to.sinks.length > 1) await deps.processes.resetEndCounter({ id: process.id, run, settled: tally, expected: to.sinks.length });
  return { phase: SCHEDULE_PHASE, position: 0, tally: 0 };
}

/** The items of the needs of `names` that lie outside them (earlier chunks): one bounded read. */
async function itemsOfNeeds(deps: AppDeps, processId: string, dag: ReturnType<typeof dagOf>, names: readonly string[]): Promise<ReadonlyMap<string, TaskItem>> {
  const inChunk = new Set(names);
  const needs = [...new Set(names.flatMap((n) => dag.tasks.get(n)?.needs ?? []))].filter((n) => !inChunk.has(n));
  return needs.length === 0 ? new Map() : deps.tasks.getMany({ processId, tasks: needs });
}

/** The pass ran out of time: due again now, for the sweeper, from `cursor`. */
async function deferRerun(deps: AppDeps, process: ProcessItem, cursor: PassCursor): Promise<void> {
  if (process.sweepAt !== undefined) await deps.processes.deferSweep({ id: process.id, sweepAt: process.sweepAt, nextSweepAt: deps.now(), resumeFrom: encodeCursor(cursor) });
}

/**
 * What a reset task appends to its attempts, for the history: its run's last
 * attempt closed, when nothing recorded it yet (a completion, a cancellation,
 * a skip), then the marker of the new run.
 */
function closingRecords(item: TaskItem | undefined, run: number, at: Instant): AttemptRecord[] {
  if (!item) return [];
  const attempt = item.attempt ?? 0;
  const ended = item.endedAt ?? at.iso;
  // With its lease token, so that a late call with it is matched to its attempt (StaleResultRejected).
  const started = {
    ...(item.scheduledAt ? { s: item.scheduledAt } : {}),
    ...(item.claimedAt ? { c: item.claimedAt } : {}),
    ...(item.workerId ? { w: item.workerId } : {}),
    ...(item.leaseToken ? { t: item.leaseToken } : {}),
  };
  const marker: AttemptRecord = { k: 'r', r: run, a: 0, e: at.iso };
  switch (item.status) {
    case TASK_STATUS.completed:
      return [{ k: 'c', a: attempt, e: ended, ...started }, marker];
    case TASK_STATUS.cancelled:
      return [{ k: 'x', a: attempt, e: ended, ...started }, marker];
    case TASK_STATUS.skipped:
      return [{ k: 'k', a: 0, e: ended, ...(item.skippedBecause ? { b: item.skippedBecause } : {}) }, marker];
    case TASK_STATUS.failed: {
      const recorded = currentRunRecords(item).some((r) => r.a === attempt && (r.k === 'f' || r.k === 'l' || r.k === 't'));
      return recorded ? [marker] : [{ k: 'f', a: attempt, e: ended, ...started, ...(item.error ? { x: JSON.stringify(item.error) } : {}) }, marker];
    }
    default:
      return [marker];
  }
}

/** What a resumed pass plans from: the run's `fromTasks` and the version it left, from its record. */
async function readRun(deps: AppDeps, process: ProcessItem): Promise<KnownRun> {
  const record = (await deps.processes.runs({ id: process.id })).find((r) => r.run === process.run);
  return { fromTasks: record?.fromTasks ?? [], previousVersion: record?.previousVersion ?? process.version };
}

/** What the rerun plan needs of some items. */
export function statesOf(items: ReadonlyMap<string, TaskItem> | readonly TaskItem[]): Map<string, TaskState> {
  const list = items instanceof Map ? [...items.values()] : (items as readonly TaskItem[]);
  return new Map(list.map((t) => [t.name, { status: t.status, ...(t.run === undefined ? {} : { run: t.run }) }]));
}
