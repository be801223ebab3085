import { getDefinition, listDefinitions, toDefinitionView } from '#app/definitions.ts';
import { getProcessHistory } from '#app/process-history.ts';
import { getProcess, listProcesses } from '#app/process-views.ts';
import { getTask, listActiveTasks, listTasks } from '#app/task-pages.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { getSchedule, listSchedules } from '#app/schedules.ts';
import { listConcurrencyPools } from '#app/concurrency-pools.ts';
import { routeGroupHandler } from '#http/route-group-handler.ts';
import { openApiDocumentFor } from '#http/served-openapi.ts';

/**
 * The `read` function: every GET except health. Its role may only read the
 * table. Each route is declared in `shared/schemas/routes/`; this binds the
 * use case that serves it.
 */
export const handler = routeGroupHandler('read', {
  OpenApi: async ({ event }) => ({ status: 200, body: openApiDocumentFor(event) }),
  ListDefinitions: async ({ query }) => ({ status: 200, body: await listDefinitions(runtimeDeps(), query.limit, query.nextToken) }),
  GetDefinition: async ({ params }) => ({ status: 200, body: toDefinitionView(await getDefinition(runtimeDeps(), params.name)) }),
  GetDefinitionVersion: async ({ params }) => ({ status: 200, body: toDefinitionView(await getDefinition(runtimeDeps(), params.name, params.version)) }),
  ListProcesses: async ({ query }) => ({ status: 200, body: await listProcesses(runtimeDeps(), query) }),
  GetProcess: async ({ params }) => ({ status: 200, body: await getProcess(runtimeDeps(), params.id) }),
  GetProcessHistory: async ({ params, query }) => ({ status: 200, body: await getProcessHistory(runtimeDeps(), params.id, query) }),
  ListActiveTasks: async ({ params, query }) => ({ status: 200, body: await listActiveTasks(runtimeDeps(), params.id, query) }),
  ListTasks: async ({ params, query }) => ({ status: 200, body: await listTasks(runtimeDeps(), params.id, query) }),
  GetTask: async ({ params }) => ({ status: 200, body: await getTask(runtimeDeps(), params.id, params.task) }),
  ListSchedules: async ({ query }) => ({ status: 200, body: await listSchedules(runtimeDeps(), query) }),
  GetSchedule: async ({ params, query }) => ({ status: 200, body: await getSchedule(runtimeDeps(), params.name, query) }),
  ListConcurrencyPools: async ({ query }) => ({ status: 200, body: await listConcurrencyPools(runtimeDeps(), query) }),
});
