import { failTask } from '#app/end-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { METRIC } from '#observability/metric-names.ts';
import { taskOutcomeMetrics } from '#observability/task-outcome-metrics.ts';
import { FailBodySchema, TaskParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/tasks/{task}/fail: fails the task, and in this version the process. */
export const handler = httpHandler({
  params: TaskParamsSchema,
  onResult: taskOutcomeMetrics(METRIC.tasksFailed),
  body: FailBodySchema,
  handle: async ({ params, body }) => {
    await failTask(runtimeDeps(), params.id, params.task, body);
    return { status: 200, body: { processId: params.id, task: params.task, status: 'FAILED' } };
  },
});
