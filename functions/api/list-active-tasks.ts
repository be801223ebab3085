import { listActiveTasks } from '#app/process-views.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ProcessParamsSchema } from '#schemas/api.ts';

/** GET /processes/{id}/tasks/active: tasks that are SCHEDULED or RUNNING. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  handle: async ({ params }) => ({ status: 200, body: await listActiveTasks(runtimeDeps(), params.id) }),
});
