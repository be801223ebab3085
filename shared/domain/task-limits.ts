import { evaluateExpression, expressionProblems, jsonKind } from '#domain/expressions.ts';
import type { PathSegment, TaskSpec } from '#schemas/definition-schema.ts';
import { needsOf, type LocatedSchemaProblem } from '#domain/map-spec.ts';
import { ExpressionError, TributaryError } from '#domain/errors.ts';

/**
 * The flow-control keys of a task (issue 18), apart from the rest of the
 * language: their checks at PUT (the CEL keys, with their position; no limits
 * on a map task) and the keys' values at run time. Pure.
 */

/** The pool of a task without a `key`: one pool per definition and task. */
export const DEFAULT_LIMIT_KEY = '';
/** Longest key value: it is stored on the task and the slot items, and listed by `GET /concurrency`. */
export const MAX_LIMIT_KEY_LENGTH = 256;

/**
 * Problems of every task's `concurrency` and `rateLimit` that zod cannot see:
 * each key's CEL (checked with the variables of its task: no `upstream`
 * without needs), and limits on a map task, whose children are the map's to
 * pace (`maxConcurrency`).
 *
 * @example
 * taskLimitProblems([{ name: 'A', concurrency: { limit: 2, key: 'upstream.x' } }], 'tasks')
 * // [{ at: ['tasks', 0, 'concurrency', 'key'], message: "unknown variable 'upstream': …", within: { line: 1, column: 1 } }]
 */
export function taskLimitProblems(raw: unknown, list: 'tasks' | 'steps'): LocatedSchemaProblem[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: unknown, i): LocatedSchemaProblem[] => {
    if (!isRecord(entry)) return [];
    const problems: LocatedSchemaProblem[] = [];
    for (const name of ['concurrency', 'rateLimit'] as const) {
      const limit = entry[name];
      if (!isRecord(limit)) continue;
      const at: PathSegment[] = [list, i, name];
      if (entry.map !== undefined) problems.push({ at, message: `a map task cannot have '${name}': its children are paced by map.maxConcurrency` });
      if (typeof limit.key !== 'string') continue;
      const needs = needsOf(raw, list, i);
      for (const p of expressionProblems(limit.key, 'taskLimitKey', needs === undefined ? {} : { needs })) {
        problems.push({ at: [...at, 'key'], message: p.message, within: { line: p.line, column: p.column } });
      }
    }
    return problems;
  });
}

/** The keys a task's attempt is limited by; absent where the task has no such limit. */
export interface TaskLimitKeys {
  readonly concurrencyKey?: string;
  readonly rateKey?: string;
}

/**
 * The values of a task's limit keys for one process: each key's CEL over the
 * process input and the needs' outputs (both fixed once the task is
 * scheduled), as text; a task without `key` has the one pool
 * {@link DEFAULT_LIMIT_KEY}.
 *
 * @throws TaskLimitKeyError when a key fails, yields neither text nor a number, or is too long.
 * @example
 * taskLimitKeysOf({ concurrency: { limit: 5, key: 'input.tenant' } }, { input: { tenant: 'acme' }, upstream: {} })
 * // { concurrencyKey: 'acme' }
 */
export function taskLimitKeysOf(spec: Pick<TaskSpec, 'concurrency' | 'rateLimit'>, vars: { input: unknown; upstream: Record<string, unknown> }): TaskLimitKeys {
  return {
    ...(spec.concurrency === undefined ? {} : { concurrencyKey: keyValue('concurrency.key', spec.concurrency.key, vars) }),
    ...(spec.rateLimit === undefined ? {} : { rateKey: keyValue('rateLimit.key', spec.rateLimit.key, vars) }),
  };
}

function keyValue(label: string, source: string | undefined, vars: { input: unknown; upstream: Record<string, unknown> }): string {
  if (source === undefined) return DEFAULT_LIMIT_KEY;
  let value: unknown;
  try {
    value = evaluateExpression(source, 'taskLimitKey', vars);
  } catch (error) {
    if (error instanceof ExpressionError) throw new TaskLimitKeyError(`${label} ${error.message}`, { cause: error });
    throw error;
  }
  if (typeof value !== 'string' && typeof value !== 'number') throw new TaskLimitKeyError(`${label} ${JSON.stringify(source)} must yield text or a number; it yielded ${jsonKind(value)}`);
  const text = String(value);
  if (text.length > MAX_LIMIT_KEY_LENGTH) throw new TaskLimitKeyError(`${label} ${JSON.stringify(source)} yielded ${text.length} characters; a key may have at most ${MAX_LIMIT_KEY_LENGTH}`);
  return text;
}

/**
 * A limit key could not be evaluated for a task: the task fails with the code
 * `ConcurrencyKeyError` (never an HTTP answer: a task failure, like `MapItemsInvalid`).
 */
export class TaskLimitKeyError extends TributaryError {
  readonly code = 'ConcurrencyKeyError';
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
