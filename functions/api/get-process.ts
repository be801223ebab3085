import { getProcess } from '#app/process-views.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ProcessParamsSchema } from '#schemas/api.ts';

/** GET /processes/{id}: status, progress and every task. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  handle: async ({ params }) => ({ status: 200, body: await getProcess(runtimeDeps(), params.id) }),
});
