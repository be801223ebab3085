import { heartbeatTask } from '#app/claim-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { taskOutcomeMetrics } from '#observability/task-outcome-metrics.ts';
import { HeartbeatBodySchema, TaskParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/tasks/{task}/heartbeat: extends the lease by the task's timeout. */
export const handler = httpHandler({
  params: TaskParamsSchema,
  onResult: taskOutcomeMetrics(),
  body: HeartbeatBodySchema,
  handle: async ({ params, body }) => ({ status: 200, body: await heartbeatTask(runtimeDeps(), params.id, params.task, body.leaseToken) }),
});
