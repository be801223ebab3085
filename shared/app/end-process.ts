import { ConcurrencyConflictError, ProcessNotFoundError, ProcessNotRunningError } from '#domain/errors.ts';
import { guardsHold, processAllows, taskGuards } from '#domain/lifecycle.ts';
import { compensatesOn } from '#domain/compensation.ts';
import { handSlotOn } from './hand-slot-on.ts';
import type { DefinitionVersionItem, ProcessError, ProcessItem, TaskItem } from '#schemas/items.ts';
import type { PassResult } from './budgeted-pass.ts';
import { startCompensation } from './compensation.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { endVerdict, type EndCheck } from './end-verdict.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';
import { inLanes, walkOrder } from './walk-order.ts';
import { isCancelledProcess, isCompletedProcess, isCompletedTask, isRunningTask, isScheduledTask } from '#domain/status-predicates.ts';
import { cancelChildOfTask } from './child-cancel.ts';
import { endParentTask } from './child-end.ts';
import { mapSettingsOf } from './map-specs.ts';
import { endHolder, finishHandover } from './pool-handover.ts';
import { holdsSlotProcess, isQueuedProcess } from '#domain/status-predicates.ts';

/** The process events that end a process. */
export type EndEvent = 'complete' | 'fail' | 'cancel';

/** Most lost optimistic-lock races before giving up with ConcurrencyConflict. */
const MAX_END_ATTEMPTS = 10;

/**
 * Ends a process with `event` under optimistic locking: a lost race re-reads
 * and retries; if the table no longer allows the event (another caller ended
 * the process first), that ending stands. `fail` and `cancel` then cancel
 * every unfinished task. Returns the process as it ends up. `known` saves the
 * read when the caller already has the process item.
 */
export async function endProcess(
  deps: AppDeps,
  processId: string,
  event: EndEvent,
  known?: ProcessItem,
  error?: ProcessError,
  run?: number,
): Promise<ProcessItem> {
  // A caller that has just read the process passes it in; a stale copy only costs one lost condition and a retry.
  let current = known ?? (await deps.processes.get({ id: processId }));
  for (let attempt = 0; attempt < MAX_END_ATTEMPTS; attempt++) {
    if (!current) throw new ProcessNotFoundError(processId);
    if (!processAllows(event, current.status)) {
      // A redone ending (a crash cut the call that ended it): the start its slot went to may still owe its roots.
      if (current.handedTo !== undefined) await finishHandover(deps, current);
      return current;
    }
    // A consequence of an earlier run (a late follow-up) never ends the run a rerun started since.
    if (run !== undefined && current.run !== run) return current;
    // A child process owes its parent's task its ending, whatever it is: that is part of its cleanup. Otherwise a
    // QUEUED process never ran (no task, no slot): its cancellation owes no cleanup, and it leaves its queue with the write.
    const owesCleanup = current.parentProcessId !== undefined || (event !== 'complete' && !isQueuedProcess(current.status));
    // Issue 18: a holder of a concurrency slot hands it to the head of its pool's queue in its ending's transaction.
    const result =
      current.pool !== undefined && holdsSlotProcess(current.status)
        ? await endHolder(deps, { current, event, owesCleanup, ...(error === undefined ? {} : { error }) })
        : await deps.processes.end({ current, event, at: instant(deps), owesCleanup, ...(error === undefined ? {} : { error }) });
    if (!result.ok) {
      current = result.current;
      continue;
    }
    if (owesCleanup) await finishCleanup(deps, result.item);
    return result.item;
  }
  throw new ConcurrencyConflictError(`process '${processId}'`);
}

/**
 * Cancels every unfinished task of an ended process (tombstoning PENDING ones
 * so late scheduling cannot revive them), starts its compensation if its
 * definition names one for this ending, then takes the process off the sweep
 * index. A budgeted pass over the definition's order, a chunk at a time from
 * the cursor on the process: past the budget the cursor is recorded and the
 * process stays due, and the sweeper (which skips what is already cancelled,
 * and finds the compensation already started) finishes the rest.
 */
export async function finishCleanup(deps: AppDeps, process: ProcessItem, budgetMs?: number): Promise<void> {
  // The sweeper's pass redoes what a crash cut: the start this process's slot went to (issue 18) may owe its roots.
  if (budgetMs !== undefined) await finishHandover(deps, process);
  // A completed child has nothing to cancel: it owes only its parent's task.
  if (isCompletedProcess(process.status)) {
    await endParentTaskOrWait(deps, process);
    return;
  }
  const def = await getDefinition(deps, process.definition, process.version);
  const order = dagOf(def).order;
  const cancellable = taskGuards('cancel', { run: process.run });
  const at = instant(deps);
  const walk = await walkOrder(
    deps,
    { processId: process.id, order, from: process.resumeFrom ?? 0, deadline: budgetedPassDeadline(deps, at, budgetMs) },
    async (names, items) => {
      const unfinished = names.filter((name) => guardsHold(cancellable, items.get(name)));
      await inLanes(deps, unfinished, deps.settings.writeConcurrency, async (task) => {
        const item = items.get(task);
        // A process task's child goes first (onParentEnd: cancel): a redone chunk still finds the task unfinished.
        if (dagOf(def).tasks.get(task)?.process) await cancelChildOfTask(deps, def, process.id, item);
        // A map that expands or runs is cancelled with a teardown owed: the sweeper cancels its children next.
        if (item && mapSettingsOf(def, task) && (isScheduledTask(item.status) || isRunningTask(item.status))) {
          return deps.maps.cancel({ end: { processId: process.id, task, iso: at.iso, now: at.now, expiresAt: at.expiresAt, run: process.run }, sweepAt: at.now });
        }
        const cancelled = await deps.tasks.cancel({ processId: process.id, task, run: process.run, iso: at.iso, expiresAt: at.expiresAt, ...(item?.leaseToken === undefined ? {} : { leaseToken: item.leaseToken }) });
        if (cancelled) await handSlotOn(deps, item?.leaseToken);
        return cancelled;
      });
    },
  );
  if (process.sweepAt === undefined) return;
  if (!walk.complete) {
    await deps.processes.deferSweep({ id: process.id, sweepAt: process.sweepAt, nextSweepAt: deps.now(), resumeFrom: walk.next });
    return;
  }
  if (compensatesOn(def.compensation, process.status)) await startCompensation(deps, process, def, await completedTasks(deps, process.id, order));
  await endParentTaskOrWait(deps, process);
}

/** A child's last duty, then off the sweep index; a parent task still starting it is asked again a grace period later. */
async function endParentTaskOrWait(deps: AppDeps, process: ProcessItem): Promise<void> {
  if (process.sweepAt === undefined) return;
  if (await endParentTask(deps, process)) await deps.processes.clearSweep({ id: process.id, sweepAt: process.sweepAt });
  else await deps.processes.deferSweep({ id: process.id, sweepAt: process.sweepAt, nextSweepAt: deps.now() + deps.settings.followUpGraceMs, resumeFrom: process.resumeFrom ?? 0 });
}

/**
 * The COMPLETED tasks whose outputs a compensation's input carries, read a
 * chunk of the order at a time. Only a definition with a compensation for this
 * ending pays for it; the input's size limit bounds what it can carry anyway.
 */
async function completedTasks(deps: AppDeps, processId: string, order: readonly string[]): Promise<TaskItem[]> {
  const completed: TaskItem[] = [];
  await walkOrder(deps, { processId, order, from: 0, deadline: Number.POSITIVE_INFINITY }, async (_names, items) => {
    completed.push(...[...items.values()].filter((t) => isCompletedTask(t.status)));
  });
  return completed;
}

/**
 * The end decision, after a task ended: once every sink has settled the
 * process ends COMPLETED, or FAILED under skipDownstream when a task failed
 * (not an optional one) or was skipped, but only once no task can run any
 * more (see {@link endVerdict}: the other branches run to their ends).
 * Answers whether it decided; when it ran out of budget (`complete: false`)
 * the caller records `handled` and the sweeper asks again with `from`.
 */
export async function endIfSinksSettled(deps: AppDeps, def: DefinitionVersionItem, processId: string, run: number, check: Partial<EndCheck> = {}): Promise<PassResult> {
  const verdict = await endVerdict(deps, def, processId, { deadline: budgetedPassDeadline(deps, instant(deps)), ...check });
  if (verdict.kind === 'cutShort') return { complete: false, handled: verdict.at };
  if (verdict.kind === 'ended' && verdict.culprit === undefined) await endProcess(deps, processId, 'complete', undefined, undefined, run);
  if (verdict.kind === 'ended' && verdict.culprit !== undefined) {
    const item = await deps.tasks.get({ processId, task: verdict.culprit });
    await endProcess(deps, processId, 'fail', undefined, taskFailedError(verdict.culprit, item?.error?.message), run);
  }
  return { complete: true, handled: 0 };
}

/** Why a process FAILED because of a task: `TaskFailed`, naming it, with its last error's message. */
export function taskFailedError(task: string, message: string | undefined): ProcessError {
  return { code: 'TaskFailed', task, message: `task '${task}' failed${message ? `: ${message}` : ''}` };
}

/** POST /processes/{id}/cancel. Cancelling a cancelled process is a no-op; a finished one is a 409. `reason` becomes the error's message. */
export async function cancelProcess(deps: AppDeps, processId: string, reason?: string): Promise<ProcessItem> {
  const before = await deps.processes.get({ id: processId });
  if (!before) throw new ProcessNotFoundError(processId);
  if (isCancelledProcess(before.status)) return before;
  const after = await endProcess(deps, processId, 'cancel', before, { code: 'Cancelled', message: reason ?? 'the process was cancelled' });
  if (!isCancelledProcess(after.status)) throw new ProcessNotRunningError(processId, after.status);
  return after;
}
