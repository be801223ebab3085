import { claimTask } from '#app/claim-task.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { TASK_STATUS } from '#domain/status-predicates.ts';
import { runBatchItems } from '#http/batch-items.ts';
import type { RouteHandle } from '#http/route-group-handler.ts';
import { METRIC } from '#observability/metric-names.ts';
import { taskOutcomeMetrics } from '#observability/task-outcome-metrics.ts';
import type { ApiRoutes } from '#schemas/routes/api-routes.ts';

const completedMetrics = taskOutcomeMetrics(METRIC.tasksCompleted);
const failedMetrics = taskOutcomeMetrics(METRIC.tasksFailed);

/**
 * The batch worker routes (`POST /tasks/claim`, `/tasks/complete`,
 * `/tasks/fail`): each item goes through the same use case as its single
 * route and is answered as that route would answer it, item by item
 * ({@link runBatchItems}); the outcome metrics count per item, as the
 * single routes count per call.
 */
export const claimTasks: RouteHandle<ApiRoutes['ClaimTasks']> = async ({ body }) => {
  const deps = runtimeDeps();
  const outcomes = await runBatchItems(body.tasks, (t) => claimTask(deps, t.processId, t.task, body.workerId, body));
  return { status: 200, body: { results: outcomes.map((o) => o.result) } };
};

export const completeTasks: RouteHandle<ApiRoutes['CompleteTasks']> = async ({ body }) => {
  const deps = runtimeDeps();
  const outcomes = await runBatchItems(body.items, async ({ processId, task, ...result }) => {
    await completeTask(deps, processId, task, result);
    return { processId, task, status: TASK_STATUS.completed };
  });
  for (const o of outcomes) completedMetrics(o.status);
  return { status: 200, body: { results: outcomes.map((o) => o.result) } };
};

export const failTasks: RouteHandle<ApiRoutes['FailTasks']> = async ({ body }) => {
  const deps = runtimeDeps();
  const outcomes = await runBatchItems(body.items, async ({ processId, task, ...failure }) => ({ processId, task, ...(await failTask(deps, processId, task, failure)) }));
  for (const o of outcomes) failedMetrics(o.status);
  return { status: 200, body: { results: outcomes.map((o) => o.result) } };
};
