import { cancelProcess } from '#app/end-process.ts';
import { getProcess } from '#app/process-views.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { CancelBodySchema, ProcessParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/cancel: cancels a running process and its unfinished tasks; an optional `{reason}` becomes its error message. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  body: CancelBodySchema,
  handle: async ({ params, body }) => {
    await cancelProcess(runtimeDeps(), params.id, body.reason);
    return { status: 200, body: await getProcess(runtimeDeps(), params.id) };
  },
});
