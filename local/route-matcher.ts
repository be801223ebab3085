import type { RouteSpec } from '#config/routes.ts';

/** A route with its path split into literal and `{param}` segments. */
export interface CompiledRoute {
  readonly route: RouteSpec;
  /** `METHOD /path/{param}`, as API Gateway names the route in `routeKey`. */
  readonly routeKey: string;
  readonly segments: readonly Segment[];
}

type Segment = { readonly literal: string } | { readonly param: string };

export type RouteMatch =
  | { readonly kind: 'matched'; readonly route: CompiledRoute; readonly pathParameters: Readonly<Record<string, string>> }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'not-found' }
  /** A path parameter is not valid percent-encoding. */
  | { readonly kind: 'bad-path'; readonly message: string };

/** Splits every route's path once, so matching a request is a walk over segments. */
export function compileRoutes(routes: readonly RouteSpec[]): readonly CompiledRoute[] {
  return routes.map((route) => ({
    route,
    routeKey: `${route.method} ${route.path}`,
    segments: splitPath(route.path).map((s) => {
      const param = /^\{([^{}]+)\}$/.exec(s);
      return param ? { param: param[1]! } : { literal: s };
    }),
  }));
}

/**
 * Finds the route for a request the way API Gateway does: the path must match
 * segment by segment, and where several routes match, literal segments beat
 * `{param}` ones from left to right. Path parameters are percent-decoded, as
 * HTTP APIs hand them to Lambda.
 *
 * @example
 * matchRoute(compileRoutes(routes), 'GET', '/processes/p%201')
 * // { kind: 'matched', route: { routeKey: 'GET /processes/{id}', ... }, pathParameters: { id: 'p 1' } }
 */
export function matchRoute(compiled: readonly CompiledRoute[], method: string, rawPath: string): RouteMatch {
  const parts = splitPath(rawPath);
  const byPath = compiled.filter((c) => segmentsMatch(c.segments, parts));
  if (byPath.length === 0) return { kind: 'not-found' };
  const candidates = byPath.filter((c) => c.route.method === method.toUpperCase());
  if (candidates.length === 0) return { kind: 'method-not-allowed', allowed: [...new Set(byPath.map((c) => c.route.method))].sort() };
  const best = candidates.sort(bySpecificity)[0]!;
  const pathParameters: Record<string, string> = {};
  for (const [i, segment] of best.segments.entries()) {
    if (!('param' in segment)) continue;
    try {
      pathParameters[segment.param] = decodeURIComponent(parts[i]!);
    } catch {
      return { kind: 'bad-path', message: `path parameter '${segment.param}' is not valid percent-encoding: '${parts[i]}'` };
    }
  }
  return { kind: 'matched', route: best, pathParameters };
}

/** `/a/b/` has segments `a`, `b` and `` (an empty one), so trailing slashes do not match silently. */
function splitPath(path: string): string[] {
  return path.replace(/^\//, '').split('/');
}

function segmentsMatch(segments: readonly Segment[], parts: readonly string[]): boolean {
  if (segments.length !== parts.length) return false;
  return segments.every((s, i) => ('literal' in s ? s.literal === parts[i] : parts[i] !== ''));
}

function bySpecificity(a: CompiledRoute, b: CompiledRoute): number {
  for (let i = 0; i < a.segments.length; i++) {
    const aLiteral = 'literal' in a.segments[i]! ? 0 : 1;
    const bLiteral = 'literal' in b.segments[i]! ? 0 : 1;
    if (aLiteral !== bLiteral) return aLiteral - bLiteral;
  }
  return 0;
}
