import type { Dag } from '#domain/dag.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';
import { taskPolicyOf } from './definitions.ts';
import type { SettleCount } from './ports.ts';

/**
 * The counters an ending task counts itself in, in its own write: each join
 * it feeds (when its children run on: a completion, or an optional task's
 * failure) and the process's end counter (several sinks). A skipped task
 * counts only in the end counter: its joins are skipped too.
 */
export function settlesOf(dag: Dag, task: string, counts: 'children' | 'endOnly'): SettleCount[] {
  const settles: SettleCount[] =
    counts === 'children'
      ? (dag.children.get(task) ?? []).filter((c) => (dag.tasks.get(c)?.needs.length ?? 0) > 1).map((c) => ({ task: c, expected: dag.tasks.get(c)?.needs.length ?? 0 }))
      : [];
  if (dag.sinks.length > 1 && dag.sinks.includes(task)) settles.push({ expected: dag.sinks.length });
  return settles;
}

/** A final failure settles like a completion for an optional task; otherwise only the end counter (its children are skipped or cancelled). */
export function failureSettles(def: DefinitionVersionItem, dag: Dag, task: string): SettleCount[] {
  return settlesOf(dag, task, taskPolicyOf(def, task).optional ? 'children' : 'endOnly');
}
