import { routeGroupHandler } from '#http/route-group-handler.ts';
import { handler as getDefinition } from './get-definition.ts';
import { handler as getProcess } from './get-process.ts';
import { handler as getProcessHistory } from './get-process-history.ts';
import { handler as getTask } from './get-task.ts';
import { handler as listActiveTasks } from './list-active-tasks.ts';
import { handler as listDefinitions } from './list-definitions.ts';
import { handler as listProcesses } from './list-processes.ts';
import { handler as listTasks } from './list-tasks.ts';
import { handler as openApi } from './openapi.ts';

/** The `read` function: every GET except health. Its role may only read the table. */
export const handler = routeGroupHandler('read', {
  OpenApi: openApi,
  ListDefinitions: listDefinitions,
  GetDefinition: getDefinition,
  GetDefinitionVersion: getDefinition,
  ListProcesses: listProcesses,
  GetProcess: getProcess,
  GetProcessHistory: getProcessHistory,
  ListActiveTasks: listActiveTasks,
  ListTasks: listTasks,
  GetTask: getTask,
});
