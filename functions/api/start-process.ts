import { startProcess } from '#app/start-process.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { StartProcessBodySchema } from '#schemas/api.ts';

/** POST /processes: 201 for a new process, 200 when the idempotency key names an existing one. */
export const handler = httpHandler({
  body: StartProcessBodySchema,
  handle: async ({ body }) => {
    const { created, process } = await startProcess(runtimeDeps(), body);
    return { status: created ? 201 : 200, body: process };
  },
});
