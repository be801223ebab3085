import { ConcurrencyConflictError, ProcessNotFoundError, ProcessNotRunningError } from '#domain/errors.ts';
import { isActiveTask, isTerminalTask, processAllows, SWEEP_REASON_ON_ENTRY, taskSweepDuty } from '#domain/lifecycle.ts';
import type { ProcessItem, TaskItem } from '#schemas/items.ts';
import { budgetedPass } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { endIfSinksSettled } from './end-process.ts';
import { followUpCompleted, followUpFailed } from './end-task.ts';
import { MAX_SEND_DELAY_SECONDS, type OutgoingTaskMessage } from './ports.ts';
import { continueRerun } from './rerun-process.ts';
import { messageOfItem, scheduleNewTasks, sendBestEffort } from './scheduling.ts';
import { instant } from './timestamps.ts';
import { TASK_STATUS, isPausedProcess, isRunningProcess, isScheduledTask } from '#domain/status-predicates.ts';

/** Most lost optimistic-lock races before giving up with ConcurrencyConflict. */
const MAX_ATTEMPTS = 10;

/**
 * POST /processes/{id}/pause. The process goes PAUSED (with the input item's
 * `paused` flag, which refuses claims, and a ProcessPaused history event, in
 * one transaction); then every SCHEDULED or RUNNING task is marked `held`, so
 * that an ending while paused is recorded but schedules nothing. Running tasks
 * finish normally. Pausing a PAUSED process answers it as it is (and marks any
 * task an interrupted pause left unmarked); an ended one is a 409.
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
      await holdActiveTasks(deps, processId);
      return current;
    }
    if (!processAllows('pause', current.status)) throw new ProcessNotRunningError(processId, current.status);
    const result = await deps.processes.pauseOrResume({ current, event: 'pause', at: historyInstant(deps), ...(reason === undefined ? {} : { reason }) });
    if (!result.ok) {
      current = result.current;
      continue;
    }
    await holdActiveTasks(deps, processId);
    return result.item;
  }
  throw new ConcurrencyConflictError(`process '${processId}'`);
}

/**
 * POST /processes/{id}/resume. The process goes RUNNING again (flag removed,
 * ProcessResumed recorded, and the process put on the sweep index with reason
 * `resume`, in one transaction), then {@link finishResume} does the owed work.
 * Resuming a RUNNING process answers it as it is (finishing a resume pass a
 * crash left owed); an ended one is a 409.
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
 * What a resume owes, in an order a crash can interrupt anywhere (the sweeper
 * calls it again for reason `resume`; every step is idempotent):
 * 1. the pause marks go;
 * 2. every ended task whose follow-up waited (still on the sweep index) gets it:
 *    its children are scheduled, or the process ends;
 * 3. roots a paused start left unwritten are scheduled;
 * 4. the message of every SCHEDULED task is sent again (claims refused while
 *    paused consumed them);
 * 5. if every sink has ended (a follow-up that found the process paused could not end it), the process ends;
 * 6. the process leaves the sweep index, or waits there for its deadline.
 * A process paused again before the pass ran only gets its sweep slot back.
 */
export async function finishResume(deps: AppDeps, process: ProcessItem, budgetMs?: number): Promise<void> {
  if (process.sweepAt === undefined) return;
  if (isRunningProcess(process.status)) {
    const def = await getDefinition(deps, process.definition, process.version);
    const dag = dagOf(def);
    const items = await deps.tasks.listAll({ processId: process.id });
    const byName = new Map(items.map((t) => [t.name, t]));
    const each = (list: readonly TaskItem[], step: (t: TaskItem) => Promise<void>) =>
      budgetedPass(list, { chunk: 1, lanes: deps.settings.writeConcurrency, deadline: Number.POSITIVE_INFINITY, now: deps.now }, async ([t]) => {
        if (t) await step(t);
      });
    await each(
      items.filter((t) => t.held === true),
      (t) => deps.tasks.unhold({ processId: process.id, task: t.name }),
    );
    await each(
      items.filter((t) => isTerminalTask(t.status) && t.sweepAt !== undefined),
      (t) => followUpOwed(deps, process, t, budgetMs),
    );
    const at = instant(deps);
    const missingRoots = dag.roots.filter((r) => !byName.has(r));
    if (missingRoots.length > 0) await scheduleNewTasks(deps, def, process.id, missingRoots, at, undefined, process.run);
    await sendBestEffort(deps, items.flatMap((t) => resentMessage(process.id, t, at.now)));
    if (dag.sinks.every((s) => isTerminalTask(byName.get(s)?.status ?? TASK_STATUS.pending))) await endIfSinksSettled(deps, def, process.id, process.run);
  }
  if (process.deadlineAt !== undefined) await deps.processes.awaitDeadline({ id: process.id, sweepAt: process.sweepAt, deadlineAt: process.deadlineAt });
  else await deps.processes.clearSweep({ id: process.id, sweepAt: process.sweepAt });
}

/** Marks every SCHEDULED or RUNNING task of a paused process (`hold`); a task that moved on meanwhile is skipped by the write's condition. */
async function holdActiveTasks(deps: AppDeps, processId: string): Promise<void> {
  const active = (await deps.tasks.listAll({ processId })).filter((t) => isActiveTask(t.status) && t.held !== true);
  await budgetedPass(active, { chunk: 1, lanes: deps.settings.writeConcurrency, deadline: Number.POSITIVE_INFINITY, now: deps.now }, async ([t]) => {
    if (t) await deps.tasks.hold({ processId, task: t.name });
  });
}

/** An ended task still on the sweep index owes its follow-up (the sweeper's duty for it, run now). */
async function followUpOwed(deps: AppDeps, process: ProcessItem, t: TaskItem, budgetMs: number | undefined): Promise<void> {
  const resume = { from: t.resumeFrom ?? 0, ...(budgetMs === undefined ? {} : { budgetMs }) };
  // A task of an earlier run: the rerun since took over its consequences.
  if ((t.run ?? 1) !== process.run) {
    await deps.tasks.clearSweep({ processId: process.id, task: t.name });
    return;
  }
  switch (taskSweepDuty(t.sweepReason ?? 'followUp', t.status)) {
    case 'followUpCompleted':
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
