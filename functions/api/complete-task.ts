import { completeTask } from '#app/end-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { METRIC } from '#observability/metric-names.ts';
import { taskOutcomeMetrics } from '#observability/task-outcome-metrics.ts';
import { CompleteBodySchema, TaskParamsSchema } from '#schemas/api.ts';
import { TASK_STATUS } from '#domain/status-predicates.ts';

/** POST /processes/{id}/tasks/{task}/complete: with the lease token, or without for an unclaimed manual task. */
export const handler = httpHandler({
  params: TaskParamsSchema,
  onResult: taskOutcomeMetrics(METRIC.tasksCompleted),
  body: CompleteBodySchema,
  handle: async ({ params, body }) => {
    await completeTask(runtimeDeps(), params.id, params.task, body);
    return { status: 200, body: { processId: params.id, task: params.task, status: TASK_STATUS.completed } };
  },
});
