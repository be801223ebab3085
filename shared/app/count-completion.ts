import type { Dag } from '#domain/dag.ts';
import { parseChildName } from '#domain/map-children.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';
import { mapSettingsOf } from './map-specs.ts';
import { instant } from './timestamps.ts';

/**
 * Counts a completed task in its run's progress, once. Part of what a
 * completion owes (its follow-up): the completing call does it right after
 * the ending, and the sweeper (or the resume pass) again if that call died
 * first; the counter's set of counted positions refuses the repeat. So the
 * ending itself needs no transaction, and `progress` lags a completion only
 * while its follow-up is owed. A map and a process task count in their own
 * ending transactions, and a map's child in its map's counters: none is
 * counted here.
 *
 * @example
 * await countCompletion(deps, processId, def, 'step-1', process.run);
 */
export async function countCompletion(deps: AppDeps, processId: string, def: DefinitionVersionItem, task: string, run: number): Promise<void> {
  const dag = dagOf(def);
  // A process task counts in its ending's transaction (completeByChild), as a map does.
  if (parseChildName(task) || mapSettingsOf(def, task) !== undefined || dag.tasks.get(task)?.process) return;
  const position = positionsOf(dag).get(task);
  if (position === undefined) return;
  await deps.tasks.countCompletion({ processId, task, run, position, expiresAt: instant(deps).expiresAt });
}

const positions = new WeakMap<Dag, ReadonlyMap<string, number>>();

/** Each task's place in the definition's order: a small number that names it in a counter's set. */
function positionsOf(dag: Dag): ReadonlyMap<string, number> {
  let p = positions.get(dag);
  if (!p) {
    p = new Map(dag.order.map((t, i) => [t, i]));
    positions.set(dag, p);
  }
  return p;
}
