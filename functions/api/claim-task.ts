import { claimTask } from '#app/claim-task.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ClaimBodySchema, TaskParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/tasks/{task}/claim: a lease, the process input and the upstream outputs. */
export const handler = httpHandler({
  params: TaskParamsSchema,
  body: ClaimBodySchema,
  handle: async ({ params, body }) => ({ status: 200, body: await claimTask(runtimeDeps(), params.id, params.task, body.workerId) }),
});
