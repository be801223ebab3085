import { pauseProcess } from '#app/pause-process.ts';
import { getProcess } from '#app/process-views.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { PauseBodySchema, ProcessParamsSchema } from '#schemas/api.ts';

/** POST /processes/{id}/pause: nothing new is scheduled and claims are refused until resume; an optional `{reason}` goes into the history. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  body: PauseBodySchema,
  handle: async ({ params, body }) => {
    await pauseProcess(runtimeDeps(), params.id, body.reason);
    return { status: 200, body: await getProcess(runtimeDeps(), params.id) };
  },
});
