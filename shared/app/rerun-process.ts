import { ConcurrencyConflictError, IncompatibleVersionError, NothingToRerunError, ProcessNotFoundError, ProcessStillRunningError, ValidationError } from '#domain/errors.ts';
import { processAllows, processSweepDuty } from '#domain/lifecycle.ts';
import type { Dag } from '#domain/dag.ts';
import { differenceInputs, planRerunChunk, versionDifferences } from '#domain/rerun-plan.ts';
import { MAX_LISTED_RESETS, type ProcessItem, type RunRecord } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { finishCleanup } from './end-process.ts';
import { checkProcessInput } from './input-validation.ts';
import { getProcess, type ProcessView } from './process-views.ts';
import { continueRerun, statesOf } from './rerun-pass.ts';
import { dequeueNext, reopenInPool } from './process-pools.ts';
import { instant } from './timestamps.ts';
import { WALK_CHUNK } from './walk-order.ts';
import { isCompletedProcess, isQueuedProcess } from '#domain/status-predicates.ts';

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
  /**
   * Present when the plan did not fit the call's budget: `reset` and `kept` then cover the first `planned` tasks of
   * the definition's order (of `total`), and the sweeper finishes the pass (the tasks' pages show the rest).
   */
  readonly partial?: true;
  readonly planned?: number;
  readonly total?: number;
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
 * checks and plans, and writes nothing. A version check reads only the
 * tasks the versions disagree on and what is upstream of them.
 *
 * Bounded by the call's budget (`followUpBudgetMs`, or the bulk rerun's
 * `deadline`): half plans ahead, a chunk of the order at a time, half starts
 * the pass. A process whose plan does not fit answers with the plan so far
 * (`partial`, `planned`, `total`).
 *
 * One write reopens the process (with its run record and any new input, in
 * one transaction); the pass that resets tasks and schedules the ready ones
 * ({@link continueRerun}) then runs under the process's sweep entry, so the
 * sweeper finishes it past the budget or if this call dies.
 *
 * @example
 * const { run, reset } = await rerunProcess(deps, id, { fromTasks: ['Review'] });
 */
export async function rerunProcess(
  deps: AppDeps,
  processId: string,
  body: RerunRequest,
  options: { dryRun?: boolean; known?: ProcessItem; deadline?: number } = {},
): Promise<RerunOutcome> {
  // A caller that has just read the process passes it in: a stale copy only loses the reopening's version lock.
  let process = options.known ?? (await deps.processes.get({ id: processId }));
  if (!process) throw new ProcessNotFoundError(processId);
  if (!processAllows('reopen', process.status)) throw new ProcessStillRunningError(processId, process.status);
  const fromTasks = [...new Set(body.fromTasks ?? [])];
  if (isCompletedProcess(process.status) && fromTasks.length === 0) throw new NothingToRerunError(processId, process.status);
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
  const fromDag = dagOf(from);
  const toDag = dagOf(to);
  if (to !== from) {
    // Only the tasks the versions disagree on, and what is upstream of them, can make a difference: read those.
    const inputs = differenceInputs(fromDag, toDag);
    const states = statesOf(inputs.length === 0 ? new Map() : await deps.tasks.getMany({ processId, tasks: inputs }));
    const differences = versionDifferences(fromDag, toDag, states, fromTasks, run);
    if (differences.length > 0) throw new IncompatibleVersionError(to.name, from.version, to.version, differences);
  }
  const at = instant(deps);
  const budget = options.deadline === undefined ? deps.settings.followUpBudgetMs : Math.max(0, options.deadline - at.now);
  // Half the budget plans (reads), half starts the pass (writes): a large process answers with the plan so far.
  const plan = await planAhead(deps, processId, fromDag, toDag, fromTasks, run, at.now + budget / 2);
  if (plan.complete && plan.reset.length === 0) throw new NothingToRerunError(processId, process.status);
  const outcome: RerunOutcome = {
    run,
    version: to.version,
    reset: plan.reset,
    kept: plan.kept,
    ...(plan.complete ? {} : { partial: true, planned: plan.reset.length + plan.kept.length, total: toDag.order.length }),
  };
  if (options.dryRun) return outcome;

  const record: RunRecord = {
    run,
    at: at.iso,
    version: to.version,
    previousVersion: from.version,
    ...(fromTasks.length > 0 ? { fromTasks } : {}),
    reset: plan.reset.slice(0, MAX_LISTED_RESETS),
    resetCount: plan.reset.length,
    ...(plan.complete ? {} : { partial: true }),
    inputReplaced: body.input !== undefined,
    previous: { status: process.status, ...(process.endedAt ? { endedAt: process.endedAt } : {}), ...(process.error ? { error: process.error } : {}) },
  };
  const reopening = {
    current: process,
    record,
    total: toDag.order.length,
    now: at.now,
    sweepAt: at.now + deps.settings.followUpGraceMs,
    ...(to.timeoutSeconds === undefined ? {} : { deadlineAt: at.now + to.timeoutSeconds * 1000 }),
    ...(body.input === undefined ? {} : { input: { value: body.input } }),
    inputExpiresAt: at.expiresAt + deps.settings.maxProcessSeconds,
  };
  // Issue 18: a rerun takes a slot like a start; under `onLimit: queue` it waits in the queue when the pool is full
  // or others wait already (first in first out), else the full pool answers 409 ConcurrencyLimited.
  const reopened = process.pool === undefined ? await deps.processes.reopen(reopening) : await reopenInPool(deps, process.pool, to, reopening);
  if (!reopened.ok) {
    const now = reopened.current;
    if (now && !processAllows('reopen', now.status)) throw new ProcessStillRunningError(processId, now.status);
    throw new ConcurrencyConflictError(`process '${processId}'`);
  }
  if (isQueuedProcess(reopened.item.status)) {
    // A slot may have freed since the refusal (its ending found nobody queued): take it now. The pass follows the dequeue.
    await dequeueNext(deps, process.pool!);
    return outcome;
  }
  // The record just written: the pass needs no read of it.
  await continueRerun(deps, reopened.item, budget / 2, { fromTasks, previousVersion: from.version });
  return outcome;
}

/** A rerun's answer: what it did, and the process as it now is. */
export async function rerunAndView(deps: AppDeps, processId: string, body: RerunRequest): Promise<RerunOutcome & { process: ProcessView }> {
  const outcome = await rerunProcess(deps, processId, body);
  return { ...outcome, process: await getProcess(deps, processId) };
}

/**
 * The plan of a rerun ahead of its reopening (what the call answers, and what
 * a dry run lists), a chunk of `to`'s order at a time, decisions kept in
 * memory. It stops at `deadline` once it has found a task to run again (so a
 * large process is not read whole), and reads on until it finds one (a
 * process with nothing to rerun is a 409).
 */
async function planAhead(
  deps: AppDeps,
  processId: string,
  from: Dag,
  to: Dag,
  fromTasks: readonly string[],
  run: number,
  deadline: number,
): Promise<{ reset: string[]; kept: string[]; complete: boolean }> {
  const runsAgain = new Map<string, boolean>();
  const reset: string[] = [];
  const kept: string[] = [];
  let position = 0;
  while (position < to.order.length && (position === 0 || reset.length === 0 || deps.now() < deadline)) {
    const names = to.order.slice(position, position + Math.max(1, Math.min(WALK_CHUNK, deps.settings.passChunk ?? WALK_CHUNK)));
    const chunk = planRerunChunk(from, to, names, statesOf(await deps.tasks.getMany({ processId, tasks: names })), fromTasks, run, (n) => runsAgain.get(n) ?? true);
    for (const t of chunk.reset) runsAgain.set(t, true);
    for (const t of chunk.kept) runsAgain.set(t, false);
    reset.push(...chunk.reset);
    kept.push(...chunk.kept);
    position += names.length;
  }
  return { reset, kept, complete: position >= to.order.length };
}

function owesCleanup(process: ProcessItem): boolean {
  return process.sweepAt !== undefined && processSweepDuty(process.sweepReason ?? 'roots', process.status) === 'finishCleanup';
}
