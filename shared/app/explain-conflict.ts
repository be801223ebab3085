import { declaredTaskOf } from './map-specs.ts';
import {
  LeaseMismatchError,
  ProcessNotFoundError,
  ProcessNotRunningError,
  ProcessPausedError,
  ProcessTaskNotClaimableError,
  TaskAlreadyClaimedError,
  TaskNotActiveError,
  TaskNotFoundError,
  type TributaryError,
} from '#domain/errors.ts';
import type { TaskItem } from '#schemas/items.ts';
import { SWEEP_REASON_ON_ENTRY } from '#domain/lifecycle.ts';
import type { AppDeps } from './deps.ts';
import { getDefinition } from './definitions.ts';
import { TASK_STATUS, isCancelledTask, isPausedProcess, isRunningProcess, isRunningTask, isScheduledTask } from '#domain/status-predicates.ts';

export type TaskOperation = 'claim' | 'heartbeat' | 'complete' | 'fail' | 'release';

const PAST_TENSE: Readonly<Record<TaskOperation, string>> = { claim: 'claimed', heartbeat: 'heartbeaten', complete: 'completed', fail: 'failed', release: 'released' };

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
  // A process task is ended by its child process only: no lease is ever issued for it.
  if (item && op !== 'release' && (item.childProcessId !== undefined || item.sweepReason === SWEEP_REASON_ON_ENTRY.subProcess.start)) {
    return new ProcessTaskNotClaimableError(task, PAST_TENSE[op]);
  }
  if (!item || isCancelledTask(item.status)) {
    const process = await deps.processes.get({ id: processId });
    if (!process) return new ProcessNotFoundError(processId);
    const def = await getDefinition(deps, process.definition, process.version);
    if (!declaredTaskOf(def, task)) return new TaskNotFoundError(processId, task);
    if (isPausedProcess(process.status) && op === 'claim') return new ProcessPausedError(processId);
    if (!isRunningProcess(process.status)) return new ProcessNotRunningError(processId, process.status);
    return new TaskNotActiveError(task, item?.status ?? TASK_STATUS.pending);
  }
  const now = deps.now();
  // A retry waiting for its backoff: neither a claim nor a manual end may take it before then.
  if (isScheduledTask(item.status) && item.nextAttemptAt !== undefined && item.nextAttemptAt > now && (op === 'claim' || leaseToken === undefined)) {
    return new TaskNotActiveError(task, item.status, { notBefore: new Date(item.nextAttemptAt).toISOString() });
  }
  if (op === 'claim') {
    if (isRunningTask(item.status)) return new TaskAlreadyClaimedError(task);
    return new TaskNotActiveError(task, item.status);
  }
  if (leaseToken === undefined) {
    if (isRunningTask(item.status)) return new LeaseMismatchError(task, 'the task is claimed; pass its leaseToken');
    return new TaskNotActiveError(task, item.status);
  }
  const stale = staleAttemptOf(item, leaseToken);
  if (item.leaseToken !== leaseToken) {
    const error = new LeaseMismatchError(task, 'the lease token is stale or belongs to another claim');
    if (stale) await recordStale(deps, processId, task, op, stale);
    return error;
  }
  if (isRunningTask(item.status)) {
    // The caller's own lease, dead: it ran out (or the attempt passed its deadline) before the sweeper noticed.
    const deadline = Math.min(item.leaseExpiresAt ?? 0, item.attemptDeadline ?? Number.POSITIVE_INFINITY);
    if (stale) await recordStale(deps, processId, task, op, stale);
    return new LeaseMismatchError(task, `the lease expired at ${new Date(deadline).toISOString()}`);
  }
  // The last attempt ended by its lease running out or its deadline passing: the token died then.
  if (item.attempts?.some((r) => r.t === leaseToken && (r.k === 'l' || r.k === 't'))) {
    if (stale) await recordStale(deps, processId, task, op, stale);
    return new LeaseMismatchError(task, 'the lease expired, and the attempt with it');
  }
  return new TaskNotActiveError(task, item.status);
}

/** The attempt and worker a lease token belonged to: the current one, or an ended attempt recorded on the item. */
function staleAttemptOf(item: TaskItem, leaseToken: string): { attempt: number; workerId?: string } | undefined {
  if (item.leaseToken === leaseToken && item.attempt !== undefined) return { attempt: item.attempt, ...(item.workerId ? { workerId: item.workerId } : {}) };
  const record = item.attempts?.find((r) => r.t === leaseToken && r.k !== 's');
  return record && { attempt: record.a, ...(record.w ? { workerId: record.w } : {}) };
}

/**
 * Notes a refused stale call on the task item (StaleResultRejected in the
 * history). Only on the refusal path, so success costs nothing; best effort,
 * since the caller's answer (409) does not depend on it.
 */
async function recordStale(deps: AppDeps, processId: string, task: string, op: TaskOperation, stale: { attempt: number; workerId?: string }): Promise<void> {
  try {
    await deps.tasks.recordStale({
      processId,
      task,
      record: { k: 's', a: stale.attempt, e: new Date(deps.now()).toISOString(), op, ...(stale.workerId ? { w: stale.workerId } : {}) },
    });
  } catch (error) {
    deps.log.warn('a stale call could not be recorded', { processId, task, error: String(error) });
  }
}
