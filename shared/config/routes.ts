/**
 * The HTTP API's route table: one source of truth for the local server (local/)
 * and the CDK app (infra/). Each route has one thin handler module (`entry`,
 * exporting `handler`); deployed, the routes of one privilege group share one
 * Lambda function (`groupEntries`), which routes over this table.
 */

/**
 * Privilege groups: each is one Lambda function with exactly the IAM actions
 * its routes need.
 * - `health`: touches nothing;
 * - `read`: every GET, read-only table access;
 * - `control`: definitions, starting, cancelling, pausing, resuming and rerunning processes (operators);
 * - `worker`: claim, heartbeat, complete and fail (workers).
 */
export type RouteGroup = 'health' | 'read' | 'control' | 'worker';

export const ROUTE_GROUPS: readonly RouteGroup[] = ['health', 'read', 'control', 'worker'];

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
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** API Gateway path syntax: `{param}` segments. */
  readonly path: string;
  /** Handler module, relative to the repository root. */
  readonly entry: string;
  /** The function that serves it; `grantWorker` gives access to exactly the `worker` routes. */
  readonly group: RouteGroup;
}

export const routes: readonly RouteSpec[] = [
  { id: 'Health', method: 'GET', path: '/health', entry: 'functions/api/health.ts', group: 'health' },
  { id: 'OpenApi', method: 'GET', path: '/openapi.json', entry: 'functions/api/openapi.ts', group: 'read' },
  { id: 'PutDefinition', method: 'PUT', path: '/definitions/{name}', entry: 'functions/api/put-definition.ts', group: 'control' },
  { id: 'ListDefinitions', method: 'GET', path: '/definitions', entry: 'functions/api/list-definitions.ts', group: 'read' },
  { id: 'GetDefinition', method: 'GET', path: '/definitions/{name}', entry: 'functions/api/get-definition.ts', group: 'read' },
  {
    id: 'GetDefinitionVersion',
    method: 'GET',
    path: '/definitions/{name}/versions/{version}',
    entry: 'functions/api/get-definition.ts',
    group: 'read',
  },
  { id: 'StartProcess', method: 'POST', path: '/processes', entry: 'functions/api/start-process.ts', group: 'control' },
  { id: 'ListProcesses', method: 'GET', path: '/processes', entry: 'functions/api/list-processes.ts', group: 'read' },
  { id: 'GetProcess', method: 'GET', path: '/processes/{id}', entry: 'functions/api/get-process.ts', group: 'read' },
  { id: 'GetProcessHistory', method: 'GET', path: '/processes/{id}/history', entry: 'functions/api/get-process-history.ts', group: 'read' },
  { id: 'ListActiveTasks', method: 'GET', path: '/processes/{id}/tasks/active', entry: 'functions/api/list-active-tasks.ts', group: 'read' },
  // API Gateway, and the local matcher, prefer the literal `/tasks/active` to `/tasks/{task}`.
  { id: 'ListTasks', method: 'GET', path: '/processes/{id}/tasks', entry: 'functions/api/list-tasks.ts', group: 'read' },
  { id: 'GetTask', method: 'GET', path: '/processes/{id}/tasks/{task}', entry: 'functions/api/get-task.ts', group: 'read' },
  { id: 'CancelProcess', method: 'POST', path: '/processes/{id}/cancel', entry: 'functions/api/cancel-process.ts', group: 'control' },
  { id: 'RerunProcess', method: 'POST', path: '/processes/{id}/rerun', entry: 'functions/api/rerun-process.ts', group: 'control' },
  { id: 'RerunProcesses', method: 'POST', path: '/processes/rerun', entry: 'functions/api/rerun-processes.ts', group: 'control' },
  { id: 'PauseProcess', method: 'POST', path: '/processes/{id}/pause', entry: 'functions/api/pause-process.ts', group: 'control' },
  { id: 'ResumeProcess', method: 'POST', path: '/processes/{id}/resume', entry: 'functions/api/resume-process.ts', group: 'control' },
  { id: 'ClaimTask', method: 'POST', path: '/processes/{id}/tasks/{task}/claim', entry: 'functions/api/claim-task.ts', group: 'worker' },
  {
    id: 'HeartbeatTask',
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/heartbeat',
    entry: 'functions/api/heartbeat-task.ts',
    group: 'worker',
  },
  { id: 'CompleteTask', method: 'POST', path: '/processes/{id}/tasks/{task}/complete', entry: 'functions/api/complete-task.ts', group: 'worker' },
  { id: 'FailTask', method: 'POST', path: '/processes/{id}/tasks/{task}/fail', entry: 'functions/api/fail-task.ts', group: 'worker' },
  { id: 'ReleaseTask', method: 'POST', path: '/processes/{id}/tasks/{task}/release', entry: 'functions/api/release-task.ts', group: 'worker' },
];

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
