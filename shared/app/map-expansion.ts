import { ExpressionError } from '#domain/errors.ts';
import { evaluateExpression, jsonKind } from '#domain/expressions.ts';
import { childName, ITEMS_PER_CHUNK, laneCount, MAP_ITEM_LIMIT_BYTES } from '#domain/map-children.ts';
import { isRunningTask, isScheduledTask } from '#domain/status-predicates.ts';
import type { TaskError, TaskItem } from '#schemas/items.ts';
import { budgetedPass } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';
import { getDefinition } from './definitions.ts';
import { mapSettingsOf } from './map-specs.ts';
import type { MapSpec as MapSettings } from '#schemas/definition-schema.ts';
import { completeEmptyMap, failMapEarly } from './map-settling.ts';
import type { OutgoingTaskMessage } from './ports.ts';
import { messageFor, scheduleContext, sendBestEffort } from './scheduling.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';

/** Items stored per step of an expansion: ten chunks, written in parallel. */
const ITEMS_PER_STEP = ITEMS_PER_CHUNK * 10;
/** Lanes' first children scheduled per step: one SQS batch. */
const CHILDREN_PER_STEP = 10;

/**
 * Expands a map that was just scheduled, without letting a failure reach the
 * caller (the call that made the map ready): its sweep entry is due a grace
 * period later, and the sweeper expands it then.
 */
export async function expandMapBestEffort(deps: AppDeps, processId: string, map: string): Promise<void> {
  try {
    const item = await deps.tasks.get({ processId, task: map });
    if (item) await expandMap(deps, processId, item);
  } catch (error) {
    deps.log.warn('map not expanded; the sweeper will expand it', { processId, task: map, error: String(error) });
  }
}

/**
 * A map's expansion, resumable at every step (the sweeper calls it again from
 * what the map item records):
 * 1. SCHEDULED: its items are evaluated (`items`, a CEL expression over the
 *    process input and the map's upstream) and stored in chunks, from
 *    `resumeFrom` on; then it turns RUNNING with its total. Items that are not
 *    a list, too many or too large fail the map (MapItemsInvalid, MapTooLarge);
 *    an empty list completes it at once.
 * 2. RUNNING: the first child of each lane is scheduled, from `resumeFrom` on;
 *    then the map leaves the sweep index. Its children's endings do the rest.
 * Each step is budgeted: past the budget, the map records where it stopped.
 */
export async function expandMap(deps: AppDeps, processId: string, item: TaskItem, budgetMs?: number): Promise<void> {
  if (item.definition === undefined || item.version === undefined) return;
  const def = await getDefinition(deps, item.definition, item.version);
  const settings = mapSettingsOf(def, item.name);
  if (!settings) return;
  const at = instant(deps);
  const deadline = budgetedPassDeadline(deps, at, budgetMs);
  const run = item.run ?? 1;
  let total = item.mapTotal;
  if (isScheduledTask(item.status)) {
    const items = await evaluateItems(deps, processId, def.tasks.find((t) => t.name === item.name)?.needs ?? [], settings);
    if (!Array.isArray(items)) {
      await failMapEarly(deps, processId, def, item.name, run, items);
      return;
    }
    const from = item.resumeFrom ?? 0;
    const steps = Array.from({ length: Math.ceil(Math.max(0, items.length - from) / ITEMS_PER_STEP) }, (_, i) => from + i * ITEMS_PER_STEP);
    const stored = await budgetedPass(steps, { chunk: 1, lanes: Math.max(1, Math.floor(deps.settings.writeConcurrency / 10)), deadline, now: deps.now }, async ([first]) => {
      if (first === undefined) return;
      await deps.maps.putItems({ processId, map: item.name, first, items: items.slice(first, first + ITEMS_PER_STEP), expiresAt: at.expiresAt });
    });
    if (!stored.complete) {
      await deps.maps.deferExpansion({ processId, map: item.name, resumeFrom: from + stored.handled * ITEMS_PER_STEP, sweepAt: deps.now() });
      return;
    }
    total = items.length;
    if (total === 0) {
      await completeEmptyMap(deps, processId, def, item.name, run);
      return;
    }
    const lanes = laneCount(total, settings.maxConcurrency);
    if (!(await deps.maps.start({ processId, map: item.name, run, total, lanes, iso: at.iso, sweepAt: at.now + deps.settings.enqueueGraceMs }))) return;
    item = { ...item, resumeFrom: 0 };
  } else if (!isRunningTask(item.status)) {
    return;
  }
  if (total === undefined) return;
  await startLanes(deps, processId, def, item, { total, lanes: laneCount(total, settings.maxConcurrency), run, deadline });
}

/** The first child of each lane, from the map's `resumeFrom` on, a batch at a time; then the map owes nothing. */
async function startLanes(
  deps: AppDeps,
  processId: string,
  def: Parameters<typeof scheduleContext>[1],
  item: TaskItem,
  args: { total: number; lanes: number; run: number; deadline: number },
): Promise<void> {
  const from = item.resumeFrom ?? 0;
  const at = instant(deps);
  const indexes = Array.from({ length: Math.max(0, args.lanes - from) }, (_, i) => from + i);
  const pass = await budgetedPass(indexes, { chunk: CHILDREN_PER_STEP, lanes: Math.max(1, Math.floor(deps.settings.writeConcurrency / CHILDREN_PER_STEP)), deadline: args.deadline, now: deps.now }, async (chunk) => {
    const messages = await Promise.all(
      chunk.map(async (index): Promise<OutgoingTaskMessage | undefined> => {
        const ctx = scheduleContext(deps, def, processId, childName(item.name, index), 1, at, args.run);
        return (await deps.maps.scheduleChild({ schedule: ctx })) ? messageFor(ctx) : undefined;
      }),
    );
    await sendBestEffort(deps, messages.filter((m): m is OutgoingTaskMessage => m !== undefined));
  });
  if (!pass.complete) {
    await deps.maps.deferExpansion({ processId, map: item.name, resumeFrom: from + pass.handled, sweepAt: deps.now() });
    return;
  }
  await deps.maps.started({ processId, map: item.name });
}

/**
 * The items of a map, or the error that fails it: `items` evaluated over the
 * process input and the map's upstream outputs; a list within `maxItems`, each
 * item within {@link MAP_ITEM_LIMIT_BYTES}.
 */
async function evaluateItems(deps: AppDeps, processId: string, needs: readonly string[], settings: MapSettings): Promise<unknown[] | TaskError> {
  if (settings.items === undefined) return { code: 'MapItemsInvalid', message: 'itemsFrom (an S3 object) is not available in this deployment yet' };
  const [input, upstreamResults] = await Promise.all([deps.processes.getInput({ id: processId }), needs.length > 0 ? deps.tasks.getUpstream({ processId, tasks: needs }) : Promise.resolve(new Map())]);
  const upstream = Object.fromEntries([...upstreamResults.entries()].map(([name, r]) => [name, r.failed ? null : r.output]));
  let value: unknown;
  try {
    value = evaluateExpression(settings.items, 'mapItems', { input, upstream });
  } catch (error) {
    if (error instanceof ExpressionError) return { code: 'MapItemsInvalid', message: error.message };
    throw error;
  }
  if (!Array.isArray(value)) return { code: 'MapItemsInvalid', message: `items ${JSON.stringify(settings.items)} must yield a list; it yielded ${jsonKind(value)}` };
  if (value.length > settings.maxItems) return { code: 'MapTooLarge', message: `items yielded ${value.length} items; the map allows ${settings.maxItems} (maxItems)` };
  const large = value.findIndex((v) => Buffer.byteLength(JSON.stringify(v) ?? 'null', 'utf8') > MAP_ITEM_LIMIT_BYTES);
  if (large !== -1) return { code: 'MapItemsInvalid', message: `item ${large} is larger than ${MAP_ITEM_LIMIT_BYTES} bytes of JSON` };
  return value;
}
