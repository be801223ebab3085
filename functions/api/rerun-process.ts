import { rerunAndView } from '#app/rerun-process.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ProcessParamsSchema, RerunBodySchema } from '#schemas/api.ts';

/** POST /processes/{id}/rerun: reruns an ended process in place, keeping what completed. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  body: RerunBodySchema,
  handle: async ({ params, body }) => ({ status: 200, body: await rerunAndView(runtimeDeps(), params.id, body) }),
});
