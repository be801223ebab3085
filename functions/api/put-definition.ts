import { UnsupportedMediaTypeError } from '#domain/errors.ts';
import { putDefinition, type DefinitionDocument } from '#app/definitions.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { httpHandler } from '#http/http-handler.ts';
import { DefinitionParamsSchema } from '#schemas/api.ts';

const MEDIA_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];

/** PUT /definitions/{name}: YAML or JSON. 201 for a new version, 200 for identical content. */
export const handler = httpHandler({
  params: DefinitionParamsSchema,
  decodeBody: (raw, contentType): DefinitionDocument => {
    if (contentType !== '' && !MEDIA_TYPES.includes(contentType)) throw new UnsupportedMediaTypeError(contentType, MEDIA_TYPES);
    // JSON is YAML, so one parser reports both, with line and column.
    return { yaml: raw };
  },
  handle: async ({ params, body }) => {
    const { created, definition } = await putDefinition(runtimeDeps(), params.name, body as DefinitionDocument);
    return { status: created ? 201 : 200, body: definition };
  },
});
