import { HealthResponseSchema, OpenApiDocumentSchema } from '../responses.ts';
import { declareRoute } from './route-declaration.ts';

/** Health and the API's own description. */
export const META_ROUTES = {
  Health: declareRoute({
    method: 'GET',
    path: '/health',
    group: 'health',
    tag: 'meta',
    summary: 'Liveness of the API',
    description: 'Answers 200 while the API can run a handler. It touches no table or queue, so it stays cheap enough to poll.',
    responses: { 200: { description: 'the API is up', schema: HealthResponseSchema } },
    errors: [],
  }),
  OpenApi: declareRoute({
    method: 'GET',
    path: '/openapi.json',
    group: 'read',
    tag: 'meta',
    summary: 'This OpenAPI document',
    description: "The OpenAPI 3.1 document of this API, the same as the repository's openapi.json, with `servers` naming the URL it was fetched from.",
    responses: { 200: { description: 'the document', schema: OpenApiDocumentSchema } },
    errors: [],
  }),
};
