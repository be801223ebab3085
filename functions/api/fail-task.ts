import { failTask } from '#app/end-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { METRIC } from '#observability/metric-names.ts';
import { taskOutcomeMetrics } from '#observability/task-outcome-metrics.ts';
import { FailBodySchema, TaskParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/tasks/{task}/fail: fails the attempt; retried (SCHEDULED, with nextAttemptAt) or FAILED for good. */
export const handler = httpHandler({
  params: TaskParamsSchema,
  onResult: taskOutcomeMetrics(METRIC.tasksFailed),
  body: FailBodySchema,
  handle: async ({ params, body }) => {
    const outcome = await failTask(runtimeDeps(), params.id, params.task, body);
    return { status: 200, body: { processId: params.id, task: params.task, ...outcome } };
  },
});
