import { ExpressionError, MapItemsError } from '#domain/errors.ts';
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
import type { OutgoingTaskMessage, UpstreamResult } from './ports.ts';
import { messageFor, scheduleContext, sendBestEffort } from './scheduling.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';
import { dispatchWaiters, pooledWrite } from './process-slots.ts';

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
    const needs = def.tasks.find((t) => t.name === item.name)?.needs ?? [];
    const stored = settings.itemsFrom ? await storeItemsFromObject(deps, processId, item, needs, settings, deadline) : await storeListedItems(deps, processId, item, needs, settings, deadline);
    if (stored.kind === 'failed') {
      await failMapEarly(deps, processId, def, item.name, run, stored.error);
      return;
    }
    if (stored.kind === 'deferred') return;
    total = stored.total;
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
  // Under maxParallel a lane's first child takes a process slot with its write, or the lane waits in the pool's order.
  const write = pooledWrite(deps, def, processId, args.run, 'lane', (schedule) => deps.maps.scheduleChild({ schedule }));
  const pass = await budgetedPass(indexes, { chunk: CHILDREN_PER_STEP, lanes: Math.max(1, Math.floor(deps.settings.writeConcurrency / CHILDREN_PER_STEP)), deadline: args.deadline, now: deps.now }, async (chunk) => {
    const messages = await Promise.all(
      chunk.map(async (index): Promise<OutgoingTaskMessage | undefined> => {
        const ctx = scheduleContext(deps, def, processId, childName(item.name, index), 1, at, args.run);
        return (await write(ctx)) ? messageFor(ctx) : undefined;
      }),
    );
    await sendBestEffort(deps, messages.filter((m): m is OutgoingTaskMessage => m !== undefined));
  });
  if (!pass.complete) {
    await deps.maps.deferExpansion({ processId, map: item.name, resumeFrom: from + pass.handled, sweepAt: deps.now() });
    return;
  }
  await dispatchWaiters(deps, def, processId, args.run);
  await deps.maps.started({ processId, map: item.name });
}

type Stored = { kind: 'stored'; total: number } | { kind: 'deferred' } | { kind: 'failed'; error: TaskError };

/** `items`: the list is evaluated (again, on every call: it is deterministic), and stored from `resumeFrom` on. */
async function storeListedItems(deps: AppDeps, processId: string, item: TaskItem, needs: readonly string[], settings: MapSettings, deadline: number): Promise<Stored> {
  const items = await evaluateItems(deps, processId, needs, settings);
  if (!Array.isArray(items)) return { kind: 'failed', error: items };
  const at = instant(deps);
  const from = item.resumeFrom ?? 0;
  const steps = Array.from({ length: Math.ceil(Math.max(0, items.length - from) / ITEMS_PER_STEP) }, (_, i) => from + i * ITEMS_PER_STEP);
  const stored = await budgetedPass(steps, { chunk: 1, lanes: Math.max(1, Math.floor(deps.settings.writeConcurrency / 10)), deadline, now: deps.now }, async ([first]) => {
    if (first === undefined) return;
    await deps.maps.putItems({ processId, map: item.name, run: item.run ?? 1, first, items: items.slice(first, first + ITEMS_PER_STEP), expiresAt: at.expiresAt });
  });
  if (!stored.complete) {
    await deps.maps.deferExpansion({ processId, map: item.name, resumeFrom: from + stored.handled * ITEMS_PER_STEP, sweepAt: deps.now() });
    return { kind: 'deferred' };
  }
  return { kind: 'stored', total: items.length };
}

/**
 * `itemsFrom`: the object is streamed from the map's cursor on (never read whole), and stored a step of items at a
 * time; past the budget the cursor (byte and index) is recorded, and the next call resumes there with a ranged read.
 */
async function storeItemsFromObject(deps: AppDeps, processId: string, item: TaskItem, needs: readonly string[], settings: MapSettings, deadline: number): Promise<Stored> {
  const source = settings.itemsFrom;
  if (!source) return { kind: 'failed', error: { code: 'MapItemsInvalid', message: 'the map names no itemsFrom' } };
  const vars = await expressionVars(deps, processId, needs);
  let bucket: unknown;
  let key: unknown;
  try {
    bucket = evaluateExpression(source.bucket, 'mapItemsFrom', vars);
    key = evaluateExpression(source.key, 'mapItemsFrom', vars);
  } catch (error) {
    if (error instanceof ExpressionError) return { kind: 'failed', error: { code: 'MapItemsInvalid', message: error.message } };
    throw error;
  }
  if (typeof bucket !== 'string' || typeof key !== 'string' || bucket === '' || key === '') {
    return { kind: 'failed', error: { code: 'MapItemsInvalid', message: `itemsFrom must yield a bucket and a key (text); it yielded ${jsonKind(bucket)} and ${jsonKind(key)}` } };
  }
  const at = instant(deps);
  let cursor = item.itemsCursor ?? { byte: 0, index: 0 };
  let batch: unknown[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await deps.maps.putItems({ processId, map: item.name, run: item.run ?? 1, first: cursor.index - batch.length, items: batch, expiresAt: at.expiresAt });
    batch = [];
  };
  try {
    for await (const read of deps.mapItems.read({ bucket, key, format: source.format, ...(item.itemsCursor ? { from: item.itemsCursor } : {}), maxItemBytes: MAP_ITEM_LIMIT_BYTES })) {
      if (read.next.index > settings.maxItems) return { kind: 'failed', error: { code: 'MapTooLarge', message: `s3://${bucket}/${key} holds more than ${settings.maxItems} items (maxItems)` } };
      batch.push(read.item);
      cursor = read.next;
      if (batch.length === ITEMS_PER_STEP) {
        await flush();
        if (deps.now() >= deadline) {
          await deps.maps.deferExpansion({ processId, map: item.name, resumeFrom: cursor.index, sweepAt: deps.now(), itemsCursor: cursor });
          return { kind: 'deferred' };
        }
      }
    }
  } catch (error) {
    if (error instanceof MapItemsError) return { kind: 'failed', error: { code: 'MapItemsInvalid', message: error.message } };
    throw error;
  }
  await flush();
  return { kind: 'stored', total: cursor.index };
}

/** What a map's expressions see: the process input and the map's upstream outputs (null for a failed optional need). */
async function expressionVars(deps: AppDeps, processId: string, needs: readonly string[]): Promise<{ input: unknown; upstream: Record<string, unknown> }> {
  const [input, upstreamResults] = await Promise.all([
    deps.processes.getInput({ id: processId }),
    needs.length > 0 ? deps.tasks.getUpstream({ processId, tasks: needs }) : Promise.resolve(new Map<string, UpstreamResult>()),
  ]);
  return { input, upstream: Object.fromEntries([...upstreamResults.entries()].map(([name, r]) => [name, r.failed ? null : r.output])) };
}

/**
 * The items of a map, or the error that fails it: `items` evaluated over the
 * process input and the map's upstream outputs; a list within `maxItems`, each
 * item within {@link MAP_ITEM_LIMIT_BYTES}.
 */
async function evaluateItems(deps: AppDeps, processId: string, needs: readonly string[], settings: MapSettings): Promise<unknown[] | TaskError> {
  if (settings.items === undefined) return { code: 'MapItemsInvalid', message: 'the map names no items' };
  const vars = await expressionVars(deps, processId, needs);
  let value: unknown;
  try {
    value = evaluateExpression(settings.items, 'mapItems', vars);
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
