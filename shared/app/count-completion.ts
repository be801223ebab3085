import type { Dag } from '#domain/dag.ts';
import { parseChildName } from '#domain/map-children.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';
import { mapSettingsOf } from './map-specs.ts';
import { instant } from './timestamps.ts';

/**
 * Counts a completed task in its run's progress, once. It is the last step of
 * what a completion owes (its follow-up): the completing call makes it after
 * the children and the process end are written, and the sweeper (or the
 * resume pass) again if that call died first; the counter's set of counted
 * positions refuses the repeat. So "counted" means "followed up": the task's
 * sweep entry is left where it is (no clearing write), and the sweeper, when
 * its cursor reaches the entry, reads the count ({@link completionCounted})
 * and redoes the follow-up only if it is missing. A map and a process task
 * count in their own ending transactions, and a map's child in its map's
 * counters: none is counted here, and their follow-ups still clear their
 * entries.
 *
 * @example
 * await countCompletion(deps, processId, def, 'step-1', process.run);
 */
export async function countCompletion(deps: AppDeps, processId: string, def: DefinitionVersionItem, task: string, run: number): Promise<void> {
  const position = countedPosition(def, task);
  if (position === undefined) return;
  await deps.tasks.countCompletion({ processId, task, run, position, expiresAt: instant(deps).expiresAt });
}

/**
 * Whether a completed task's follow-up is done, by its count (one read of a
 * progress counter); undefined for a task that is not counted by its follow-up
 * (a map, a map's child, a process task), whose follow-up leaves the sweep
 * index instead.
 */
export async function completionCounted(deps: AppDeps, processId: string, def: DefinitionVersionItem, task: string, run: number): Promise<boolean | undefined> {
  const position = countedPosition(def, task);
  if (position === undefined) return undefined;
  return deps.tasks.isCounted({ processId, task, run, position });
}

/**
 * The last step of an ended task's follow-up: a completion counts itself (its
 * sweep entry stays, done); anything else leaves the sweep index.
 */
export async function finishFollowUp(deps: AppDeps, processId: string, def: DefinitionVersionItem, task: string, run: number, completed: boolean): Promise<void> {
  if (completed && countedPosition(def, task) !== undefined) {
    await countCompletion(deps, processId, def, task, run);
    return;
  }
  await deps.tasks.clearSweep({ processId, task });
}

/** The task's position in the order, if its follow-up counts it (none for maps, their children and process tasks). */
function countedPosition(def: DefinitionVersionItem, task: string): number | undefined {
  const dag = dagOf(def);
  // A process task counts in its ending's transaction (completeByChild), as a map does.
  if (parseChildName(task) || mapSettingsOf(def, task) !== undefined || dag.tasks.get(task)?.process) return undefined;
  return positionsOf(dag).get(task);
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
