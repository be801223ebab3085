import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { ProblemDetail } from '#domain/errors.ts';
import type { PathSegment, SchemaProblem } from '#schemas/definition-schema.ts';

/**
 * A definition's `inputSchema`: a JSON Schema (draft 2020-12) that a
 * process's input must match. Checked when the definition is PUT
 * ({@link inputSchemaProblems}), compiled once per version and container
 * ({@link compileInputSchema}), and run on every start.
 */

/** The dialect accepted in `$schema`; absent means the same. */
export const INPUT_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';
/**
 * Deepest nesting of an input schema. Ajv compiles and the checks walk a
 * schema recursively; real schemas stay far below this.
 */
export const MAX_INPUT_SCHEMA_DEPTH = 32;
/** Most violations listed for one input: enough to fix a form, not enough to flood a response. */
export const MAX_INPUT_PROBLEMS = 50;

/** Checks one input; an empty list means it matches. Paths are JSON pointers into the request body (`/input/amount`). */
export type InputCheck = (input: unknown) => ProblemDetail[];

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

/**
 * A fresh Ajv per schema: schemas with the same `$id` in two definitions must
 * not collide, and compiling happens once per version anyway. `strict: false`
 * because a user's schema may carry annotations Ajv does not know (`x-…`,
 * `examples`), which JSON Schema allows.
 */
function newAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

/**
 * Every problem with a definition's input schema, located under `inputSchema`:
 * too deep, another dialect, not valid against the 2020-12 meta-schema, or
 * not compilable (e.g. a `$ref` that does not resolve).
 *
 * @example
 * inputSchemaProblems({ type: 'object', properties: { age: { type: 'integr' } } })
 * // [{ at: ['inputSchema', 'properties', 'age', 'type'], message: 'must be equal to one of the allowed values: array, boolean, …' }]
 */
export function inputSchemaProblems(schema: Readonly<Record<string, unknown>>): SchemaProblem[] {
  const depth = depthOf(schema, MAX_INPUT_SCHEMA_DEPTH + 1);
  if (depth > MAX_INPUT_SCHEMA_DEPTH) {
    return [{ at: ['inputSchema'], message: `inputSchema is nested more than ${MAX_INPUT_SCHEMA_DEPTH} levels deep` }];
  }
  const dialect = schema.$schema;
  if (dialect !== undefined && dialect !== INPUT_SCHEMA_DIALECT && dialect !== `${INPUT_SCHEMA_DIALECT}#`) {
    return [{ at: ['inputSchema', '$schema'], message: `inputSchema must be JSON Schema draft 2020-12: $schema must be '${INPUT_SCHEMA_DIALECT}' or absent` }];
  }
  const ajv = newAjv();
  if (!ajv.validateSchema(schema)) return metaSchemaProblems(ajv.errors ?? []);
  try {
    ajv.compile(schema);
  } catch (error) {
    return [{ at: ['inputSchema'], message: `inputSchema does not compile: ${(error as Error).message}` }];
  }
  return [];
}

/**
 * Compiles a schema already accepted by {@link inputSchemaProblems}.
 *
 * @example
 * const check = compileInputSchema({ type: 'object', required: ['amount'] });
 * check({}) // [{ path: '/input/amount', message: "must have required property 'amount'" }]
 */
export function compileInputSchema(schema: Readonly<Record<string, unknown>>): InputCheck {
  const validate = newAjv().compile(schema);
  return (input) => {
    if (validate(input)) return [];
    const errors = validate.errors ?? [];
    // Sorted by path: Ajv reports in the schema's key order, which a stored schema does not keep (DynamoDB maps are unordered).
    const problems = errors.map(inputProblem).sort(byPath).slice(0, MAX_INPUT_PROBLEMS);
    if (errors.length > MAX_INPUT_PROBLEMS) problems.push({ message: `${errors.length - MAX_INPUT_PROBLEMS} more violations are not listed` });
    return problems;
  };
}

function byPath(a: ProblemDetail, b: ProblemDetail): number {
  const [x, y] = [a.path ?? '', b.path ?? ''];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** A violation, located at the offending value: for a missing or extra property, the property itself. */
function inputProblem(error: ErrorObject): ProblemDetail {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const property = params.missingProperty ?? params.additionalProperty;
  const at = property === undefined ? error.instancePath : `${error.instancePath}/${escapePointer(property)}`;
  return { path: `/input${at}`, message: error.message ?? error.keyword };
}

/**
 * Meta-schema errors, one problem per location. Ajv reports a wrong `type`
 * three ways (enum, array, anyOf); the enum error, with the allowed values,
 * is the one that helps.
 */
function metaSchemaProblems(errors: readonly ErrorObject[]): SchemaProblem[] {
  const byPath = new Map<string, ErrorObject>();
  for (const error of errors) {
    const kept = byPath.get(error.instancePath);
    if (kept === undefined || (error.keyword === 'enum' && kept.keyword !== 'enum')) byPath.set(error.instancePath, error);
  }
  return [...byPath].map(([pointer, error]) => {
    const allowed = (error.params as { allowedValues?: unknown[] }).allowedValues;
    const message = `${error.message ?? error.keyword}${allowed ? `: ${allowed.map(String).join(', ')}` : ''}`;
    return { at: ['inputSchema', ...pointerSegments(pointer)], message: `inputSchema is not a valid JSON Schema: ${message}` };
  });
}

function pointerSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Nesting depth of a JSON value, counted up to `stop` (iterative: a hostile document cannot overflow the stack). */
function depthOf(value: unknown, stop: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest >= stop) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}
