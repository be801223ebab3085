import { listActiveTasks } from '#app/task-pages.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ActiveTasksQuerySchema, ProcessParamsSchema } from '#schemas/api.ts';

/** GET /processes/{id}/tasks/active: tasks that are SCHEDULED or RUNNING, a page at a time. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  query: ActiveTasksQuerySchema,
  handle: async ({ params, query }) => ({ status: 200, body: await listActiveTasks(runtimeDeps(), params.id, query) }),
});
