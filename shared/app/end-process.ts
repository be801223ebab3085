import { ConditionFailed } from '#adapters/dynamo/conditional.ts';
import { ProcessItemSchema, type ProcessItem } from '#schemas/items.ts';
import { ConcurrencyConflictError, ProcessNotFoundError, ProcessNotRunningError } from '#domain/errors.ts';
import { isTerminalTask } from '#domain/task-state.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { mapLimit } from './map-limit.ts';
import { instant } from './timestamps.ts';

type EndStatus = 'COMPLETED' | 'FAILED' | 'CANCELLED';

/**
 * Moves a RUNNING process to `status` under optimistic locking: a lost race
 * re-reads and retries; if another caller ended the process first, that status
 * stands. FAILED and CANCELLED then cancel every unfinished task.
 * Returns the process as it ends up. `known` saves the read when the caller
 * already has the process item.
 */
export async function endProcess(deps: AppDeps, processId: string, status: EndStatus, known?: ProcessItem): Promise<ProcessItem> {
  // A caller that has just read the process passes it in; a stale copy only costs one lost condition and a retry.
  let current = known ?? (await deps.processes.get(processId));
  for (let attempt = 0; attempt < 10; attempt++) {
    if (!current) throw new ProcessNotFoundError(processId);
    if (current.status !== 'RUNNING') return current;
    const owesCleanup = status !== 'COMPLETED';
    const result = await deps.processes.end(current, status, instant(deps), owesCleanup);
    if (result instanceof ConditionFailed) {
      current = result.item ? ProcessItemSchema.parse(result.item) : undefined;
      continue;
    }
    if (owesCleanup) await finishCleanup(deps, result.item);
    return result.item;
  }
  throw new ConcurrencyConflictError(`process '${processId}'`);
}

/**
 * Cancels every unfinished task of an ended process (tombstoning PENDING ones
 * so late scheduling cannot revive them), then takes the process off the sweep
 * index. Idempotent: the sweeper re-runs it if a call dies half-way.
 */
export async function finishCleanup(deps: AppDeps, process: ProcessItem, budgetMs = deps.settings.followUpBudgetMs): Promise<void> {
  const def = await getDefinition(deps, process.definition, process.version);
  const existing = new Map((await deps.tasks.listAll(process.id)).map((t) => [t.name, t]));
  const unfinished = dagOf(def).order.filter((name) => {
    const item = existing.get(name);
    return !item || !isTerminalTask(item.status);
  });
  const at = instant(deps);
  const deadline = at.now + budgetMs;
  const done = await mapLimit(unfinished, deps.settings.writeConcurrency, async (name) => {
    // Past the budget, stop: the process stays due on the sweep index, and the
    // sweeper (which skips what is already cancelled) finishes the rest.
    if (deps.now() >= deadline) return false;
    await deps.tasks.cancel(process.id, name, at.iso, at.expiresAt);
    return true;
  });
  if (done.every(Boolean) && process.sweepAt !== undefined) await deps.processes.clearSweep(process.id, process.sweepAt);
}

/** POST /processes/{id}/cancel. Cancelling a cancelled process is a no-op; a finished one is a 409. */
export async function cancelProcess(deps: AppDeps, processId: string): Promise<ProcessItem> {
  const before = await deps.processes.get(processId);
  if (!before) throw new ProcessNotFoundError(processId);
  if (before.status === 'CANCELLED') return before;
  const after = await endProcess(deps, processId, 'CANCELLED', before);
  if (after.status !== 'CANCELLED') throw new ProcessNotRunningError(processId, after.status);
  return after;
}
