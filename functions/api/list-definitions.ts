import { listDefinitions } from '#app/definitions.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { PaginationQuerySchema } from '#schemas/api.ts';

/** GET /definitions?limit=&nextToken=: definitions by name, paginated. */
export const handler = httpHandler({
  query: PaginationQuerySchema,
  handle: async ({ query }) => ({ status: 200, body: await listDefinitions(runtimeDeps(), query.limit, query.nextToken) }),
});
