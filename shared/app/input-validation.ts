import type { DefinitionVersionItem as StoredDefinition } from '#schemas/items.ts';
import { compileInputSchema, type InputCheck } from '#domain/input-schema.ts';
import { ValidationError } from '#domain/errors.ts';

/** Compiled input schemas kept per container; versions are immutable, so an entry is never stale. */
const MAX_COMPILED = 500;
const compiled = new Map<string, InputCheck>();

/**
 * Checks a process's input against its definition version's `inputSchema`
 * (nothing to check without one). The schema is compiled once per version
 * and container, keyed by `name@version`.
 *
 * @throws ValidationError with one entry per violation, each at its JSON pointer in the request body (`/input/amount`).
 * @example
 * checkProcessInput(def, { amount: -1 }); // throws ValidationError: [{ path: '/input/amount', message: 'must be >= 0' }]
 */
export function checkProcessInput(def: StoredDefinition, input: unknown): void {
  if (def.inputSchema === undefined) return;
  const key = `${def.name}@${def.version}`;
  let check = compiled.get(key);
  if (check === undefined) {
    check = compileInputSchema(def.inputSchema);
    // Bounded like the definition cache: a container serving many definitions drops the oldest.
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, check);
  }
  const problems = check(input);
  if (problems.length > 0) {
    throw new ValidationError(`input does not match the inputSchema of '${def.name}' version ${def.version}: ${problems.length} problem(s)`, problems);
  }
}
