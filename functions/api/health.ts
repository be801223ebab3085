import { routeGroupHandler } from '#http/route-group-handler.ts';

/** The `health` function: GET /health touches no dependency, so it stays cheap. */
export const handler = routeGroupHandler('health', {
  Health: async () => ({ status: 200, body: { status: 'ok' } }),
});
