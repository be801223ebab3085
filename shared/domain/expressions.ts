import { Environment, EvaluationError, ParseError, TypeError as CelTypeError, type ASTNode } from '@marcbachmann/cel-js';
import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';
import { ExpressionError } from '#domain/errors.ts';
import { MAX_JSON_DEPTH } from '#schemas/json-depth.ts';

/**
 * The one evaluator of the definition language's expressions: CEL (Common
 * Expression Language), through `@marcbachmann/cel-js`. A map's items, a
 * condition, a concurrency key and a sub-process's input are all checked at
 * PUT with {@link expressionProblems} and evaluated with
 * {@link evaluateExpression}. Pure: CEL has no clock (`now` is not a
 * variable), no randomness and no I/O, so one expression over the same
 * variables always gives the same value.
 *
 * Values going in: `input` and `upstream` are JSON. A JSON number with no
 * fractional part (and within ±2^53-1) is a CEL `int`, any other a `double`:
 * `input.count + 1` works, and `input.price * 1.1` works when price is 10.5;
 * mix them with `double(x)` or `int(x)` when a number may be either.
 */

/** Which variables an expression may use, by where it is written. */
export type ExpressionContext = 'mapItems' | 'mapItemsFrom' | 'condition' | 'concurrencyKey' | 'subProcessInput' | 'taskLimitKey' | 'processConcurrencyKey';

/** A problem found when compiling: 1-based line and column *within the expression text*. */
export interface ExpressionProblem {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

/** The variables of an evaluation: the process's input and the outputs of the task's needs, by name. */
export interface ExpressionVars {
  readonly input?: unknown;
  readonly upstream?: Readonly<Record<string, unknown>>;
}

/** What {@link expressionProblems} knows of the expression's task. */
export interface ExpressionCheckOptions {
  /**
   * The task's needs, when known. None: `upstream` would always be empty, so
   * using it is a problem. Some: `upstream.<name>` and `upstream['<name>']`
   * must name one of them (any other always fails at run time).
   */
  readonly needs?: readonly string[];
}

/** Longest expression, in UTF-16 code units: longer is a problem, not compiled at all. */
export const MAX_EXPRESSION_LENGTH = 4096;
/** Most list items in one result, counted over every list in it (a list of 1,000 lists of 1,000 is 1,001,000). */
export const MAX_RESULT_ITEMS = 100_000;
/** Deepest result: the payload limit (a scalar is 0, `[]` and `{}` are 1). */
export const MAX_RESULT_DEPTH = MAX_JSON_DEPTH;
/** Compiled programs kept, by context and source; the oldest is dropped first. */
const CACHE_SIZE = 1000;

type Variable = 'input' | 'upstream';

const VARIABLES: Readonly<Record<ExpressionContext, readonly Variable[]>> = {
  mapItems: ['input', 'upstream'],
  mapItemsFrom: ['input', 'upstream'],
  condition: ['input', 'upstream'],
  concurrencyKey: ['input'],
  subProcessInput: ['input', 'upstream'],
  // A task's concurrency or rate-limit key (issue 18): over its process's input and its needs' outputs.
  taskLimitKey: ['input', 'upstream'],
  processConcurrencyKey: ['input'],
};

const LABELS: Readonly<Record<ExpressionContext, string>> = {
  mapItems: "a map's items",
  mapItemsFrom: "a map's itemsFrom",
  condition: 'a condition',
  concurrencyKey: 'a concurrency key',
  subProcessInput: "a sub-process's input",
  taskLimitKey: "a task's concurrency or rate-limit key",
  processConcurrencyKey: "a process's concurrency key",
};

/** Static types an expression of the context may have (`dyn` always passes: it is checked when evaluated). */
const EXPECTED_TYPES: Readonly<Record<ExpressionContext, { readonly types: readonly string[]; readonly what: string } | undefined>> = {
  mapItems: { types: ['list'], what: 'a list' },
  mapItemsFrom: { types: ['string'], what: 'a string' },
  condition: { types: ['bool'], what: 'true or false (a bool)' },
  concurrencyKey: { types: ['string', 'int', 'uint'], what: 'a string or an integer' },
  subProcessInput: undefined,
  taskLimitKey: { types: ['string', 'int', 'uint'], what: 'a string or an integer' },
  processConcurrencyKey: { types: ['string', 'int', 'uint'], what: 'a string or an integer' },
};

type Compiled = ReturnType<Environment['parse']>;

const environments = new Map<string, Environment>();
const cache = new Map<string, Compiled>();

/** One environment per set of variables; building one is the expensive part, so each is built once. */
function environmentFor(variables: readonly Variable[]): Environment {
  const key = variables.join(',');
  let env = environments.get(key);
  if (env === undefined) {
    // Mixed literals (`{'id': 1, 'name': 'a'}`) are what JSON is made of; 64 matches the payload depth.
    env = new Environment({ homogeneousAggregateLiterals: false, limits: { maxDepth: MAX_RESULT_DEPTH } });
    if (variables.includes('input')) env.registerVariable('input', 'dyn');
    if (variables.includes('upstream')) env.registerVariable('upstream', 'map');
    environments.set(key, env);
  }
  return env;
}

function variablesOf(context: ExpressionContext, options: ExpressionCheckOptions): readonly Variable[] {
  const all = VARIABLES[context];
  return options.needs?.length === 0 ? all.filter((v) => v !== 'upstream') : all;
}

/**
 * Problems of an expression (empty: it compiles, and uses only the variables
 * of its context). A syntax error, an unknown variable, a type error that can
 * be seen without the values (`1 + 'a'`), or a result that cannot be what
 * the context needs (a map's items that is a string) is a problem, located
 * by 1-based line and column within the expression.
 *
 * @example
 * expressionProblems("upstream['list-files'].files", 'mapItems') // []
 * expressionProblems('now > 1', 'condition')
 * // [{ message: "unknown variable 'now': a condition may use input and upstream", line: 1, column: 1 }]
 */
export function expressionProblems(source: string, context: ExpressionContext, options: ExpressionCheckOptions = {}): ExpressionProblem[] {
  if (source.length > MAX_EXPRESSION_LENGTH) {
    return [{ message: `an expression may be at most ${MAX_EXPRESSION_LENGTH} characters long; this one is ${source.length}`, line: 1, column: 1 }];
  }
  if (source.trim() === '') return [{ message: 'an expression must not be empty', line: 1, column: 1 }];
  const variables = variablesOf(context, options);
  const result = environmentFor(variables).check(source);
  if (!result.valid) return [problemOf(source, context, variables, result.error)];
  const expected = EXPECTED_TYPES[context];
  const type = baseType(result.type ?? 'dyn');
  if (expected !== undefined && type !== 'dyn' && !expected.types.includes(type)) {
    return [{ message: `${LABELS[context]} must be ${expected.what}, but this expression is of type ${result.type ?? type}`, line: 1, column: 1 }];
  }
  const needs = options.needs;
  if (needs === undefined || needs.length === 0 || !variables.includes('upstream')) return [];
  return upstreamNames(environmentFor(variables).parse(source).ast)
    .filter((used) => !needs.includes(used.name))
    .map((used) => ({
      message: `upstream has no '${used.name}': it holds the outputs of this task's needs (${needs.map((n) => `'${n}'`).join(', ')})`,
      ...positionIn(source, used.offset),
    }));
}

/**
 * The names read from `upstream` by a field or a literal index
 * (`upstream.a`, `upstream['list-files']`), with the offset of each name.
 * A computed index (`upstream[input.which]`) is not known before it runs.
 */
function upstreamNames(root: ASTNode): { name: string; offset: number }[] {
  const found: { name: string; offset: number }[] = [];
  const isUpstream = (node: ASTNode) => node.op === 'id' && node.args === 'upstream';
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    if (Array.isArray(value)) return value.forEach(visit);
    const node = value as ASTNode;
    if (node.op === '.' && isUpstream(node.args[0])) found.push({ name: node.args[1], offset: node.range.end - node.args[1].length });
    if (node.op === '[]' && isUpstream(node.args[0]) && node.args[1].op === 'value' && typeof node.args[1].args === 'string') {
      found.push({ name: node.args[1].args, offset: node.args[1].range.start });
    }
    if ('op' in node && 'args' in node) visit(node.args);
  };
  visit(root);
  return found;
}

/**
 * Evaluates an expression over JSON variables and answers a JSON value.
 * Compiled programs are cached by context and source (at most 1,000).
 *
 * The result is plain JSON, converted deeply: a CEL `int` or `uint` becomes a
 * number (beyond ±2^53-1 it is an error, not a rounded number), a map an
 * object (keys as strings), `bytes` a base64 string, a `timestamp` an RFC 3339
 * string in UTC (`2024-01-01T00:00:00.000Z`), a `duration` a string in
 * seconds as CEL writes it (`90s`, `1.5s`). A `double` that is NaN or
 * infinite, or a CEL `type` value, has no JSON form: an error.
 *
 * Bounds: a result with more than {@link MAX_RESULT_ITEMS} list items in all,
 * or nested deeper than {@link MAX_RESULT_DEPTH}, is an error, found while
 * converting, before more than that is built. The evaluation itself works on
 * the given variables, whose size the payload limits bound; CEL has no loops
 * beyond its macros over those values.
 *
 * @throws ExpressionError when the expression has problems, fails (e.g. a missing key), or its result breaks a bound.
 * @example
 * evaluateExpression("upstream['list-files'].files.map(f, f.size)", 'mapItems', { upstream: { 'list-files': { files: [{ size: 2 }] } } })
 * // [2]
 */
export function evaluateExpression(source: string, context: ExpressionContext, vars: ExpressionVars): unknown {
  const compiled = compile(source, context);
  const variables = VARIABLES[context];
  const values: Record<string, unknown> = {};
  if (variables.includes('input')) values.input = toCel(vars.input ?? null);
  if (variables.includes('upstream')) values.upstream = toCel(vars.upstream ?? {});
  let result: unknown;
  try {
    result = compiled(values);
  } catch (error) {
    throw new ExpressionError(source, reasonOf(error), { cause: error });
  }
  return fromCel(source, result);
}

/** The kind of a JSON value, for messages: `a list`, `a string`, `null`, … */
export function jsonKind(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value === 'boolean' ? 'bool' : typeof value}`;
}

function compile(source: string, context: ExpressionContext): Compiled {
  const key = `${context}\u0000${source}`;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Most recently used last, so that the oldest entry is the first to go.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const problem = expressionProblems(source, context)[0];
  if (problem !== undefined) throw new ExpressionError(source, `${problem.message} (line ${problem.line}, column ${problem.column})`);
  const compiled = environmentFor(VARIABLES[context]).parse(source);
  cache.set(key, compiled);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return compiled;
}

/** `list<dyn>` to `list`, `map<string, int>` to `map`. */
function baseType(type: string): string {
  return type.replace(/<.*$/s, '');
}

function problemOf(source: string, context: ExpressionContext, variables: readonly Variable[], error: unknown): ExpressionProblem {
  const at = positionIn(source, offsetOf(error));
  const unknown = /^Unknown variable: (.+)$/.exec(summaryOf(error));
  if (unknown?.[1] !== undefined) {
    const name = unknown[1];
    const hint =
      name === 'upstream' && VARIABLES[context].includes('upstream')
        ? 'this task has no needs, so upstream is always empty; use input'
        : `${LABELS[context]} may use ${variables.join(' and ')}`;
    return { message: `unknown variable '${name}': ${hint}`, ...at };
  }
  return { message: reasonOf(error), ...at };
}

function offsetOf(error: unknown): number {
  if (error instanceof ParseError || error instanceof CelTypeError || error instanceof EvaluationError) return error.range?.start ?? 0;
  return 0;
}

/** 1-based line and column of a UTF-16 offset within the source. */
function positionIn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, Math.max(0, Math.min(offset, source.length)));
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: before.length - lineStart + 1 };
}

function summaryOf(error: unknown): string {
  if (error instanceof ParseError || error instanceof CelTypeError || error instanceof EvaluationError) return error.summary;
  return error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
}

/** The library's summary, without its source excerpt, starting lower-case unless it starts with an acronym. */
function reasonOf(error: unknown): string {
  const summary = summaryOf(error).trim();
  return /^[A-Z][a-z]/.test(summary) ? summary[0]!.toLowerCase() + summary.slice(1) : summary;
}

/** JSON into CEL values: whole numbers become ints, so that `input.count + 1` type-checks at run time. */
function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toCel(v);
    return out;
  }
  return value;
}

/** CEL values into JSON, within the bounds; see {@link evaluateExpression}. */
function fromCel(source: string, result: unknown): unknown {
  let items = 0;
  const fail = (reason: string): never => {
    throw new ExpressionError(source, reason);
  };
  const convert = (value: unknown, depth: number): unknown => {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'bigint':
        return safeNumber(value, fail);
      case 'number':
        return Number.isFinite(value) ? value : fail(`the result holds ${String(value)}, which JSON cannot carry`);
      case 'undefined':
        return null;
      case 'object':
        break;
      default:
        return fail(`the result holds a ${typeof value}, which JSON cannot carry`);
    }
    if (value === null) return null;
    if (value instanceof UnsignedInt) return safeNumber(value.value, fail);
    if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Duration) return durationText(value);
    if (depth + 1 > MAX_RESULT_DEPTH) fail(`the result is nested deeper than ${MAX_RESULT_DEPTH} levels`);
    if (Array.isArray(value)) {
      items += value.length;
      if (items > MAX_RESULT_ITEMS) fail(`the result holds more than ${MAX_RESULT_ITEMS} list items`);
      return value.map((v) => convert(v, depth + 1));
    }
    const entries = value instanceof Map ? [...(value as Map<unknown, unknown>)] : Object.getPrototypeOf(value) === Object.prototype ? Object.entries(value) : undefined;
    if (entries === undefined) return fail(`the result holds a ${value.constructor?.name ?? 'value'} (a CEL type or other value), which has no JSON form`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) out[String(k)] = convert(v, depth + 1);
    return out;
  };
  return convert(result, 0);
}

function safeNumber(value: bigint, fail: (reason: string) => never): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    return fail(`the integer ${value} is beyond ±${Number.MAX_SAFE_INTEGER}, which a JSON number holds exactly`);
  }
  return Number(value);
}

/** CEL's own text of a duration: seconds, with the fraction only when there is one (`90s`, `1.5s`). */
function durationText(value: Duration): string {
  const seconds = value.seconds;
  const nanos = value.nanos;
  if (nanos === 0) return `${seconds}s`;
  const negative = seconds < 0n || nanos < 0;
  const whole = seconds < 0n ? -seconds : seconds;
  const fraction = String(Math.abs(nanos)).padStart(9, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}.${fraction}s`;
}
