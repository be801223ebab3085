import { TaskDocumentSchema } from '#schemas/definition-schema.ts';

type DefinitionModule = typeof import('#domain/definition.ts');

/** Whether the definition language on this branch has the `map` key yet (it comes with the CEL work). */
export const LANGUAGE_KNOWS_MAP = 'map' in TaskDocumentSchema.shape;

/**
 * The server's definition validator for tests of the client's maps, used as
 * `vi.mock('#domain/definition.ts', async (importOriginal) => (await import('./validator-without-map.ts')).validatorWithoutMap(importOriginal))`
 * (imported inside the factory, which vitest hoists above the imports).
 * Until the language has the `map` key, the real validator rejects it: this
 * one runs the real validator on the document with its tasks' `map` keys
 * taken out (everything else is checked as the server checks it). Once the
 * language has `map`, it is the real validator, unchanged, and the mock can go.
 */
export async function validatorWithoutMap(importOriginal: () => Promise<DefinitionModule>): Promise<DefinitionModule> {
  const actual = await importOriginal();
  if (LANGUAGE_KNOWS_MAP) return actual;
  return { ...actual, checkDefinition: (doc, options) => actual.checkDefinition(withoutMapKeys(doc), options) };
}

function withoutMapKeys(doc: unknown): unknown {
  if (doc === null || typeof doc !== 'object' || !Array.isArray((doc as { tasks?: unknown }).tasks)) return doc;
  const tasks = (doc as { tasks: unknown[] }).tasks.map((t) => {
    if (t === null || typeof t !== 'object' || !('map' in t)) return t;
    const { map: _map, ...rest } = t as Record<string, unknown>;
    return rest;
  });
  return { ...doc, tasks };
}
