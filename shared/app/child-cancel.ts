import { processAllows } from '#domain/lifecycle.ts';
import { childProcessKey } from '#domain/sub-process-spec.ts';
import { isRunningTask, isScheduledTask } from '#domain/status-predicates.ts';
import type { DefinitionVersionItem, TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';
import { processIdOfKey } from './start-process.ts';
import { instant } from './timestamps.ts';

/** Lost optimistic-lock races before the cancel is left to the next pass over the parent (it stays due). */
const MAX_CANCEL_ATTEMPTS = 5;

/**
 * Cancels a child process because its parent ended (`ParentEnded`), with one
 * write: the child ends CANCELLED owing its cleanup, which the sweeper does
 * (its unfinished tasks, and its own running children, recursively). So the
 * parent's pass costs one read and one write per child, never the child's
 * width. A child that already ended is left as it is.
 */
export async function cancelChildProcess(deps: AppDeps, childId: string, parentId: string): Promise<void> {
  let current = await deps.processes.get({ id: childId });
  for (let attempt = 0; attempt < MAX_CANCEL_ATTEMPTS; attempt++) {
    if (!current || !processAllows('cancel', current.status)) return;
    const error = { code: 'ParentEnded' as const, message: `its parent process '${parentId}' ended` };
    const result = await deps.processes.end({ current, event: 'cancel', at: instant(deps), owesCleanup: true, error });
    if (result.ok) return;
    current = result.current;
  }
  throw new Error(`child process '${childId}' could not be cancelled: its version kept changing`);
}

/**
 * The child a process task of an ended parent may be running, cancelled when
 * its task says `onParentEnd: cancel` (the default). Called by the parent's
 * cleanup before it cancels the task itself, so that a cleanup redone after a
 * crash still finds the task unfinished and the child to cancel. A SCHEDULED
 * task's child may have been created by a start still in flight: it is
 * looked up by its derived id (the start, finding its task cancelled, cancels
 * it too, whichever comes second).
 */
export async function cancelChildOfTask(deps: AppDeps, def: DefinitionVersionItem, parentId: string, item: TaskItem | undefined): Promise<void> {
  if (!item || !(isScheduledTask(item.status) || isRunningTask(item.status))) return;
  const spec = dagOf(def).tasks.get(item.name)?.process;
  if (!spec || spec.onParentEnd !== 'cancel') return;
  await cancelChildProcess(deps, item.childProcessId ?? processIdOfKey(childProcessKey(parentId, item.name)), parentId);
}
