import { httpHandler } from '#http/http-handler.ts';

/** GET /health: liveness of the API. It touches no dependency, so it stays cheap. */
export const handler = httpHandler({
  handle: async () => ({ status: 200, body: { status: 'ok' } }),
});
