/**
 * The HTTP API's route table: one source of truth for the local server (local/)
 * and the CDK app (infra/). Each route is served by one thin Lambda handler,
 * whose module exports `handler`.
 */
export interface RouteSpec {
  /** Stable id, used for construct ids and Lambda names. */
  readonly id: string;
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** API Gateway path syntax: `{param}` segments. */
  readonly path: string;
  /** Handler module, relative to the repository root. */
  readonly entry: string;
  /** Routes that workers call; `grantWorker` gives access to exactly these. */
  readonly worker?: boolean;
}

export const routes: readonly RouteSpec[] = [
  { id: 'Health', method: 'GET', path: '/health', entry: 'functions/api/health.ts' },
  { id: 'PutDefinition', method: 'PUT', path: '/definitions/{name}', entry: 'functions/api/put-definition.ts' },
  { id: 'ListDefinitions', method: 'GET', path: '/definitions', entry: 'functions/api/list-definitions.ts' },
  { id: 'GetDefinition', method: 'GET', path: '/definitions/{name}', entry: 'functions/api/get-definition.ts' },
  {
    id: 'GetDefinitionVersion',
    method: 'GET',
    path: '/definitions/{name}/versions/{version}',
    entry: 'functions/api/get-definition.ts',
  },
  { id: 'StartProcess', method: 'POST', path: '/processes', entry: 'functions/api/start-process.ts' },
  { id: 'ListProcesses', method: 'GET', path: '/processes', entry: 'functions/api/list-processes.ts' },
  { id: 'GetProcess', method: 'GET', path: '/processes/{id}', entry: 'functions/api/get-process.ts' },
  { id: 'GetProcessHistory', method: 'GET', path: '/processes/{id}/history', entry: 'functions/api/get-process-history.ts' },
  { id: 'ListActiveTasks', method: 'GET', path: '/processes/{id}/tasks/active', entry: 'functions/api/list-active-tasks.ts' },
  { id: 'CancelProcess', method: 'POST', path: '/processes/{id}/cancel', entry: 'functions/api/cancel-process.ts' },
  { id: 'ClaimTask', method: 'POST', path: '/processes/{id}/tasks/{task}/claim', entry: 'functions/api/claim-task.ts', worker: true },
  {
    id: 'HeartbeatTask',
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/heartbeat',
    entry: 'functions/api/heartbeat-task.ts',
    worker: true,
  },
  { id: 'CompleteTask', method: 'POST', path: '/processes/{id}/tasks/{task}/complete', entry: 'functions/api/complete-task.ts', worker: true },
  { id: 'FailTask', method: 'POST', path: '/processes/{id}/tasks/{task}/fail', entry: 'functions/api/fail-task.ts', worker: true },
];

/** Non-HTTP triggers. */
export const sweeperEntry = 'functions/sweeper.ts';
