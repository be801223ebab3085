import {
  LeaseMismatchError,
  ProcessNotFoundError,
  ProcessNotRunningError,
  TaskAlreadyClaimedError,
  TaskNotActiveError,
  TaskNotFoundError,
  type TributaryError,
} from '#domain/errors.ts';
import type { TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';

export type TaskOperation = 'claim' | 'heartbeat' | 'complete' | 'fail';

/**
 * Says why a conditional write on a task lost, from the item as it is now
 * (parsed from the failed write's answer). Reads the process only when the task item
 * does not exist or was cancelled, to tell 404s and ProcessNotRunning apart.
 */
export async function explainTaskConflict(
  deps: AppDeps,
  processId: string,
  task: string,
  op: TaskOperation,
  item: TaskItem | undefined,
  leaseToken: string | undefined,
): Promise<TributaryError> {
  if (!item || item.status === 'CANCELLED') {
    const process = await deps.processes.get({ id: processId });
    if (!process) return new ProcessNotFoundError(processId);
    const def = await getDefinition(deps, process.definition, process.version);
    if (!dagOf(def).tasks.has(task)) return new TaskNotFoundError(processId, task);
    if (process.status !== 'RUNNING') return new ProcessNotRunningError(processId, process.status);
    return new TaskNotActiveError(task, item?.status ?? 'PENDING');
  }
  if (op === 'claim') {
    if (item.status === 'RUNNING') return new TaskAlreadyClaimedError(task);
    return new TaskNotActiveError(task, item.status);
  }
  if (leaseToken === undefined) {
    if (item.status === 'RUNNING') return new LeaseMismatchError(task, 'the task is claimed; pass its leaseToken');
    return new TaskNotActiveError(task, item.status);
  }
  if (item.leaseToken !== leaseToken) return new LeaseMismatchError(task, 'the lease token is stale or belongs to another claim');
  return new TaskNotActiveError(task, item.status);
}
