import { DefinitionParamsSchema, DefinitionVersionParamsSchema, PaginationQuerySchema } from '../api.ts';
import { DefinitionDocumentSchema } from '../definition-schema.ts';
import { DefinitionPageSchema, DefinitionViewSchema } from '../responses.ts';
import { declareRoute } from './route-declaration.ts';

/** Every media type PUT /definitions/{name} reads; JSON is YAML, so one parser reads them all. */
export const DEFINITION_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'] as const;

/** The JSON form of a definition, with the rule the parser enforces that zod's object cannot say: exactly one of `tasks` and `steps`. */
const DefinitionBodySchema = DefinitionDocumentSchema.meta({ oneOf: [{ required: ['tasks'] }, { required: ['steps'] }] });

/** Versioned, immutable workflow definitions. */
export const DEFINITION_ROUTES = {
  PutDefinition: declareRoute({
    method: 'PUT',
    path: '/definitions/{name}',
    group: 'control',
    tag: 'definitions',
    summary: 'Register a definition (YAML or JSON)',
    description:
      'Registers a new version of the definition when the document differs from the latest version (201), or returns the latest version when it is identical (200). ' +
      'The body is YAML or JSON; every problem is reported at once, with its line and column (400 InvalidDefinition).',
    params: DefinitionParamsSchema,
    body: DefinitionBodySchema,
    mediaTypes: DEFINITION_MEDIA_TYPES,
    bodyRequired: true,
    example: { description: 'A loan application', tasks: [{ name: 'Check Credit' }, { name: 'Decide', needs: ['Check Credit'] }] },
    responses: {
      200: { description: 'identical to the latest version, which is returned', schema: DefinitionViewSchema },
      201: { description: 'a new version', schema: DefinitionViewSchema },
    },
    errors: ['InvalidDefinition', 'ConcurrencyConflict', 'UnsupportedMediaType'],
  }),
  ListDefinitions: declareRoute({
    method: 'GET',
    path: '/definitions',
    group: 'read',
    tag: 'definitions',
    summary: 'Definitions by name, one page',
    description: 'Every definition, by name, with its latest version; pass `nextToken` back for the next page.',
    query: PaginationQuerySchema,
    responses: { 200: { description: 'one page', schema: DefinitionPageSchema } },
    errors: [],
  }),
  GetDefinition: declareRoute({
    method: 'GET',
    path: '/definitions/{name}',
    group: 'read',
    tag: 'definitions',
    summary: 'The latest version of a definition',
    description: 'The latest version of the definition, with every default applied.',
    params: DefinitionParamsSchema,
    responses: { 200: { description: 'the definition', schema: DefinitionViewSchema } },
    errors: ['DefinitionNotFound'],
  }),
  GetDefinitionVersion: declareRoute({
    method: 'GET',
    path: '/definitions/{name}/versions/{version}',
    group: 'read',
    tag: 'definitions',
    summary: 'One version of a definition',
    description: 'One version of the definition, with every default applied. Versions are immutable.',
    params: DefinitionVersionParamsSchema,
    responses: { 200: { description: 'the definition', schema: DefinitionViewSchema } },
    errors: ['DefinitionNotFound'],
  }),
};
