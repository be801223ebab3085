import { putDefinition, type DefinitionDocument } from '#app/definitions.ts';
import { cancelProcess } from '#app/end-process.ts';
import { pauseProcess, resumeProcess } from '#app/pause-process.ts';
import { getProcess } from '#app/process-views.ts';
import { releaseTaskByOperator } from '#app/release-task.ts';
import { rerunAndView } from '#app/rerun-process.ts';
import { rerunProcesses } from '#app/rerun-processes.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { backfillSchedule, deleteSchedule, pauseSchedule, putSchedule, resumeSchedule, triggerSchedule } from '#app/schedules.ts';
import { startProcess } from '#app/start-process.ts';
import { routeGroupHandler } from '#http/route-group-handler.ts';
import { InvalidScheduleError } from '#domain/errors.ts';

/**
 * The `control` function: definitions, starting, cancelling, pausing, resuming
 * and rerunning processes, and the operator's release of a running task; schedules. Each route is declared in `shared/schemas/routes/`;
 * this binds the use case that serves it.
 */
export const handler = routeGroupHandler('control', {
  PutDefinition: {
    // JSON is YAML, so one parser reports both, with line and column; the declared media types are checked before.
    decodeBody: (raw) => ({ yaml: raw }),
    handle: async ({ params, body }) => {
      const { created, definition } = await putDefinition(runtimeDeps(), params.name, body as unknown as DefinitionDocument);
      return created ? { status: 201, body: definition } : { status: 200, body: definition };
    },
  },
  StartProcess: async ({ body }) => {
    const { created, process } = await startProcess(runtimeDeps(), body);
    return created ? { status: 201, body: process } : { status: 200, body: process };
  },
  CancelProcess: async ({ params, body }) => {
    await cancelProcess(runtimeDeps(), params.id, body.reason);
    return { status: 200, body: await getProcess(runtimeDeps(), params.id) };
  },
  RerunProcess: async ({ params, body }) => ({ status: 200, body: await rerunAndView(runtimeDeps(), params.id, body) }),
  RerunProcesses: async ({ body }) => ({ status: 200, body: await rerunProcesses(runtimeDeps(), body) }),
  PauseProcess: async ({ params, body }) => {
    await pauseProcess(runtimeDeps(), params.id, body.reason);
    return { status: 200, body: await getProcess(runtimeDeps(), params.id) };
  },
  ReleaseTaskLease: async ({ params }) => ({ status: 200, body: { processId: params.id, task: params.task, ...(await releaseTaskByOperator(runtimeDeps(), params.id, params.task)) } }),
  ResumeProcess: async ({ params }) => {
    await resumeProcess(runtimeDeps(), params.id);
    return { status: 200, body: await getProcess(runtimeDeps(), params.id) };
  },
  PutSchedule: {
    // The spec is validated by the use case, so that every problem is a 400 InvalidSchedule naming its field.
    decodeBody: (raw) => parseJsonBody(raw),
    handle: async ({ params, body }) => {
      const { created, schedule } = await putSchedule(runtimeDeps(), params.name, body);
      return created ? { status: 201, body: schedule } : { status: 200, body: schedule };
    },
  },
  DeleteSchedule: async ({ params }) => {
    await deleteSchedule(runtimeDeps(), params.name);
    return { status: 200, body: { name: params.name, deleted: true } };
  },
  PauseSchedule: async ({ params }) => ({ status: 200, body: await pauseSchedule(runtimeDeps(), params.name) }),
  ResumeSchedule: async ({ params }) => ({ status: 200, body: await resumeSchedule(runtimeDeps(), params.name) }),
  TriggerSchedule: async ({ params }) => ({ status: 200, body: await triggerSchedule(runtimeDeps(), params.name) }),
  BackfillSchedule: async ({ params, body }) => ({ status: 200, body: await backfillSchedule(runtimeDeps(), params.name, body) }),
});

/** A JSON body read as is (an empty one is `{}`): its problems are the use case's to name. */
function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw) as unknown;
  } catch (e) {
    throw new InvalidScheduleError([{ path: 'body', message: `not valid JSON: ${(e as Error).message}` }], { cause: e });
  }
}
