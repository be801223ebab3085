import type { Dag } from '#domain/dag.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';
import { taskPolicyOf } from './definitions.ts';
import type { AppDeps } from './deps.ts';
import type { JoinCounter, SettleCount } from './ports.ts';
import { SMALL_JOIN_NEEDS } from '#domain/small-joins.ts';

export { SMALL_JOIN_NEEDS } from '#domain/small-joins.ts';

/**
 * The counters an ending task counts itself in, in its own write: each wide
 * join it feeds (when its children run on: a completion, or an optional
 * task's failure) and the process's end counter (several sinks). Small joins
 * are counted by the follow-up ({@link settleSmallJoins}), except for an
 * ending whose follow-up is not a completion's (`everyJoin`: a branch's
 * skip counts in every join, small ones included, in its own write). A task
 * skipped after a failure counts only in the end counter: its joins are
 * skipped too.
 */
export function settlesOf(dag: Dag, task: string, counts: 'children' | 'everyJoin' | 'endOnly'): SettleCount[] {
  const joins = counts === 'endOnly' ? [] : joinsOf(dag, task);
  const settles: SettleCount[] = counts === 'children' ? joins.filter((j) => j.expected > SMALL_JOIN_NEEDS) : joins;
  if (dag.sinks.length > 1 && dag.sinks.includes(task)) settles.push({ expected: dag.sinks.length });
  return settles;
}

/**
 * A final failure settles like a completion for an optional task. Otherwise, under skipDownstream, only the end
 * counter (its children are skipped, and the process ends once nothing can run); under failFast nothing: the
 * failure's own follow-up fails the process, and a failed sink counted in the end counter would let another sink's
 * completion fill it and end the process COMPLETED while that follow-up is owed (a crash between the two).
 */
export function failureSettles(def: DefinitionVersionItem, dag: Dag, task: string): SettleCount[] {
  if (taskPolicyOf(def, task).optional) return settlesOf(dag, task, 'children');
  return def.onFailure === 'skipDownstream' ? settlesOf(dag, task, 'endOnly') : [];
}

/**
 * Counts a task whose children run on (a completion, an optional task's failure, a map's ending) in each small join
 * it feeds, once: part of its follow-up, before the joins are decided, and redone with it after a crash (a repeat is
 * refused by the join's `counted` set, and so is a count of a run that a rerun has since reset). Answers, by join,
 * the counter as this count left it, or `false` where the count was refused (counted before: the join must be read).
 */
export async function settleSmallJoins(deps: AppDeps, dag: Dag, processId: string, task: string, run: number): Promise<Map<string, JoinCounter | false>> {
  const small = joinsOf(dag, task).filter((j) => j.expected <= SMALL_JOIN_NEEDS);
  const counted = await Promise.all(small.map((j) => deps.tasks.settleOnce({ processId, join: j.task!, expected: j.expected, position: j.position!, run })));
  return new Map(small.map((j, i) => [j.task!, counted[i]!]));
}

/** Every join the task feeds, with its expected count and the task's place among its needs. */
function joinsOf(dag: Dag, task: string): SettleCount[] {
  return (dag.children.get(task) ?? []).flatMap((c) => {
    const needs = dag.tasks.get(c)?.needs ?? [];
    return needs.length > 1 ? [{ task: c, expected: needs.length, position: needs.indexOf(task) }] : [];
  });
}
