import { ATTEMPT_ERROR_LIMITS, decideRetry, summariseError } from '#domain/retry-policy.ts';
import { isCompletedProcess, isEndedProcess, isRunningTask, isScheduledTask } from '#domain/status-predicates.ts';
import type { ProcessItem, TaskError } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition, taskPolicyOf } from './definitions.ts';
import { followUpCompleted, followUpFailed } from './end-task.ts';
import type { EndTask } from './ports.ts';
import { holdsSlot } from './process-slots.ts';
import { failureSettles, settlesOf } from './settles.ts';
import { instant } from './timestamps.ts';

/**
 * What an ended child process owes its parent, as part of its cleanup (so a
 * crash anywhere is finished by the sweeper, and a repeat is harmless): the
 * parent's process task, if it still waits for this run of this child,
 * - completes with `{<sink>: <output>}` of the child's sinks (COMPLETED);
 * - or fails with ChildProcessFailed, carrying the child's error (FAILED,
 *   CANCELLED): with attempts left by the task's retry policy, it goes back
 *   to SCHEDULED and the sweeper reruns the child from its failure after the
 *   backoff; without, it fails for good and its failure policy applies.
 * Each write is guarded on the task's run and attempt as read, so two calls
 * end it once. A task that moved on (cancelled with its parent, an abandoned
 * child, a later run) is left alone.
 *
 * Answers false when the task cannot take the ending yet: it is SCHEDULED
 * and its start (of this child, or of its rerun) has not recorded the child
 * (a child can end inside the call that starts it, e.g. past the depth
 * limit). The caller then stays due, and asks again; the start, once
 * written, also asks at once.
 */
export async function endParentTask(deps: AppDeps, child: ProcessItem): Promise<boolean> {
  const parentId = child.parentProcessId;
  const task = child.parentTask;
  if (parentId === undefined || task === undefined || !isEndedProcess(child.status)) return true;
  const item = await deps.tasks.get({ processId: parentId, task });
  if (isScheduledTask(item?.status) && (item.childRun ?? 0) < child.run) return false;
  if (!item || !isRunningTask(item.status) || item.childProcessId !== child.id || item.childRun !== child.run) return true;
  if (item.definition === undefined || item.version === undefined) return true;
  const def = await getDefinition(deps, item.definition, item.version);
  const dag = dagOf(def);
  const at = instant(deps);
  const run = item.run ?? 1;
  const attempt = item.attempt ?? 1;
  const held = item.held === true;
  // Under maxParallel the task held a process slot since it was scheduled: its ending gives it back.
  const end: EndTask = { processId: parentId, task, run, iso: at.iso, now: at.now, expiresAt: at.expiresAt, held, ...(holdsSlot(def, task) ? { pooled: true } : {}) };
  if (isCompletedProcess(child.status)) {
    const output = await sinkOutputs(deps, child);
    if (!(await deps.subProcesses.complete({ end, attempt, output, settles: settlesOf(dag, task, 'children'), sweepAt: at.now }))) return true;
    // Ended while its parent is paused: the follow-up waits for the resume (the sweeper holds it back).
    if (held) return true;
    const identity = await deps.processes.identity({ id: parentId, fresh: true });
    if (identity && identity.run === run) await followUpCompleted(deps, parentId, identity, task);
    return true;
  }
  const error: TaskError = {
    code: 'ChildProcessFailed',
    message: `child process '${child.id}' ended ${child.status}${child.error ? `: ${child.error.message}` : ''}`,
    details: { childProcessId: child.id, status: child.status, run: child.run, ...(child.error ? { error: child.error } : {}) },
  };
  const record = {
    k: 'f' as const,
    a: attempt,
    e: at.iso,
    x: JSON.stringify(summariseError(error, ATTEMPT_ERROR_LIMITS)),
    ...(item.scheduledAt ? { s: item.scheduledAt } : {}),
    ...(item.claimedAt ? { c: item.claimedAt } : {}),
  };
  const decision = decideRetry(taskPolicyOf(def, task).retry, attempt, error, { now: at.now, random: deps.random() });
  if (decision.retry) {
    await deps.subProcesses.retry({ processId: parentId, task, run, attempt, iso: at.iso, nextAttemptAt: decision.nextAttemptAt, error, record });
    return true;
  }
  if (!(await deps.subProcesses.fail({ end, attempt, error, record, settles: failureSettles(def, dag, task), sweepAt: at.now }))) return true;
  if (!held) await followUpFailed(deps, parentId, task, {}, run);
  return true;
}

/**
 * The output of a completed child: each sink's output, by name (null for a
 * sink that did not complete: a failed optional one, or one skipped). One
 * read of the sinks' items.
 */
async function sinkOutputs(deps: AppDeps, child: ProcessItem): Promise<Record<string, unknown>> {
  const sinks = dagOf(await getDefinition(deps, child.definition, child.version)).sinks;
  const items = await deps.tasks.getMany({ processId: child.id, tasks: sinks });
  return Object.fromEntries(sinks.map((s) => [s, items.get(s)?.output ?? null]));
}
