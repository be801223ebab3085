/**
 * The HTTP API's route table, derived from the route declarations
 * (`shared/schemas/routes/`): what the local server (local/), the CDK app
 * (infra/) and the test engine need to serve a route. Deployed, the routes of
 * one privilege group share one Lambda function (`groupEntries`), which
 * dispatches on API Gateway's route key; the local server invokes the same
 * module the same way.
 */
import { API_ROUTES, type RouteId } from '#schemas/routes/api-routes.ts';
import { ROUTE_GROUPS, type HttpMethod, type RouteGroup } from '#schemas/routes/route-declaration.ts';

export { ROUTE_GROUPS, type RouteGroup };

/** The handler module of each group's Lambda function, relative to the repository root. */
export const groupEntries: Readonly<Record<RouteGroup, string>> = {
  health: 'functions/api/health.ts',
  read: 'functions/api/read-routes.ts',
  control: 'functions/api/control-routes.ts',
  worker: 'functions/api/worker-routes.ts',
};

export interface RouteSpec {
  /** Stable id, used for construct ids and Lambda names. */
  readonly id: string;
  readonly method: HttpMethod;
  /** API Gateway path syntax: `{param}` segments. */
  readonly path: string;
  /** The module whose `handler` serves it (its group's function), relative to the repository root. */
  readonly entry: string;
  /** The function that serves it; `grantWorker` gives access to exactly the `worker` routes. */
  readonly group: RouteGroup;
}

/** Every route, in declaration order. */
export const routes: readonly RouteSpec[] = (Object.keys(API_ROUTES) as RouteId[]).map((id) => {
  const { method, path, group } = API_ROUTES[id];
  return { id, method, path, group, entry: groupEntries[group] };
});

/**
 * Under JWT authorization the worker routes are served a second time under this
 * prefix with IAM authorization, so that a worker with an IAM role (a Lambda
 * worker, an ECS task) can call them with SigV4 instead of a token.
 */
export const IAM_WORKER_PREFIX = '/iam';

/** The API Gateway route key of a route, e.g. `GET /processes/{id}`. */
export function routeKeyOf(route: Pick<RouteSpec, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** Non-HTTP triggers. */
export const sweeperEntry = 'functions/sweeper.ts';
/** The schedules' scheduler: EventBridge once a minute, or the local stack's timer. */
export const schedulerEntry = 'functions/scheduler.ts';
/** The start queue's consumer: an SQS event source, or the local stack's poll loop. */
export const startQueueEntry = 'functions/start-queue.ts';
