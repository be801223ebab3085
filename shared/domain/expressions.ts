// TEMPORARY (lead's branch): the definition-language branch (wip/cel) replaces this file with the real evaluator.
import { evaluate } from '@marcbachmann/cel-js';
import { ExpressionError } from './errors.ts';

export type ExpressionContext = 'mapItems' | 'mapItemsFrom' | 'condition' | 'concurrencyKey' | 'subProcessInput';
export interface ExpressionVars {
  readonly input?: unknown;
  readonly upstream?: Readonly<Record<string, unknown>>;
}

export function evaluateExpression(source: string, _context: ExpressionContext, vars: ExpressionVars): unknown {
  try {
    return toJson(evaluate(source, { input: vars.input ?? null, upstream: vars.upstream ?? {} }));
  } catch (error) {
    throw new ExpressionError(`expression ${JSON.stringify(source)} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function toJson(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), toJson(x)]));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}
