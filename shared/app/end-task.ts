import { TaskNotFoundError } from '#domain/errors.ts';
import type { TaskError } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { endProcess } from './end-process.ts';
import { explainTaskConflict } from './explain-conflict.ts';
import type { EndTask, SettleCount } from './ports.ts';
import { scheduleNewTasks, scheduleReadyJoins } from './scheduling.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';

/**
 * Completes a task (with its lease token, or without one for an unclaimed
 * manual task), then schedules the children this completion made ready and,
 * after the last sink, completes the process. A repeat with the same token
 * after success is answered as a success.
 *
 * @example
 * await completeTask(deps, processId, 'Open Loan Application', { output: { amount: 1000000 } });
 */
export async function completeTask(deps: AppDeps, processId: string, task: string, body: { leaseToken?: string; output?: unknown }): Promise<void> {
  const process = await deps.processes.identity({ id: processId });
  const def = process ? await getDefinition(deps, process.definition, process.version) : undefined;
  const dag = def ? dagOf(def) : undefined;
  if (!process || !def || !dag || !dag.tasks.has(task)) {
    throw await explainTaskConflict(deps, processId, task, 'complete', undefined, body.leaseToken);
  }
  // Joins and the process end count settled parents; the counts ride in the completion's own write.
  const settles: SettleCount[] = (dag.children.get(task) ?? [])
    .filter((c) => (dag.tasks.get(c)?.needs.length ?? 0) > 1)
    .map((c) => ({ task: c, expected: dag.tasks.get(c)?.needs.length ?? 0 }));
  if (dag.sinks.length > 1 && dag.sinks.includes(task)) settles.push({ expected: dag.sinks.length });
  const result = await deps.tasks.complete({ end: endOf(deps, processId, task, body.leaseToken), output: body.output, settles });
  if (!result.ok) {
    const current = result.current;
    // A retry of a completion that already succeeded: same token, already COMPLETED.
    if (body.leaseToken !== undefined && current?.status === 'COMPLETED' && current.leaseToken === body.leaseToken) return;
    throw await explainTaskConflict(deps, processId, task, 'complete', current, body.leaseToken);
  }
  await followUpCompleted(deps, processId, process.definition, process.version, task);
}

/** Fails a task; in this version that fails the process and cancels its unfinished tasks. */
export async function failTask(deps: AppDeps, processId: string, task: string, body: { leaseToken?: string; error: TaskError }): Promise<void> {
  const result = await deps.tasks.fail({ end: endOf(deps, processId, task, body.leaseToken), error: body.error });
  if (!result.ok) {
    const current = result.current;
    if (body.leaseToken !== undefined && current?.status === 'FAILED' && current.leaseToken === body.leaseToken) return;
    throw await explainTaskConflict(deps, processId, task, 'fail', current, body.leaseToken);
  }
  await followUpFailed(deps, processId, task);
}

/**
 * What a completion owes: schedule the children it made ready, complete the
 * process after its last sink, then leave the sweep index. Idempotent, so the
 * sweeper can call it again for a task whose completing call died half-way.
 */
export async function followUpCompleted(
  deps: AppDeps,
  processId: string,
  definition: string,
  version: number,
  task: string,
  resume: { from?: number; budgetMs?: number } = {},
): Promise<void> {
  const def = await getDefinition(deps, definition, version);
  const dag = dagOf(def);
  if (!dag.tasks.has(task)) throw new TaskNotFoundError(processId, task);
  const children = dag.children.get(task) ?? [];
  const at = instant(deps);
  const from = resume.from ?? 0;
  const single = children.filter((c) => dag.tasks.get(c)?.needs.length === 1).slice(from);
  const joins = children.filter((c) => (dag.tasks.get(c)?.needs.length ?? 0) > 1);
  const deadline = budgetedPassDeadline(deps, at, resume.budgetMs);
  const [pass] = await Promise.all([scheduleNewTasks(deps, def, processId, single, at, deadline), scheduleReadyJoins(deps, def, processId, joins, at)]);
  if (!pass.complete) {
    // A fan-out too wide for one call's budget: record where to resume and
    // leave the rest to the sweeper, due now. The caller's answer is not delayed.
    await deps.tasks.deferFollowUp({ processId, task, resumeFrom: from + pass.handled, at: deps.now() });
    return;
  }
  if (dag.sinks.includes(task)) {
    const allSinksSettled = dag.sinks.length === 1 || (await deps.processes.settledSinks({ id: processId })) >= dag.sinks.length;
    if (allSinksSettled) await endProcess(deps, processId, 'complete');
  }
  await deps.tasks.clearSweep({ processId, task });
}

/** What a failure owes: fail the process (cancelling the rest), then leave the sweep index. Idempotent. */
export async function followUpFailed(deps: AppDeps, processId: string, task: string): Promise<void> {
  await endProcess(deps, processId, 'fail');
  await deps.tasks.clearSweep({ processId, task });
}

function endOf(deps: AppDeps, processId: string, task: string, leaseToken: string | undefined): EndTask {
  const at = instant(deps);
  return { processId, task, ...(leaseToken === undefined ? {} : { leaseToken }), iso: at.iso, now: at.now, expiresAt: at.expiresAt };
}
