import type { z } from 'zod';
import type { ErrorCode } from '../error-status.ts';

/**
 * Privilege groups: each is one Lambda function with exactly the IAM actions
 * its routes need.
 * - `health`: touches nothing;
 * - `read`: every GET, read-only table access;
 * - `control`: definitions, starting, cancelling, pausing, resuming and rerunning processes, schedules (operators);
 * - `worker`: claim, heartbeat, complete, fail and release, and the batch forms of claim, complete and fail (workers).
 */
export type RouteGroup = 'health' | 'read' | 'control' | 'worker';

export const ROUTE_GROUPS: readonly RouteGroup[] = ['health', 'read', 'control', 'worker'];

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** What a JSON body route accepts: `application/json`, any `+json` type, or no content type. */
export const JSON_MEDIA_TYPES = ['application/json'] as const;

/** One success status of a route: what it means and the body it carries. */
export interface RouteResponse<S extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly schema: S;
}

/**
 * Everything about one HTTP route except the code that serves it: the route
 * table (`shared/config/routes.ts`), the CDK routes, the local server, the
 * group dispatch, the OpenAPI document and the handler's parsing all read it.
 * The handler is bound to it by id in its group's module
 * (`functions/api/<group>-routes.ts`), where the types come from here.
 */
export interface RouteDeclaration<
  P extends z.ZodObject | undefined = z.ZodObject | undefined,
  Q extends z.ZodObject | undefined = z.ZodObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends Readonly<Record<number, RouteResponse>> = Readonly<Record<number, RouteResponse>>,
> {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `{param}` segments. */
  readonly path: string;
  /** The Lambda function (and IAM role, and JWT scope) that serves it. */
  readonly group: RouteGroup;
  /** The OpenAPI tag. */
  readonly tag: 'definitions' | 'processes' | 'tasks' | 'schedules' | 'meta';
  /** One line, for the operation's summary. */
  readonly summary: string;
  /** What it does, in full: the operation's description. */
  readonly description: string;
  /** Path parameters; each property should carry a `.describe()`. */
  readonly params?: P;
  /** Query parameters; each property should carry a `.describe()`. */
  readonly query?: Q;
  /** Request body (its JSON form). */
  readonly body?: B;
  /**
   * Media types the body may come in. @default JSON ({@link JSON_MEDIA_TYPES});
   * any type other than JSON is documented as text.
   */
  readonly mediaTypes?: readonly string[];
  /** Whether a request must have a body. @default true unless `{}` is a valid body (an empty body is read as `{}`) */
  readonly bodyRequired?: boolean;
  /** An example request body, for the document; checked against `body` by a test. */
  readonly example?: unknown;
  /** Success statuses and their bodies. */
  readonly responses: R;
  /**
   * Error codes the route can answer, besides those every route can
   * (ValidationError when it takes input, PayloadTooLarge, InternalError, and
   * the gateway's own 401, 403 and 429).
   */
  readonly errors: readonly ErrorCode[];
}

/** Any route declaration. */
export type AnyRoute = RouteDeclaration<z.ZodObject | undefined, z.ZodObject | undefined, z.ZodType | undefined, Readonly<Record<number, RouteResponse>>>;

/**
 * Declares a route, keeping its literal types (statuses, schemas) so that
 * the handler bound to it is typed from it.
 *
 * @example
 * export const GetThing = declareRoute({
 *   method: 'GET', path: '/things/{id}', group: 'read', tag: 'meta',
 *   summary: 'A thing', description: 'One thing, by id.',
 *   params: z.object({ id: z.string().describe('the id') }),
 *   responses: { 200: { description: 'the thing', schema: ThingSchema } },
 *   errors: ['ThingNotFound'],
 * });
 */
export function declareRoute<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  const R extends Readonly<Record<number, RouteResponse>> = Readonly<Record<number, RouteResponse>>,
  const G extends RouteGroup = RouteGroup,
>(route: RouteDeclaration<P, Q, B, R> & { readonly group: G }): RouteDeclaration<P, Q, B, R> & { readonly group: G } {
  return route;
}

/** What a (possibly absent) schema parses to: `undefined` when the route has none. */
type Parsed<S> = [NonNullable<S>] extends [never] ? undefined : NonNullable<S> extends z.ZodType ? z.output<NonNullable<S>> : undefined;

/** A handler's answer is never mutated, so readonly arrays and objects from the use cases are fine. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/** The parsed path parameters, query and body of a route, as its handler receives them. */
export interface RouteInput<R extends AnyRoute> {
  readonly params: Parsed<R['params']>;
  readonly query: Parsed<R['query']>;
  readonly body: Parsed<R['body']>;
}

/** What a route's handler may answer: one of its declared statuses, with a body of that status's schema. */
export type RouteOutput<R extends AnyRoute> = {
  [S in keyof R['responses'] & number]: { readonly status: S; readonly body: DeepReadonly<z.input<R['responses'][S]['schema']>> };
}[keyof R['responses'] & number];

/** The path parameter names of a path, in order: `/a/{id}/b/{task}` → `['id', 'task']`. */
export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}
