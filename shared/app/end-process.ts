import { ConcurrencyConflictError, ProcessNotFoundError, ProcessNotRunningError } from '#domain/errors.ts';
import { guardsHold, processAllows, taskGuards } from '#domain/lifecycle.ts';
import type { DefinitionVersionItem, ProcessError, ProcessItem } from '#schemas/items.ts';
import { budgetedPass } from './budgeted-pass.ts';
import { startCompensation } from './compensation.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition, taskPolicyOf } from './definitions.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';
import { isCancelledProcess, isFailedTask, isSkippedTask } from '#domain/status-predicates.ts';

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
    if (!processAllows(event, current.status)) return current;
    // A consequence of an earlier run (a late follow-up) never ends the run a rerun started since.
    if (run !== undefined && current.run !== run) return current;
    const owesCleanup = event !== 'complete';
    const result = await deps.processes.end({ current, event, at: instant(deps), owesCleanup, ...(error === undefined ? {} : { error }) });
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
 * index. A budgeted pass: past the budget the process stays due, and the
 * sweeper (which skips what is already cancelled, and finds the compensation
 * already started) finishes the rest.
 */
export async function finishCleanup(deps: AppDeps, process: ProcessItem, budgetMs?: number): Promise<void> {
  const def = await getDefinition(deps, process.definition, process.version);
  const existing = new Map((await deps.tasks.listAll({ processId: process.id })).map((t) => [t.name, t]));
  const cancellable = taskGuards('cancel', { run: process.run });
  const unfinished = dagOf(def).order.filter((name) => guardsHold(cancellable, existing.get(name)));
  const at = instant(deps);
  const pass = await budgetedPass(
    unfinished,
    { chunk: 1, lanes: deps.settings.writeConcurrency, deadline: budgetedPassDeadline(deps, at, budgetMs), now: deps.now },
    async ([name]) => {
      if (name !== undefined) await deps.tasks.cancel({ processId: process.id, task: name, run: process.run, iso: at.iso, expiresAt: at.expiresAt });
    },
  );
  if (!pass.complete || process.sweepAt === undefined) return;
  await startCompensation(deps, process, def, [...existing.values()]);
  await deps.processes.clearSweep({ id: process.id, sweepAt: process.sweepAt });
}

/**
 * Ends the process once every sink has settled: COMPLETED, or FAILED under
 * skipDownstream when a task failed (not an optional one) or was skipped.
 * Only skipDownstream definitions pay for the look at the tasks, once.
 */
export async function endIfSinksSettled(deps: AppDeps, def: DefinitionVersionItem, processId: string, run: number): Promise<void> {
  const dag = dagOf(def);
  const allSinksSettled = dag.sinks.length === 1 || (await deps.processes.settledSinks({ id: processId })) >= dag.sinks.length;
  if (!allSinksSettled) return;
  if (def.onFailure !== 'skipDownstream') {
    await endProcess(deps, processId, 'complete', undefined, undefined, run);
    return;
  }
  const items = await deps.tasks.listAll({ processId });
  const failed = items.find((t) => isFailedTask(t.status) && !taskPolicyOf(def, t.name).optional);
  const skipped = items.find((t) => isSkippedTask(t.status));
  const culprit = failed?.name ?? skipped?.skippedBecause;
  if (culprit === undefined) {
    await endProcess(deps, processId, 'complete', undefined, undefined, run);
    return;
  }
  await endProcess(deps, processId, 'fail', undefined, taskFailedError(culprit, items.find((t) => t.name === culprit)?.error?.message), run);
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
