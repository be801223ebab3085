import { buildOpenApiDocument } from '#schemas/openapi-document.ts';
import { httpHandler } from '#http/http-handler.ts';

/** Built once per container: it depends only on the code. */
const document = buildOpenApiDocument();

/** GET /openapi.json: the OpenAPI 3.1 document of this API, the same as the committed openapi.json. */
export const handler = httpHandler({
  handle: async () => ({ status: 200, body: document }),
});
