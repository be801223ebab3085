import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { IAM_WORKER_PREFIX, routeKeyOf, routes, type RouteGroup } from '#config/routes.ts';
import { API_ROUTES, type ApiRoutes, type RouteIdOf } from '#schemas/routes/api-routes.ts';
import type { AnyRoute, RouteInput, RouteOutput } from '#schemas/routes/route-declaration.ts';
import { jsonResponse } from './error-response.ts';
import { httpHandler } from './http-handler.ts';

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The code that serves one route: parsed input in, one of its declared statuses out. */
export type RouteHandle<R extends AnyRoute> = (req: RouteInput<R> & { readonly event: APIGatewayProxyEventV2 }) => Promise<RouteOutput<R>>;

/** A route's binding: its handle, or the handle with per-route options. */
export type RouteBinding<R extends AnyRoute> =
  | RouteHandle<R>
  | {
      readonly handle: RouteHandle<R>;
      /** Called with the response status, for outcome metrics (runs in the handler layer, so the use cases stay free of metrics). */
      readonly onResult?: (status: number) => void;
      /** Reads the raw body instead of JSON, for a route whose `mediaTypes` are not only JSON. */
      readonly decodeBody?: (raw: string, contentType: string) => unknown;
    };

/** The bindings of exactly the routes of one group: the compiler names a missing or a foreign one. */
export type GroupBindings<G extends RouteGroup> = { readonly [K in RouteIdOf<G>]: RouteBinding<ApiRoutes[K]> };

/**
 * One Lambda function for a privilege group: each route of the group (by its
 * declaration in `API_ROUTES`) gets a thin handler that parses its params,
 * query and body with the declared schemas, and the function dispatches on
 * API Gateway's `routeKey`. The bindings must cover exactly the group's
 * routes: the type says so, and a check at cold start too, so that a route
 * declared without a handler cannot deploy silently.
 *
 * @example
 * export const handler = routeGroupHandler('read', {
 *   GetProcess: async ({ params }) => ({ status: 200, body: await getProcess(runtimeDeps(), params.id) }),
 *   ...
 * });
 */
export function routeGroupHandler<G extends RouteGroup>(group: G, bindings: GroupBindings<G>): LambdaHandler {
  const groupRoutes = routes.filter((r) => r.group === group);
  const expected = groupRoutes.map((r) => r.id).sort();
  const given = Object.keys(bindings).sort();
  if (expected.join() !== given.join()) {
    throw new Error(`route group "${group}" serves ${expected.join(', ')} but has handlers for ${given.join(', ')}`);
  }
  const byRouteKey = new Map<string, LambdaHandler>();
  for (const route of groupRoutes) {
    const handler = bindRoute(API_ROUTES[route.id as keyof ApiRoutes], (bindings as unknown as Record<string, RouteBinding<AnyRoute>>)[route.id]!);
    byRouteKey.set(routeKeyOf(route), handler);
    // The IAM-authorized copies of the worker routes (JWT mode) reach the same handlers.
    if (group === 'worker') byRouteKey.set(routeKeyOf({ method: route.method, path: `${IAM_WORKER_PREFIX}${route.path}` }), handler);
  }
  return async (event, context) => {
    const handler = byRouteKey.get(event.routeKey);
    if (handler === undefined) {
      return jsonResponse(404, { error: { code: 'RouteNotFound', message: `no route ${event.routeKey} in group ${group}` } });
    }
    return handler(event, context);
  };
}

/** The thin handler of one route: its declared schemas and media types around its binding. */
function bindRoute(route: AnyRoute, binding: RouteBinding<AnyRoute>): LambdaHandler {
  const { handle, onResult, decodeBody } = typeof binding === 'function' ? { handle: binding, onResult: undefined, decodeBody: undefined } : binding;
  return httpHandler({
    ...(route.params ? { params: route.params } : {}),
    ...(route.query ? { query: route.query } : {}),
    ...(route.body ? { body: route.body } : {}),
    ...(decodeBody ? { decodeBody, mediaTypes: route.mediaTypes } : {}),
    ...(onResult ? { onResult } : {}),
    handle: (req) => handle(req as RouteInput<AnyRoute> & { event: APIGatewayProxyEventV2 }),
  });
}
