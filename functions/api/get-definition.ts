import { getDefinition, toDefinitionView } from '#app/definitions.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { DefinitionParamsSchema, DefinitionVersionParamsSchema } from '#schemas/api.ts';

/** GET /definitions/{name} (latest) and GET /definitions/{name}/versions/{version}. */
export const handler = httpHandler({
  params: DefinitionParamsSchema.extend({ version: DefinitionVersionParamsSchema.shape.version.optional() }),
  handle: async ({ params }) => {
    return { status: 200, body: toDefinitionView(await getDefinition(runtimeDeps(), params.name, params.version)) };
  },
});
