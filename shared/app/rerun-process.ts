import { ConcurrencyConflictError, IncompatibleVersionError, NothingToRerunError, ProcessNotFoundError, ProcessStillRunningError, ValidationError } from '#domain/errors.ts';
import { processAllows, processSweepDuty } from '#domain/lifecycle.ts';
import { planRerun, type RerunPlan, type TaskState } from '#domain/rerun-plan.ts';
import { currentRunRecords, MAX_LISTED_RESETS, type AttemptRecord, type DefinitionVersionItem, type ProcessItem, type RunRecord, type TaskItem } from '#schemas/items.ts';
import { budgetedPass } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { finishCleanup } from './end-process.ts';
import { checkProcessInput } from './input-validation.ts';
import { getProcess, type ProcessView } from './process-views.ts';
import { scheduleNewTasks, scheduleReadyJoins } from './scheduling.ts';
import { budgetedPassDeadline, instant, type Instant } from './timestamps.ts';

/** The body of `POST /processes/{id}/rerun`. */
export interface RerunRequest {
  /** Tasks to run again even though they completed (and everything downstream of them). */
  readonly fromTasks?: readonly string[];
  /** Another version of the same definition to run on (default: the version the process ran). */
  readonly version?: number;
  /** Replaces the process input for the new run. */
  readonly input?: unknown;
}

/** What a rerun did (or, dry, would do). */
export interface RerunOutcome {
  readonly run: number;
  readonly version: number;
  /** The tasks that run again, in topological order. */
  readonly reset: readonly string[];
  /** The completed tasks kept, with their outputs. */
  readonly kept: readonly string[];
}

/**
 * Reruns an ended process in place: same id, RUNNING again, run + 1.
 *
 * Every task that did not complete runs again, and so does every task named
 * in `fromTasks` and everything downstream of those; attempts restart at 1
 * and the earlier attempts stay in the history. Completed tasks keep their
 * outputs and do not run again. Tasks whose needs are all kept are scheduled
 * at once. Old lease tokens are dead: a reset removes the lease, and every
 * write of a task is guarded on its run.
 *
 * Allowed on FAILED and CANCELLED processes, and on COMPLETED ones with
 * `fromTasks`; a RUNNING or PAUSED one is a 409 ProcessStillRunning. With
 * `version`, the kept tasks must exist in that version with the same needs,
 * or it is a 409 IncompatibleVersion listing every difference. `dryRun`
 * checks and plans, and writes nothing.
 *
 * One write reopens the process (with its run record and any new input, in
 * one transaction); the pass that resets tasks and schedules the ready ones
 * then runs under the process's sweep entry, so the sweeper finishes it if
 * this call dies.
 *
 * @example
 * const { run, reset } = await rerunProcess(deps, id, { fromTasks: ['Review'] });
 */
export async function rerunProcess(
  deps: AppDeps,
  processId: string,
  body: RerunRequest,
  options: { dryRun?: boolean; known?: ProcessItem } = {},
): Promise<RerunOutcome> {
  // A caller that has just read the process passes it in: a stale copy only loses the reopening's version lock.
  let process = options.known ?? (await deps.processes.get({ id: processId }));
  if (!process) throw new ProcessNotFoundError(processId);
  if (!processAllows('reopen', process.status)) throw new ProcessStillRunningError(processId, process.status);
  const fromTasks = [...new Set(body.fromTasks ?? [])];
  if (process.status === 'COMPLETED' && fromTasks.length === 0) throw new NothingToRerunError(processId, process.status);
  const from = await getDefinition(deps, process.definition, process.version);
  const to = body.version === undefined || body.version === process.version ? from : await getDefinition(deps, process.definition, body.version);
  const unknown = fromTasks.filter((t) => !dagOf(to).tasks.has(t));
  if (unknown.length > 0) {
    throw new ValidationError(
      `fromTasks names tasks that version ${to.version} of '${to.name}' does not have: ${unknown.join(', ')}`,
      unknown.map((t) => ({ path: 'body.fromTasks', message: `no task '${t}'` })),
    );
  }
  // The input the new run gets must suit its version: the new one, or the one kept when the version changes.
  if (body.input !== undefined) checkProcessInput(to, body.input);
  else if (to !== from) checkProcessInput(to, await deps.processes.getInput({ id: processId }));

  // An ended process may still owe the cancellation of its unfinished tasks: that comes first, so no late
  // cancellation meets a task the rerun reset (the cancel write is guarded on the run as well).
  if (!options.dryRun && owesCleanup(process)) {
    await finishCleanup(deps, process);
    process = await deps.processes.get({ id: processId });
    if (!process) throw new ProcessNotFoundError(processId);
    if (!processAllows('reopen', process.status)) throw new ProcessStillRunningError(processId, process.status);
    if (owesCleanup(process)) throw new ConcurrencyConflictError(`process '${processId}' (its cancellation is still being written)`);
  }

  const run = process.run + 1;
  const items = await deps.tasks.listAll({ processId });
  const plan = planRerun(dagOf(from), dagOf(to), statesOf(items), fromTasks, run);
  if (plan.differences.length > 0) throw new IncompatibleVersionError(to.name, from.version, to.version, plan.differences);
  if (plan.reset.length === 0) throw new NothingToRerunError(processId, process.status);
  const outcome: RerunOutcome = { run, version: to.version, reset: plan.reset, kept: plan.kept };
  if (options.dryRun) return outcome;

  const at = instant(deps);
  const record: RunRecord = {
    run,
    at: at.iso,
    version: to.version,
    previousVersion: from.version,
    ...(fromTasks.length > 0 ? { fromTasks } : {}),
    reset: plan.reset.slice(0, MAX_LISTED_RESETS),
    resetCount: plan.reset.length,
    inputReplaced: body.input !== undefined,
    previous: { status: process.status, ...(process.endedAt ? { endedAt: process.endedAt } : {}), ...(process.error ? { error: process.error } : {}) },
  };
  const reopened = await deps.processes.reopen({
    current: process,
    record,
    total: dagOf(to).order.length,
    now: at.now,
    sweepAt: at.now + deps.settings.followUpGraceMs,
    ...(to.timeoutSeconds === undefined ? {} : { deadlineAt: at.now + to.timeoutSeconds * 1000 }),
    ...(body.input === undefined ? {} : { input: { value: body.input } }),
    inputExpiresAt: at.expiresAt + deps.settings.maxProcessSeconds,
  });
  if (!reopened.ok) {
    const now = reopened.current;
    if (now && !processAllows('reopen', now.status)) throw new ProcessStillRunningError(processId, now.status);
    throw new ConcurrencyConflictError(`process '${processId}'`);
  }
  // The tasks as just read, and the record just written: the pass needs no second look.
  await continueRerun(deps, reopened.item, undefined, { items, fromTasks });
  return outcome;
}

/** A rerun's answer: what it did, and the process as it now is. */
export async function rerunAndView(deps: AppDeps, processId: string, body: RerunRequest): Promise<RerunOutcome & { process: ProcessView }> {
  const outcome = await rerunProcess(deps, processId, body);
  return { ...outcome, process: await getProcess(deps, processId) };
}

/**
 * The pass of a rerun, idempotent and budgeted: reset every task that runs
 * again (once per run), move the expiry of the kept ones, set the end
 * counter, then schedule the reset tasks whose needs are all kept. Nothing is
 * scheduled before every reset is written, so no task of the new run can meet
 * a child still in its old state. Past the budget the process stays due and
 * the sweeper calls this again.
 */
export async function continueRerun(
  deps: AppDeps,
  process: ProcessItem,
  budgetMs?: number,
  known?: { readonly items: readonly TaskItem[]; readonly fromTasks: readonly string[] },
): Promise<void> {
  const def = await getDefinition(deps, process.definition, process.version);
  const dag = dagOf(def);
  const { items, fromTasks } = known ?? (await readRerun(deps, process));
  const plan = planRerun(dag, dag, statesOf(items), fromTasks, process.run);
  const byName = new Map(items.map((t) => [t.name, t]));
  const at = instant(deps);
  const deadline = budgetedPassDeadline(deps, at, budgetMs);
  const lanes = { chunk: 1, lanes: deps.settings.writeConcurrency, deadline, now: deps.now };
  const kept = new Set(plan.kept);
  const toReset = plan.reset.filter((t) => (byName.get(t)?.run ?? 0) < process.run);
  const resets = await budgetedPass(toReset, lanes, async ([task]) => {
    if (task === undefined) return;
    const needs = dag.tasks.get(task)?.needs ?? [];
    await deps.tasks.reopen({
      processId: process.id,
      task,
      run: process.run,
      records: closingRecords(byName.get(task), process.run, at),
      ...(needs.length > 1 ? { counter: { settled: needs.filter((n) => kept.has(n)).length, expected: needs.length } } : {}),
    });
  });
  const retained = resets.complete
    ? await budgetedPass(plan.kept, lanes, async ([task]) => {
        if (task !== undefined) await deps.tasks.retain({ processId: process.id, task, run: process.run, expiresAt: at.expiresAt + deps.settings.maxProcessSeconds });
      })
    : resets;
  if (!retained.complete) {
    await deferRerun(deps, process);
    return;
  }
  // The kept tasks count as completed in the new run's progress; its endings count themselves. Before any
  // task of the run is scheduled, so nothing of the run can end first.
  await deps.processes.seedProgress({ id: process.id, run: process.run, completed: plan.kept, expiresAt: at.expiresAt + deps.settings.maxProcessSeconds });
  if (dag.sinks.length > 1) {
    await deps.processes.resetEndCounter({ id: process.id, run: process.run, settled: dag.sinks.filter((s) => kept.has(s)).length, expected: dag.sinks.length });
  }
  await scheduleReady(deps, def, process, plan, at, deadline);
}

async function scheduleReady(deps: AppDeps, def: DefinitionVersionItem, process: ProcessItem, plan: RerunPlan, at: Instant, deadline: number): Promise<void> {
  const dag = dagOf(def);
  const isJoin = (t: string) => (dag.tasks.get(t)?.needs.length ?? 0) > 1;
  const [pass] = await Promise.all([
    scheduleNewTasks(deps, def, process.id, plan.ready.filter((t) => !isJoin(t)), at, deadline, process.run),
    scheduleReadyJoins(deps, def, process.id, plan.ready.filter(isJoin), at, process.run),
  ]);
  if (!pass.complete) {
    await deferRerun(deps, process);
    return;
  }
  if (process.sweepAt === undefined) return;
  if (process.deadlineAt !== undefined) await deps.processes.awaitDeadline({ id: process.id, sweepAt: process.sweepAt, deadlineAt: process.deadlineAt });
  else await deps.processes.clearSweep({ id: process.id, sweepAt: process.sweepAt });
}

/** The pass ran out of time: due again now, for the sweeper (which plans again from what is written). */
async function deferRerun(deps: AppDeps, process: ProcessItem): Promise<void> {
  if (process.sweepAt !== undefined) await deps.processes.deferSweep({ id: process.id, sweepAt: process.sweepAt, nextSweepAt: deps.now(), resumeFrom: 0 });
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
    case 'COMPLETED':
      return [{ k: 'c', a: attempt, e: ended, ...started }, marker];
    case 'CANCELLED':
      return [{ k: 'x', a: attempt, e: ended, ...started }, marker];
    case 'SKIPPED':
      return [{ k: 'k', a: 0, e: ended, ...(item.skippedBecause ? { b: item.skippedBecause } : {}) }, marker];
    case 'FAILED': {
      const recorded = currentRunRecords(item).some((r) => r.a === attempt && (r.k === 'f' || r.k === 'l' || r.k === 't'));
      return recorded ? [marker] : [{ k: 'f', a: attempt, e: ended, ...started, ...(item.error ? { x: JSON.stringify(item.error) } : {}) }, marker];
    }
    default:
      return [marker];
  }
}

/** What a resumed pass plans from: the tasks as they are, and the run's `fromTasks` from its record. */
async function readRerun(deps: AppDeps, process: ProcessItem): Promise<{ items: TaskItem[]; fromTasks: readonly string[] }> {
  const [records, items] = await Promise.all([deps.processes.runs({ id: process.id }), deps.tasks.listAll({ processId: process.id })]);
  return { items, fromTasks: records.find((r) => r.run === process.run)?.fromTasks ?? [] };
}

function owesCleanup(process: ProcessItem): boolean {
  return process.sweepAt !== undefined && processSweepDuty(process.sweepReason ?? 'roots', process.status) === 'finishCleanup';
}

function statesOf(items: readonly TaskItem[]): Map<string, TaskState> {
  return new Map(items.map((t) => [t.name, { status: t.status, ...(t.run === undefined ? {} : { run: t.run }) }]));
}
