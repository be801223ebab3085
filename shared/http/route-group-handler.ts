import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { IAM_WORKER_PREFIX, routeKeyOf, routes, type RouteGroup } from '#config/routes.ts';
import { jsonResponse } from './error-response.ts';

type RouteHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * One Lambda function for a privilege group: dispatches on API Gateway's
 * `routeKey` to the route's own handler. The handlers must cover exactly the
 * group's routes in the route table; anything else fails at cold start, so a
 * route added to the table without a handler cannot deploy silently.
 *
 * @example
 * export const handler = routeGroupHandler('read', { GetProcess: getProcess, ... });
 */
export function routeGroupHandler(group: RouteGroup, handlers: Readonly<Record<string, RouteHandler>>): RouteHandler {
  const groupRoutes = routes.filter((r) => r.group === group);
  const expected = groupRoutes.map((r) => r.id).sort();
  const given = Object.keys(handlers).sort();
  if (expected.join() !== given.join()) {
    throw new Error(`route group "${group}" serves ${expected.join(', ')} but has handlers for ${given.join(', ')}`);
  }
  const byRouteKey = new Map<string, RouteHandler>();
  for (const route of groupRoutes) {
    byRouteKey.set(routeKeyOf(route), handlers[route.id]!);
    // The IAM-authorized copies of the worker routes (JWT mode) reach the same handlers.
    if (group === 'worker') byRouteKey.set(routeKeyOf({ method: route.method, path: `${IAM_WORKER_PREFIX}${route.path}` }), handlers[route.id]!);
  }
  return async (event, context) => {
    const handler = byRouteKey.get(event.routeKey);
    if (handler === undefined) {
      return jsonResponse(404, { error: { code: 'RouteNotFound', message: `no route ${event.routeKey} in group ${group}` } });
    }
    return handler(event, context);
  };
}
