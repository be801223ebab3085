import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { claimTasks, completeTasks, failTasks } from './batch-task-handles.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { releaseTask } from '#app/release-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { routeGroupHandler } from '#http/route-group-handler.ts';
import { METRIC } from '#observability/metric-names.ts';
import { taskOutcomeMetrics } from '#observability/task-outcome-metrics.ts';
import { TASK_STATUS } from '#domain/status-predicates.ts';

/**
 * The `worker` function: claim, heartbeat, complete, fail and release. Each
 * route is declared in `shared/schemas/routes/`; this binds the use case that
 * serves it, and the outcome metrics of each.
 */
export const handler = routeGroupHandler('worker', {
  ClaimTask: async ({ params, body }) => ({ status: 200, body: await claimTask(runtimeDeps(), params.id, params.task, body.workerId, body) }),
  HeartbeatTask: {
    onResult: taskOutcomeMetrics(),
    handle: async ({ params, body }) => ({ status: 200, body: await heartbeatTask(runtimeDeps(), params.id, params.task, body.leaseToken, body) }),
  },
  CompleteTask: {
    onResult: taskOutcomeMetrics(METRIC.tasksCompleted),
    handle: async ({ params, body }) => {
      await completeTask(runtimeDeps(), params.id, params.task, body);
      return { status: 200, body: { processId: params.id, task: params.task, status: TASK_STATUS.completed } };
    },
  },
  FailTask: {
    onResult: taskOutcomeMetrics(METRIC.tasksFailed),
    handle: async ({ params, body }) => {
      const outcome = await failTask(runtimeDeps(), params.id, params.task, body);
      return { status: 200, body: { processId: params.id, task: params.task, ...outcome } };
    },
  },
  ReleaseTask: {
    onResult: taskOutcomeMetrics(),
    handle: async ({ params, body }) => {
      const released = await releaseTask(runtimeDeps(), params.id, params.task, body);
      return { status: 200, body: { processId: params.id, task: params.task, ...released } };
    },
  },
  // The batch forms: up to 10 items, each answered as its single route above would (functions/api/batch-task-handles.ts).
  ClaimTasks: claimTasks,
  CompleteTasks: completeTasks,
  FailTasks: failTasks,
});
