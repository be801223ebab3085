import { ProcessNotFoundError } from '#domain/errors.ts';
import { isActiveTask, type TaskStatus } from '#domain/lifecycle.ts';
import { progressOf } from '#domain/progress.ts';
import type { ListProcessesQuery } from '#schemas/api.ts';
import type { DefinitionVersionItem, ProcessSummary, TaskItem } from '#schemas/items.ts';
import type { ProcessViewBody, TaskViewBody } from '#schemas/responses.ts';
import type { Page } from './ports.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition, taskPolicyOf } from './definitions.ts';
import { TASK_STATUS, isCompletedTask, isScheduledTask } from '#domain/status-predicates.ts';

/** One task as the API shows it: the response schema's type, so that the two cannot drift. */
export type TaskView = TaskViewBody;

/** A process with its tasks as the API shows it: the response schema's type. */
export type ProcessView = ProcessViewBody;

/** GET /processes/{id}: the process with every task, in topological order. Tasks without an item are PENDING. */
export async function getProcess(deps: AppDeps, processId: string): Promise<ProcessView> {
  const process = await deps.processes.get({ id: processId });
  if (!process) throw new ProcessNotFoundError(processId);
  const [def, items, input] = await Promise.all([
    getDefinition(deps, process.definition, process.version),
    deps.tasks.listAll({ processId }),
    deps.processes.getInput({ id: processId }),
  ]);
  const byName = new Map(items.map((t) => [t.name, t]));
  const dag = dagOf(def);
  const tasks = dag.order.map((name) => taskView(def, name, dag.tasks.get(name)!, byName.get(name)));
  const count = (status: TaskStatus): number => tasks.filter((t) => t.status === status).length;
  return {
    id: process.id,
    definition: process.definition,
    version: process.version,
    status: process.status,
    input,
    createdAt: process.createdAt,
    updatedAt: process.updatedAt,
    ...(process.endedAt ? { endedAt: process.endedAt } : {}),
    ...(process.error ? { error: process.error } : {}),
    runs: process.run,
    ...(process.compensates === undefined ? {} : { compensates: process.compensates }),
    ...(process.compensatedBy === undefined ? {} : { compensatedBy: process.compensatedBy }),
    ...(process.compensationError === undefined ? {} : { compensationError: process.compensationError }),
    progress: progressOf(tasks.length, { completed: count(TASK_STATUS.completed), failed: count(TASK_STATUS.failed), skipped: count(TASK_STATUS.skipped), cancelled: count(TASK_STATUS.cancelled) }),
    tasks,
  };
}

/** GET /processes/{id}/tasks/active: tasks that are SCHEDULED or RUNNING. */
export async function listActiveTasks(deps: AppDeps, processId: string): Promise<{ items: TaskView[] }> {
  const view = await getProcess(deps, processId);
  return { items: view.tasks.filter((t) => isActiveTask(t.status)) };
}

/** GET /processes: through an index (status, definition or all), newest first. */
export async function listProcesses(deps: AppDeps, query: ListProcessesQuery): Promise<Page<ProcessSummary>> {
  const page = await deps.processes.list({
    ...(query.status ? { status: query.status } : {}),
    ...(query.definition ? { definition: query.definition } : {}),
    limit: query.limit,
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  });
  return { items: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

function taskView(def: DefinitionVersionItem, name: string, spec: { needs: readonly string[]; queue: string }, item: TaskItem | undefined): TaskView {
  return {
    name,
    status: item?.status ?? TASK_STATUS.pending,
    needs: [...spec.needs],
    queue: spec.queue,
    attempt: item?.attempt ?? 0,
    maxAttempts: taskPolicyOf(def, name).retry.maxAttempts,
    ...(isScheduledTask(item?.status) && item.nextAttemptAt !== undefined ? { nextAttemptAt: new Date(item.nextAttemptAt).toISOString() } : {}),
    ...(item?.lastError ? { lastError: item.lastError } : {}),
    ...(item?.skippedBecause ? { skippedBecause: item.skippedBecause } : {}),
    ...(item?.workerId ? { workerId: item.workerId } : {}),
    ...(item?.output !== undefined && isCompletedTask(item.status) ? { output: item.output } : {}),
    ...(item?.error ? { error: item.error } : {}),
    ...(item?.scheduledAt ? { scheduledAt: item.scheduledAt } : {}),
    ...(item?.claimedAt ? { claimedAt: item.claimedAt } : {}),
    ...(item?.endedAt ? { endedAt: item.endedAt } : {}),
  };
}
