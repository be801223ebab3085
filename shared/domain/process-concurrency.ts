import { evaluateExpression, expressionProblems, jsonKind } from './expressions.ts';
import { ExpressionError, ValidationError } from './errors.ts';
import type { LocatedSchemaProblem } from './map-spec.ts';
import type { ProcessConcurrencyDocument, ProcessConcurrencySpec } from '#schemas/process-concurrency-schema.ts';

/**
 * Process concurrency (issue 18), the pure part: the `concurrency:` key's
 * problems a schema cannot see (its CEL key, located), its normalised form,
 * and the pool a process belongs to. A pool is one definition (all versions)
 * and one value of the key; each pool counts its own slots and keeps its own
 * queue, so one key's queue never delays another key.
 */

export type { ProcessConcurrencySpec };

/** The key's problems, located at `concurrency.key` with the position inside the expression. */
export function processConcurrencyProblems(raw: unknown): LocatedSchemaProblem[] {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [];
  const key = (raw as Record<string, unknown>).key;
  if (typeof key !== 'string' || key.trim() === '') return [];
  return expressionProblems(key, 'processConcurrencyKey').map((p) => ({ at: ['concurrency', 'key'], message: p.message, within: { line: p.line, column: p.column } }));
}

/** `onLimit` defaults to `queue`. */
export function normaliseProcessConcurrency(doc: ProcessConcurrencyDocument): ProcessConcurrencySpec {
  return { limit: doc.limit, ...(doc.key === undefined ? {} : { key: doc.key }), onLimit: doc.onLimit ?? 'queue' };
}

/** The pool of one process: the definition and the key's value as text (absent without a key). */
export interface PoolRef {
  readonly definition: string;
  readonly key?: string;
}

/**
 * The key's value for an input, as text (a string as it is, an integer in decimal).
 *
 * @throws ValidationError (a 400 at start) naming the expression and what went wrong, when it fails or yields another kind.
 * @example
 * concurrencyKeyOf({ limit: 3, key: 'input.tenantId', onLimit: 'queue' }, { tenantId: 'acme' }) // 'acme'
 */
export function concurrencyKeyOf(spec: ProcessConcurrencySpec, input: unknown): string | undefined {
  if (spec.key === undefined) return undefined;
  let value: unknown;
  try {
    value = evaluateExpression(spec.key, 'processConcurrencyKey', { input });
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    throw new ValidationError(`the definition's concurrency key ${JSON.stringify(spec.key)} failed on this input: ${error.reason}`, [
      { path: 'input', message: `concurrency.key ${JSON.stringify(spec.key)} failed: ${error.reason}` },
    ]);
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  throw new ValidationError(`the definition's concurrency key ${JSON.stringify(spec.key)} must yield a string or an integer, but yielded ${jsonKind(value)}`, [
    { path: 'input', message: `concurrency.key ${JSON.stringify(spec.key)} yielded ${jsonKind(value)}, not a string or an integer` },
  ]);
}
