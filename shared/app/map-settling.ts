import { childName, laneCount, laneSuccessor, MAP_RESULTS_LIMIT_BYTES, mapSummary, parseChildName, toleratedFailures, type ChildRef } from '#domain/map-children.ts';
import { isCancelledTask, isFailedTask, isRunningTask, isScheduledTask, TASK_STATUS } from '#domain/status-predicates.ts';
import type { DefinitionVersionItem, TaskError, TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { followUpCompleted, followUpFailed } from './end-task.ts';
import { mapSettingsOf } from './map-specs.ts';
import type { MapSpec as MapSettings } from '#schemas/definition-schema.ts';
import type { ChildEnding, EndTask } from './ports.ts';
import { messageFor, scheduleContext, sendBestEffort } from './scheduling.ts';
import { failureSettles, settlesOf } from './settles.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';
import { dispatchWaiters, holdsSlot } from './process-slots.ts';

/**
 * How a map's children end, and how the map settles: each ending schedules
 * the next child of its lane in its own transaction; the last of each lane
 * counts on the map; a failed child checks the tolerance; the map completes
 * with its results once every lane has settled, or fails and cancels the rest.
 */

/** Children read per step while gathering results or cancelling. */
const CHILDREN_PER_READ = 1_000;

/**
 * What the ending of a child writes with it, from its map item (one read):
 * the next child of its lane while the map runs, and the lane's count when it
 * is the last of its lane.
 */
export async function childEndingOf(deps: AppDeps, def: DefinitionVersionItem, processId: string, child: ChildRef, run: number, from: ChildEnding['from']): Promise<ChildEnding> {
  const settings = mapSettingsOf(def, child.map);
  const map = await deps.tasks.get({ processId, task: child.map });
  const total = map?.mapTotal;
  if (!settings || !map || total === undefined) return { from };
  const next = laneSuccessor(child.index, total, settings.maxConcurrency);
  if (next === undefined) return { from, lastOfLane: { lanes: laneCount(total, settings.maxConcurrency) } };
  if (!isRunningTask(map.status)) return { from };
  return { from, successor: scheduleContext(deps, def, processId, `${child.map}[${next}]`, 1, instant(deps), run) };
}

/**
 * After a child's ending was written: its successor's message goes out, and
 * an ending that owes more (a failure, the last of a lane, a manual ending)
 * gets its follow-up now. Without a successor or follow-up, nothing.
 */
export async function afterChildEnding(deps: AppDeps, processId: string, task: string, ending: ChildEnding, owesFollowUp: boolean): Promise<void> {
  if (ending.successor) await sendBestEffort(deps, [messageFor(ending.successor)]);
  if (owesFollowUp) await followUpChild(deps, processId, task);
}

/**
 * What an ended child owes, idempotent (the sweeper calls it again for a
 * child whose caller died): a failed child checks its map's tolerance; the
 * last child of a lane settles the map when every lane has. Then it leaves the
 * sweep index.
 */
export async function followUpChild(deps: AppDeps, processId: string, task: string, budgetMs?: number): Promise<void> {
  const child = parseChildName(task);
  const [item, map] = await Promise.all([deps.tasks.get({ processId, task }), child ? deps.tasks.get({ processId, task: child.map }) : undefined]);
  if (child && item && map && isRunningTask(map.status) && map.definition !== undefined && map.version !== undefined && map.mapTotal !== undefined) {
    const def = await getDefinition(deps, map.definition, map.version);
    const settings = mapSettingsOf(def, child.map);
    if (settings) {
      const done = await settleIfDue(deps, def, processId, map, settings, { failed: isFailedTask(item.status), last: laneSuccessor(child.index, map.mapTotal, settings.maxConcurrency) === undefined }, budgetMs);
      if (!done) {
        await deps.tasks.deferFollowUp({ processId, task, resumeFrom: 0, at: deps.now() });
        return;
      }
    }
  }
  // A child that ended its lane gave its slot back (maxParallel): hand it on before leaving the sweep index.
  if (child && item && map?.definition !== undefined && map.version !== undefined) {
    const def = await getDefinition(deps, map.definition, map.version);
    if (def.maxParallel !== undefined) await dispatchWaiters(deps, def, processId, item.run ?? 1);
  }
  await deps.tasks.clearSweep({ processId, task });
}

/** False when the settling ran out of budget (the caller stays due). */
async function settleIfDue(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  map: TaskItem,
  settings: MapSettings,
  child: { failed: boolean; last: boolean },
  budgetMs?: number,
): Promise<boolean> {
  const total = map.mapTotal ?? 0;
  const run = map.run ?? 1;
  const lanesDone = (map.settled ?? 0) >= (map.expected ?? Number.POSITIVE_INFINITY);
  if (!child.failed && !(child.last && lanesDone)) return true;
  const counts = await deps.maps.counts({ processId, map: map.name, run, total });
  const tolerated = toleratedFailures(settings, total);
  if (counts.failed > tolerated) {
    const error: TaskError = { code: 'MapToleranceExceeded', message: `${counts.failed} of ${total} children failed; the map tolerates ${tolerated}` };
    const at = instant(deps);
    const end: EndTask = { processId, task: map.name, iso: at.iso, now: at.now, expiresAt: at.expiresAt, run };
    if (await deps.maps.fail({ end, error, settles: failureSettles(def, dagOf(def), map.name), sweepAt: at.now, teardown: true })) {
      await teardownMap(deps, processId, { ...map, status: TASK_STATUS.failed, resumeFrom: 0 }, budgetMs);
    }
    return true;
  }
  if (!lanesDone) return true;
  return completeMap(deps, def, processId, map, counts, budgetMs);
}

/**
 * Every lane settled within the tolerance: the map completes with
 * `{total, completed, failed, results}`. The results (outputs in index order,
 * null for a failed child) are gathered a thousand children at a time when
 * they fit in 256 KiB, else left out (`resultsOmitted`). False when gathering
 * ran out of budget: what was gathered is recorded on the map.
 */
async function completeMap(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  map: TaskItem,
  counts: { total: number; completed: number; failed: number; outputBytes: number },
  budgetMs?: number,
): Promise<boolean> {
  const at = instant(deps);
  const run = map.run ?? 1;
  const fits = counts.outputBytes + counts.total * 5 + 2 <= MAP_RESULTS_LIMIT_BYTES;
  let output: Record<string, unknown> = { ...mapSummary(counts), resultsOmitted: true };
  if (fits) {
    const results: unknown[] = map.resultsJson === undefined ? [] : (JSON.parse(map.resultsJson) as unknown[]);
    let from = map.resultsFrom ?? 0;
    const deadline = budgetedPassDeadline(deps, at, budgetMs);
    while (from < counts.total) {
      if (deps.now() >= deadline) {
        await deps.maps.recordResults({ processId, map: map.name, run, resultsJson: JSON.stringify(results), resultsFrom: from });
        return false;
      }
      const page = await deps.maps.children({ processId, map: map.name, from, total: counts.total, limit: CHILDREN_PER_READ, outputs: true });
      const byIndex = new Map(page.items.map((c) => [parseChildName(c.name)?.index, c]));
      const end = page.next ?? counts.total;
      for (let i = from; i < end; i++) {
        const c = byIndex.get(i);
        results.push(c && !isFailedTask(c.status) && 'output' in c ? (c.output ?? null) : null);
      }
      from = end;
    }
    output = { ...mapSummary(counts), results };
  }
  const end: EndTask = { processId, task: map.name, iso: at.iso, now: at.now, expiresAt: at.expiresAt, run };
  if (await deps.maps.complete({ end, output, settles: settlesOf(dagOf(def), map.name, 'children'), sweepAt: at.now })) {
    const identity = await deps.processes.identity({ id: processId });
    if (identity) await followUpCompleted(deps, processId, identity, map.name);
  }
  return true;
}

/**
 * A map that ended early (failed, or cancelled with its process): its
 * SCHEDULED and RUNNING children are cancelled, a thousand read at a time from
 * the map's `resumeFrom`. Past the budget it records where it stopped. Then a
 * failed map's failure policy applies; a cancelled one owes nothing more.
 */
export async function teardownMap(deps: AppDeps, processId: string, map: TaskItem, budgetMs?: number): Promise<void> {
  const total = map.mapTotal ?? 0;
  const run = map.run ?? 1;
  const at = instant(deps);
  const deadline = budgetedPassDeadline(deps, at, budgetMs);
  let from = map.resumeFrom ?? 0;
  const pooled = map.definition !== undefined && map.version !== undefined && holdsSlot(await getDefinition(deps, map.definition, map.version), childName(map.name, 0));
  while (from < total) {
    if (deps.now() >= deadline) {
      await deps.tasks.deferFollowUp({ processId, task: map.name, resumeFrom: from, at: deps.now() });
      return;
    }
    const page = await deps.maps.children({ processId, map: map.name, from, total, limit: CHILDREN_PER_READ });
    const active = page.items.filter((c) => isScheduledTask(c.status) || isRunningTask(c.status));
    await Promise.all(
      active.map((c) =>
        deps.maps.cancelChild({ processId, task: c.name, status: isScheduledTask(c.status) ? 'scheduled' : 'running', run, iso: at.iso, expiresAt: at.expiresAt, ...(pooled ? { pooled } : {}) }),
      ),
    );
    from = page.next ?? total;
  }
  if (isCancelledTask(map.status)) await deps.tasks.clearSweep({ processId, task: map.name });
  else await followUpFailed(deps, processId, map.name, {}, run);
}

/** A map whose items are invalid fails before it runs a child; its failure policy applies. */
export async function failMapEarly(deps: AppDeps, processId: string, def: DefinitionVersionItem, map: string, run: number, error: TaskError): Promise<void> {
  const at = instant(deps);
  const end: EndTask = { processId, task: map, iso: at.iso, now: at.now, expiresAt: at.expiresAt, run };
  if (await deps.maps.fail({ end, error, settles: failureSettles(def, dagOf(def), map), sweepAt: at.now, teardown: false })) {
    await followUpFailed(deps, processId, map, {}, run);
  }
}

/** An empty list: the map completes at once, with `total: 0`. */
export async function completeEmptyMap(deps: AppDeps, processId: string, def: DefinitionVersionItem, map: string, run: number): Promise<void> {
  const at = instant(deps);
  if (!(await deps.maps.start({ processId, map, run, total: 0, lanes: 0, iso: at.iso, sweepAt: at.now }))) return;
  const end: EndTask = { processId, task: map, iso: at.iso, now: at.now, expiresAt: at.expiresAt, run };
  if (await deps.maps.complete({ end, output: { total: 0, completed: 0, failed: 0, results: [] }, settles: settlesOf(dagOf(def), map, 'children'), sweepAt: at.now })) {
    const identity = await deps.processes.identity({ id: processId });
    if (identity) await followUpCompleted(deps, processId, identity, map);
  }
}
