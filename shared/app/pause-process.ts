import { ConcurrencyConflictError, ProcessNotFoundError, ProcessNotRunningError } from '#domain/errors.ts';
import { isActiveTask, isTerminalTask, processAllows, SWEEP_REASON_ON_ENTRY, taskSweepDuty } from '#domain/lifecycle.ts';
import type { ProcessItem, TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { endIfSinksSettled } from './end-process.ts';
import { followUpCompleted, followUpFailed } from './end-task.ts';
import { MAX_SEND_DELAY_SECONDS, type OutgoingTaskMessage } from './ports.ts';
import { continueRerun } from './rerun-pass.ts';
import { messageOfItem, scheduleNewTasks, sendBestEffort } from './scheduling.ts';
import { scheduleRoots } from './start-process.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';
import { inLanes, walkOrder } from './walk-order.ts';
import { isCompletedTask, isPausedProcess, isRunningProcess, isScheduledTask } from '#domain/status-predicates.ts';
import { completionCounted } from './count-completion.ts';
import { notBehind } from './sweep-log.ts';

/** Most lost optimistic-lock races before giving up with ConcurrencyConflict. */
const MAX_ATTEMPTS = 10;

/**
 * POST /processes/{id}/pause. The process goes PAUSED (with the input item's
 * `paused` flag, which refuses claims, a ProcessPaused history event, and the
 * process on the sweep index with reason `pause`, in one transaction); then
 * {@link finishPause} marks every SCHEDULED or RUNNING task `held`, so that
 * an ending while paused is recorded but schedules nothing. Running tasks
 * finish normally. The marks are a budgeted pass: what the call's budget
 * leaves is finished by the sweeper, from the cursor recorded on the process.
 * Pausing a PAUSED process answers it as it is (and goes on with a pause pass
 * still owed); an ended one is a 409.
 *
 * A process that still owes its roots or a rerun's pass finishes that first
 * (it shares the one sweep slot); if that does not fit the call's budget, the
 * pause is a 409 ConcurrencyConflict to retry.
 *
 * A completion racing the pause itself (its task not yet marked) may still
 * schedule children: they cannot be claimed before the resume.
 *
 * @example
 * await pauseProcess(deps, id, 'upstream API down');
 */
export async function pauseProcess(deps: AppDeps, processId: string, reason?: string): Promise<ProcessItem> {
  let current = await deps.processes.get({ id: processId });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!current) throw new ProcessNotFoundError(processId);
    if (isPausedProcess(current.status)) {
      if (current.sweepReason === SWEEP_REASON_ON_ENTRY.paused) await finishPause(deps, current);
      return current;
    }
    if (!processAllows('pause', current.status)) throw new ProcessNotRunningError(processId, current.status);
    if (owesOwnPass(current)) {
      await finishOwnPass(deps, current);
      current = await deps.processes.get({ id: processId });
      if (current && owesOwnPass(current)) throw new ConcurrencyConflictError(`process '${processId}' (its ${current.sweepReason ?? ''} pass is still being written)`);
      continue;
    }
    const at = historyInstant(deps);
    const result = await deps.processes.pauseOrResume({ current, event: 'pause', at, sweepAt: at.now + deps.settings.followUpGraceMs, ...(reason === undefined ? {} : { reason }) });
    if (!result.ok) {
      current = result.current;
      continue;
    }
    await finishPause(deps, result.item);
    return result.item;
  }
  throw new ConcurrencyConflictError(`process '${processId}'`);
}

/**
 * The pause pass, budgeted and resumable (the sweeper calls it again for
 * reason `pause`): walks the definition's order from the process's cursor and
 * marks every SCHEDULED or RUNNING task not yet marked (`hold`; a task that
 * moved on meanwhile is skipped by the write's condition). Then the process
 * gives the sweep slot back (to its deadline, if any). A process resumed or
 * ended since only gets the slot back (the resume or the cleanup took it).
 */
export async function finishPause(deps: AppDeps, process: ProcessItem, budgetMs?: number): Promise<void> {
  if (process.sweepAt === undefined) return;
  if (isPausedProcess(process.status)) {
    const def = await getDefinition(deps, process.definition, process.version);
    const at = instant(deps);
    const walk = await walkOrder(
      deps,
      { processId: process.id, order: dagOf(def).order, from: process.resumeFrom ?? 0, deadline: budgetedPassDeadline(deps, at, budgetMs) },
      async (names, items) => {
        const active = names.filter((n) => {
          const t = items.get(n);
          return t !== undefined && isActiveTask(t.status) && t.held !== true;
        });
        await inLanes(deps, active, deps.settings.writeConcurrency, (task) => deps.tasks.hold({ processId: process.id, task }));
      },
    );
    if (!walk.complete) {
      await deps.processes.deferSweep({ id: process.id, sweepAt: process.sweepAt, nextSweepAt: deps.now(), resumeFrom: walk.next });
      return;
    }
  }
  await giveBackSweepSlot(deps, process);
}

/**
 * POST /processes/{id}/resume. The process goes RUNNING again (flag removed,
 * ProcessResumed recorded, and the process put on the sweep index with reason
 * `resume`, in one transaction), then {@link finishResume} does the owed work,
 * within the call's budget; the sweeper finishes the rest. Resuming a RUNNING
 * process answers it as it is (going on with a resume pass still owed); an
 * ended one is a 409.
 */
export async function resumeProcess(deps: AppDeps, processId: string): Promise<ProcessItem> {
  let current = await deps.processes.get({ id: processId });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!current) throw new ProcessNotFoundError(processId);
    if (isRunningProcess(current.status)) {
      if (current.sweepReason === SWEEP_REASON_ON_ENTRY.resumed) await finishResume(deps, current);
      return current;
    }
    if (!processAllows('resume', current.status)) throw new ProcessNotRunningError(processId, current.status);
    // A rerun's pass still owed (its caller died, then the process was paused) shares the one sweep slot: finish it first.
    if (current.sweepReason === SWEEP_REASON_ON_ENTRY.reopened.process && current.sweepAt !== undefined) {
      await continueRerun(deps, current);
      current = await deps.processes.get({ id: processId });
      if (current?.sweepReason === SWEEP_REASON_ON_ENTRY.reopened.process) throw new ConcurrencyConflictError(`process '${processId}' (its rerun pass is still being written)`);
      continue;
    }
    const at = historyInstant(deps);
    const result = await deps.processes.pauseOrResume({ current, event: 'resume', at, sweepAt: at.now + deps.settings.followUpGraceMs });
    if (!result.ok) {
      current = result.current;
      continue;
    }
    await finishResume(deps, result.item);
    return result.item;
  }
  throw new ConcurrencyConflictError(`process '${processId}'`);
}

/**
 * What a resume owes, a chunk of the definition's order at a time, from the
 * process's cursor (the sweeper calls it again for reason `resume`; every step
 * is idempotent, and a crash redoes the chunk it interrupted). For each chunk:
 * 1. the pause marks go;
 * 2. every ended task whose follow-up waited (still on the sweep index) gets it:
 *    its children are scheduled, or the process ends;
 * 3. roots a paused start left unwritten are scheduled;
 * 4. the message of every SCHEDULED task is sent again (claims refused while
 *    paused consumed them).
 * Past the budget the cursor is recorded and the process stays due. Once the
 * walk is done: if every sink has ended (a follow-up that found the process
 * paused could not end it), the process ends; then it leaves the sweep index,
 * or waits there for its deadline. A process paused again before the pass
 * ran only gets its sweep slot back.
 */
export async function finishResume(deps: AppDeps, process: ProcessItem, budgetMs?: number): Promise<void> {
  if (process.sweepAt === undefined) return;
  if (isRunningProcess(process.status)) {
    const def = await getDefinition(deps, process.definition, process.version);
    const dag = dagOf(def);
    const roots = new Set(dag.roots);
    const at = instant(deps);
    const lanes = deps.settings.writeConcurrency;
    const walk = await walkOrder(
      deps,
      { processId: process.id, order: dag.order, from: process.resumeFrom ?? 0, deadline: budgetedPassDeadline(deps, at, budgetMs) },
      async (names, byName) => {
        const items = [...byName.values()];
        await inLanes(deps, items.filter((t) => t.held === true), lanes, (t) => deps.tasks.unhold({ processId: process.id, task: t.name }));
        await inLanes(deps, items.filter((t) => isTerminalTask(t.status) && t.sweepAt !== undefined), lanes, (t) => followUpOwed(deps, process, t, budgetMs));
        const missingRoots = names.filter((n) => roots.has(n) && !byName.has(n));
        if (missingRoots.length > 0) await scheduleNewTasks(deps, def, process.id, missingRoots, at, undefined, process.run);
        await sendBestEffort(deps, items.flatMap((t) => resentMessage(process.id, t, at.now)));
      },
    );
    if (!walk.complete) {
      await deps.processes.deferSweep({ id: process.id, sweepAt: process.sweepAt, nextSweepAt: deps.now(), resumeFrom: walk.next });
      return;
    }
    if (await sinksSettled(deps, process.id, dag.sinks)) {
      const decided = await endIfSinksSettled(deps, def, process.id, process.run);
      // The end decision's own walk ran out of budget: the sweeper asks again (the task walk above is done).
      if (!decided.complete) {
        await deps.processes.deferSweep({ id: process.id, sweepAt: process.sweepAt, nextSweepAt: deps.now(), resumeFrom: walk.next });
        return;
      }
    }
  }
  await giveBackSweepSlot(deps, process);
}

/**
 * Whether a resumed process may have every sink ended: one sink is read; with
 * several, the end counter decides (endIfSinksSettled reads it), so the check
 * costs one read whatever the width.
 */
async function sinksSettled(deps: AppDeps, processId: string, sinks: readonly string[]): Promise<boolean> {
  const [only] = sinks;
  if (sinks.length !== 1 || only === undefined) return true;
  const item = (await deps.tasks.getMany({ processId, tasks: [only] })).get(only);
  return item !== undefined && isTerminalTask(item.status);
}

/** A pass is done: the process waits on the sweep index for its deadline, or leaves it. */
async function giveBackSweepSlot(deps: AppDeps, process: ProcessItem): Promise<void> {
  if (process.sweepAt === undefined) return;
  if (process.deadlineAt !== undefined) await deps.processes.awaitDeadline({ id: process.id, sweepAt: process.sweepAt, deadlineAt: notBehind(deps, process.deadlineAt) });
  else await deps.processes.clearSweep({ id: process.id, sweepAt: process.sweepAt });
}

/** A RUNNING process still owing its roots or a rerun's pass (the sweep slot a pause would take). */
function owesOwnPass(process: ProcessItem): boolean {
  const reason = process.sweepReason;
  return process.sweepAt !== undefined && (reason === SWEEP_REASON_ON_ENTRY.process.RUNNING || reason === SWEEP_REASON_ON_ENTRY.reopened.process);
}

/** Finishes (within the call's budget) the roots or rerun pass a process owes. */
async function finishOwnPass(deps: AppDeps, process: ProcessItem): Promise<void> {
  if (process.sweepAt === undefined) return;
  if (process.sweepReason === SWEEP_REASON_ON_ENTRY.reopened.process) {
    await continueRerun(deps, process);
    return;
  }
  await scheduleRoots(deps, process.id, process.definition, process.version, process.sweepAt, {
    from: process.resumeFrom ?? 0,
    ...(process.deadlineAt === undefined ? {} : { deadlineAt: process.deadlineAt }),
  });
}

/** An ended task still on the sweep index owes its follow-up (the sweeper's duty for it, run now). */
async function followUpOwed(deps: AppDeps, process: ProcessItem, t: TaskItem, budgetMs: number | undefined): Promise<void> {
  const resume = { ...(t.resumeFrom === undefined ? {} : { from: t.resumeFrom }), ...(budgetMs === undefined ? {} : { budgetMs }) };
  // A task of an earlier run: the rerun since took over its consequences.
  if ((t.run ?? 1) !== process.run) {
    await deps.tasks.clearSweep({ processId: process.id, task: t.name });
    return;
  }
  switch (taskSweepDuty(t.sweepReason ?? 'followUp', t.status)) {
    case 'followUpCompleted':
      // A completion keeps its sweep entry once followed up: its count says it owes nothing.
      if (isCompletedTask(t.status) && (await completionCounted(deps, process.id, await getDefinition(deps, process.definition, process.version), t.name, process.run)) === true) return;
      await followUpCompleted(deps, process.id, { definition: process.definition, version: process.version, run: process.run }, t.name, resume);
      return;
    case 'followUpFailed':
      await followUpFailed(deps, process.id, t.name, resume, process.run);
      return;
    default:
      return;
  }
}

/** The message of a SCHEDULED task, delayed until its retry is due; none for a retry the sweeper sends (beyond SQS's longest delay). */
function resentMessage(processId: string, t: TaskItem, now: number): OutgoingTaskMessage[] {
  if (!isScheduledTask(t.status)) return [];
  const delaySeconds = Math.ceil(Math.max(0, (t.nextAttemptAt ?? now) - now) / 1000);
  return delaySeconds > MAX_SEND_DELAY_SECONDS ? [] : [messageOfItem(processId, t, delaySeconds)];
}

/** The moment of a pause or resume, with the TTL its history item gets: as long as the process input's. */
function historyInstant(deps: AppDeps): { now: number; iso: string; expiresAt: number } {
  const at = instant(deps);
  return { ...at, expiresAt: at.expiresAt + deps.settings.maxProcessSeconds };
}
