import { ProcessNotFoundError } from '#domain/errors.ts';
import { progressOf } from '#domain/progress.ts';
import { processCost } from '#domain/process-cost.ts';
import { isEndedProcess } from '#domain/status-predicates.ts';
import type { ListProcessesQuery } from '#schemas/api.ts';
import type { DefinitionVersionItem, ProcessSummary } from '#schemas/items.ts';
import type { ProcessViewBody } from '#schemas/responses.ts';
import type { Page } from './ports.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { readTaskPage } from './task-pages.ts';
import { queuePositionOf } from './process-pools.ts';
import { bytes, fitPayloads, mapCountsOf, taskView, type TaskView } from './task-views.ts';

export type { TaskView } from './task-views.ts';
export { listActiveTasks, listTasks, getTask } from './task-pages.ts';

/** A process of at most this many tasks is answered whole, in the DAG's order; a larger one a first page at a time. */
export const WHOLE_PROCESS_TASKS = 100;

/**
 * How many tasks `GET /processes/{id}` embeds of a process of more than {@link WHOLE_PROCESS_TASKS} (the issue allows
 * at most the first 100): the first tasks in name order; the rest through `GET /processes/{id}/tasks` from
 * `tasksNextToken`. Half a full page keeps the answer (and its read) small for a caller that wants the process.
 */
export const EMBEDDED_TASKS_OF_LARGE_PROCESS = 50;

/** A process with its tasks as the API shows it: the response schema's type, so the two cannot drift. */
export type ProcessView = ProcessViewBody;

/**
 * GET /processes/{id}: the process, its exact progress and its tasks. Up to {@link WHOLE_PROCESS_TASKS} tasks: every
 * one, in the DAG's topological order (tasks without an item are PENDING). A larger process: its first
 * {@link EMBEDDED_TASKS_OF_LARGE_PROCESS} tasks in name order and `tasksNextToken`, from which
 * `GET /processes/{id}/tasks` goes on. Either way a bounded read: the process and input items, one query of at most
 * 100 task items, one query of the run's progress counters. Outputs are kept
 * while the response stays under 1 MiB (`outputOmitted` on the rest).
 */
export async function getProcess(deps: AppDeps, processId: string): Promise<ProcessView> {
  const process = await deps.processes.get({ id: processId });
  if (!process) throw new ProcessNotFoundError(processId);
  const [def, input, counts, queuePosition] = await Promise.all([
    getDefinition(deps, process.definition, process.version),
    deps.processes.getInput({ id: processId }),
    deps.processes.progress({ id: processId, run: process.run }),
    queuePositionOf(deps, process),
  ]);
  const dag = dagOf(def);
  const page = dag.order.length <= WHOLE_PROCESS_TASKS ? { items: await wholeProcessTasks(deps, processId, def) } : await readTaskPage(deps, process, def, { limit: EMBEDDED_TASKS_OF_LARGE_PROCESS });
  const view: ProcessView = {
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
    ...(process.parentProcessId === undefined || process.parentTask === undefined ? {} : { parent: { processId: process.parentProcessId, task: process.parentTask } }),
    ...(process.compensatedBy === undefined ? {} : { compensatedBy: process.compensatedBy }),
    ...(process.compensationError === undefined ? {} : { compensationError: process.compensationError }),
    ...(queuePosition === undefined ? {} : { queuePosition }),
    ...(process.concurrencyKey === undefined ? {} : { concurrencyKey: process.concurrencyKey }),
    ...(process.startedAt === undefined ? {} : { startedAt: process.startedAt }),
    progress: progressOf(dag.order.length, counts),
    // Modelled from what was just read (the DAG and the counters): no read of the tasks, no write.
    cost: processCost(dag, counts, isEndedProcess(process.status)),
    tasks: [],
    ...(page.nextToken === undefined ? {} : { tasksNextToken: page.nextToken }),
  };
  return { ...view, tasks: fitPayloads(page.items, bytes(view)) };
}

/** Every task of a process of at most 100, in the DAG's order: one query of its task items. */
async function wholeProcessTasks(deps: AppDeps, processId: string, def: DefinitionVersionItem): Promise<TaskView[]> {
  const dag = dagOf(def);
  const { items } = await deps.tasks.page({ processId, limit: WHOLE_PROCESS_TASKS, outputs: true });
  const byName = new Map(items.map((t) => [t.name, t]));
  const counts = await mapCountsOf(deps, processId, items);
  return dag.order.map((name) => taskView(def, name, dag.tasks.get(name)!, byName.get(name), counts.get(name)));
}

/** A process in a listing: a QUEUED one with its place in its key's queue (a bounded read per QUEUED process of the page). */
export type ProcessSummaryView = Omit<ProcessSummary, 'pool'> & { queuePosition?: number };

/** GET /processes: through an index (status, definition or all), newest first. */
export async function listProcesses(deps: AppDeps, query: ListProcessesQuery): Promise<Page<ProcessSummaryView>> {
  const page = await deps.processes.list({
    ...(query.status ? { status: query.status } : {}),
    ...(query.definition ? { definition: query.definition } : {}),
    limit: query.limit,
    ...(query.nextToken ? { nextToken: query.nextToken } : {}),
  });
  const items = await Promise.all(
    page.items.map(async ({ pool, ...summary }) => {
      const queuePosition = await queuePositionOf(deps, { ...summary, ...(pool === undefined ? {} : { pool }) });
      return { ...summary, ...(queuePosition === undefined ? {} : { queuePosition }) };
    }),
  );
  return { items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}
