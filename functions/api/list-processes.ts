import { listProcesses } from '#app/process-views.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ListProcessesQuerySchema } from '#schemas/api.ts';

/** GET /processes?status=&definition=&limit=&nextToken=: newest first, through an index. */
export const handler = httpHandler({
  query: ListProcessesQuerySchema,
  handle: async ({ query }) => ({ status: 200, body: await listProcesses(runtimeDeps(), query) }),
});
