import { releaseTask } from '#app/release-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { taskOutcomeMetrics } from '#observability/task-outcome-metrics.ts';
import { ReleaseBodySchema, TaskParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/tasks/{task}/release: gives a claimed task back, at the same attempt, optionally after a delay. */
export const handler = httpHandler({
  params: TaskParamsSchema,
  onResult: taskOutcomeMetrics(),
  body: ReleaseBodySchema,
  handle: async ({ params, body }) => {
    const released = await releaseTask(runtimeDeps(), params.id, params.task, body);
    return { status: 200, body: { processId: params.id, task: params.task, ...released } };
  },
});
