import { getTask } from '#app/task-pages.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { TaskParamsSchema } from '#schemas/api.ts';

/** GET /processes/{id}/tasks/{task}: one task with its output and the events of every attempt. */
export const handler = httpHandler({
  params: TaskParamsSchema,
  handle: async ({ params }) => ({ status: 200, body: await getTask(runtimeDeps(), params.id, params.task) }),
});
