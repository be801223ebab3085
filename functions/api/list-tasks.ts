import { listTasks } from '#app/task-pages.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ProcessParamsSchema, TaskListQuerySchema } from '#schemas/api.ts';

/** GET /processes/{id}/tasks: every task, PENDING ones included, a page at a time in name order. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  query: TaskListQuerySchema,
  handle: async ({ params, query }) => ({ status: 200, body: await listTasks(runtimeDeps(), params.id, query) }),
});
