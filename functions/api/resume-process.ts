import { resumeProcess } from '#app/pause-process.ts';
import { getProcess } from '#app/process-views.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { ProcessParamsSchema, ResumeBodySchema } from '#schemas/api.ts';

/** POST /processes/{id}/resume: the process runs again; what became ready is scheduled and SCHEDULED tasks' messages are sent again. */
export const handler = httpHandler({
  params: ProcessParamsSchema,
  body: ResumeBodySchema,
  handle: async ({ params }) => {
    await resumeProcess(runtimeDeps(), params.id);
    return { status: 200, body: await getProcess(runtimeDeps(), params.id) };
  },
});
