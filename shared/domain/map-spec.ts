import { expressionProblems, type ExpressionContext } from '#domain/expressions.ts';
import { DEFAULT_MAP_CONCURRENCY, MAX_MAP_ITEMS, type MapDocument, type MapSpec, type PathSegment, type SchemaProblem } from '#schemas/definition-schema.ts';

/**
 * The `map:` key of a task (issue 16), kept apart from the rest of the
 * definition language: the rules across its keys, its CEL expressions, and
 * its normalised form. Pure. The shape of each key is zod's
 * (`MapDocumentSchema`); the map runtime is the engine's.
 */

export type { MapSpec };

/** A problem of a definition, with, for a problem inside a CEL expression, its position within the expression's text. */
export interface LocatedSchemaProblem extends SchemaProblem {
  readonly within?: { readonly line: number; readonly column: number };
}

/**
 * The problems of every `map:` of a decoded document that zod cannot see:
 * neither or both of `items` and `itemsFrom`, both tolerance keys, and each
 * expression's own problems (checked with the variables of its task: a task
 * with no needs has no `upstream`). Runs on the raw document, so that these
 * are reported alongside any shape problem.
 *
 * @example
 * mapProblems({ tasks: [{ name: 'A', map: { items: 'upstream.x' } }] }, 'tasks')
 * // [{ at: ['tasks', 0, 'map', 'items'], message: "unknown variable 'upstream': this task has no needs, …", within: { line: 1, column: 1 } }]
 */
export function mapProblems(raw: unknown, list: 'tasks' | 'steps'): LocatedSchemaProblem[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: unknown, i): LocatedSchemaProblem[] => {
    if (!isRecord(entry) || !isRecord(entry.map)) return [];
    return taskMapProblems(entry.map, [list, i, 'map'], needsOf(raw, list, i));
  });
}

/** A step needs the step before it; a task, what it lists (only its text entries: the others are zod's problems). */
export function needsOf(raw: readonly unknown[], list: 'tasks' | 'steps', i: number): string[] | undefined {
  if (list === 'steps') {
    if (i === 0) return [];
    const before = raw[i - 1];
    const name = typeof before === 'string' ? before : isRecord(before) && typeof before.name === 'string' ? before.name : undefined;
    // A step before it without a name is a problem of its own; its upstream cannot be checked.
    return name === undefined ? undefined : [name];
  }
  const needs = (raw[i] as Readonly<Record<string, unknown>>).needs;
  return Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : [];
}

function taskMapProblems(map: Readonly<Record<string, unknown>>, at: readonly PathSegment[], needs: readonly string[] | undefined): LocatedSchemaProblem[] {
  const problems: LocatedSchemaProblem[] = [];
  if (map.items !== undefined && map.itemsFrom !== undefined) {
    problems.push({ at: [...at, 'itemsFrom'], message: "a map takes its items from 'items' or from 'itemsFrom', not both" });
  } else if (map.items === undefined && map.itemsFrom === undefined) {
    problems.push({ at, message: "a map needs 'items' (a CEL expression that yields a list) or 'itemsFrom' (an S3 object of items)" });
  }
  if (map.toleratedFailurePercent !== undefined && map.toleratedFailureCount !== undefined) {
    problems.push({ at: [...at, 'toleratedFailureCount'], message: "a map takes 'toleratedFailurePercent' or 'toleratedFailureCount', not both" });
  }
  const check = (source: unknown, path: readonly PathSegment[], context: ExpressionContext) => {
    if (typeof source !== 'string') return;
    for (const p of expressionProblems(source, context, needs === undefined ? {} : { needs })) {
      problems.push({ at: path, message: p.message, within: { line: p.line, column: p.column } });
    }
  };
  check(map.items, [...at, 'items'], 'mapItems');
  if (isRecord(map.itemsFrom)) {
    check(map.itemsFrom.bucket, [...at, 'itemsFrom', 'bucket'], 'mapItemsFrom');
    check(map.itemsFrom.key, [...at, 'itemsFrom', 'key'], 'mapItemsFrom');
  }
  return problems;
}

/**
 * A validated `map:` with its defaults: `format: json`, `maxConcurrency: 100`,
 * `maxItems: 100000`, and `toleratedFailureCount: 0` when neither tolerance
 * key is given. A spelled-out default is then stored (and hashed) like an
 * omitted one.
 *
 * @example
 * normaliseMap({ items: 'input.files' })
 * // { items: 'input.files', maxConcurrency: 100, toleratedFailureCount: 0, maxItems: 100000 }
 */
export function normaliseMap(doc: MapDocument): MapSpec {
  return {
    ...(doc.items === undefined ? {} : { items: doc.items }),
    ...(doc.itemsFrom === undefined ? {} : { itemsFrom: { bucket: doc.itemsFrom.bucket, key: doc.itemsFrom.key, format: doc.itemsFrom.format ?? 'json' } }),
    maxConcurrency: doc.maxConcurrency ?? DEFAULT_MAP_CONCURRENCY,
    ...(doc.toleratedFailurePercent === undefined
      ? { toleratedFailureCount: doc.toleratedFailureCount ?? 0 }
      : { toleratedFailurePercent: doc.toleratedFailurePercent }),
    maxItems: doc.maxItems ?? MAX_MAP_ITEMS,
  };
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
