import { ConditionFailed } from '#adapters/dynamo/conditional.ts';
import type { CounterBump, EndTaskInput } from '#adapters/dynamo/task-store.ts';
import { TaskNotFoundError } from '#domain/errors.ts';
import type { TaskError } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { endProcess } from './end-process.ts';
import { explainTaskConflict } from './explain-conflict.ts';
import { scheduleNewTasks, scheduleReadyJoins } from './scheduling.ts';
import { instant } from './timestamps.ts';

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
  const process = await deps.processes.identity(processId);
  const def = process ? await getDefinition(deps, process.definition, process.version) : undefined;
  const dag = def ? dagOf(def) : undefined;
  if (!process || !def || !dag || !dag.tasks.has(task)) {
    throw await explainTaskConflict(deps, processId, task, 'complete', undefined, body.leaseToken);
  }
  const bumps: CounterBump[] = (dag.children.get(task) ?? [])
    .filter((c) => (dag.tasks.get(c)?.needs.length ?? 0) > 1)
    .map((c) => ({ task: c, limit: dag.tasks.get(c)?.needs.length ?? 0 }));
  if (dag.sinks.length > 1 && dag.sinks.includes(task)) bumps.push({ limit: dag.sinks.length });
  const input = endInput(deps, processId, task, body.leaseToken);
  const result = await deps.tasks.complete(input, body.output, bumps);
  if (result instanceof ConditionFailed) {
    const current = result.item;
    // A retry of a completion that already succeeded: same token, already COMPLETED.
    if (body.leaseToken !== undefined && current?.status === 'COMPLETED' && current.leaseToken === body.leaseToken) return;
    throw await explainTaskConflict(deps, processId, task, 'complete', current, body.leaseToken);
  }
  await followUpCompleted(deps, processId, process.definition, process.version, task);
}

/** Fails a task; in this version that fails the process and cancels its unfinished tasks. */
export async function failTask(deps: AppDeps, processId: string, task: string, body: { leaseToken?: string; error: TaskError }): Promise<void> {
  const input = endInput(deps, processId, task, body.leaseToken);
  const result = await deps.tasks.fail(input, body.error);
  if (result instanceof ConditionFailed) {
    const current = result.item;
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
  const deadline = at.now + (resume.budgetMs ?? deps.settings.followUpBudgetMs);
  const [pass] = await Promise.all([scheduleNewTasks(deps, def, processId, single, at, deadline), scheduleReadyJoins(deps, def, processId, joins, at)]);
  if (pass.handled < single.length) {
    // A fan-out too wide for one call's budget: record where to resume and
    // leave the rest to the sweeper, due now. The caller's answer is not delayed.
    await deps.tasks.deferFollowUp(processId, task, from + pass.handled, deps.now());
    return;
  }
  if (dag.sinks.includes(task)) {
    const allSinksDone = dag.sinks.length === 1 || (await deps.processes.completedSinks(processId)) >= dag.sinks.length;
    if (allSinksDone) await endProcess(deps, processId, 'COMPLETED');
  }
  await deps.tasks.clearSweep(processId, task);
}

/** What a failure owes: fail the process (cancelling the rest), then leave the sweep index. Idempotent. */
export async function followUpFailed(deps: AppDeps, processId: string, task: string): Promise<void> {
  await endProcess(deps, processId, 'FAILED');
  await deps.tasks.clearSweep(processId, task);
}

function endInput(deps: AppDeps, processId: string, task: string, leaseToken: string | undefined): EndTaskInput {
  const at = instant(deps);
  return {
    processId,
    task,
    ...(leaseToken === undefined ? {} : { leaseToken }),
    iso: at.iso,
    now: at.now,
    expiresAt: at.expiresAt,
  };
}
