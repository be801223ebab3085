import { rerunProcesses } from '#app/rerun-processes.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { RerunManyBodySchema } from '#schemas/api.ts';

/** POST /processes/rerun: reruns the ended processes a query finds, one bounded page at a time. */
export const handler = httpHandler({
  body: RerunManyBodySchema,
  handle: async ({ body }) => ({ status: 200, body: await rerunProcesses(runtimeDeps(), body) }),
});
