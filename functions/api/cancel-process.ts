import { cancelProcess } from '#app/end-process.ts';
import { getProcess } from '#app/process-views.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ProcessParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/cancel: cancels a running process and its unfinished tasks. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  handle: async ({ params }) => {
    await cancelProcess(runtimeDeps(), params.id);
    return { status: 200, body: await getProcess(runtimeDeps(), params.id) };
  },
});
