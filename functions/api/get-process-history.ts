import { getProcessHistory } from '#app/process-history.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { HistoryQuerySchema, ProcessParamsSchema } from '#schemas/api.ts';

/** GET /processes/{id}/history: every event of the process, in time order, a page at a time. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  query: HistoryQuerySchema,
  handle: async ({ params, query }) => ({ status: 200, body: await getProcessHistory(runtimeDeps(), params.id, query) }),
});
