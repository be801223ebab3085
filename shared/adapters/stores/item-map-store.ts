import { SWEEP_REASON_ON_ENTRY, TASK_TRANSITIONS, type EffectValues } from '#domain/lifecycle.ts';
import { CHILD_PARTITIONS, CHILDREN_PER_BLOCK, ITEMS_PER_CHUNK, blockOf, chunkOf, childName, type MapCounts } from '#domain/map-children.ts';
import { summariseError, LAST_ERROR_LIMITS } from '#domain/retry-policy.ts';
import type { ChildrenPage, EndTask, MapStore, ScheduleContext, SettleCount, TaskRef } from '#app/ports.ts';
import { TaskItemSchema, type TaskError, type TaskItem } from '#schemas/items.ts';
import { DEFAULT_SWEEP_SHARDS } from '#config/table.ts';
import type { ItemTable } from '../item-table.ts';
import { childKey, keys, MAP_ITEMS_SK_PREFIX, sweepShardOf } from './keys.ts';
import { mapItemsPut, taskUpdate } from './row-writes.ts';
import { poolFreeWrite } from './item-slot-store.ts';
import { childCounterWrite, childScheduleWrite, progressWrite, settleWrite, TASK_ATTRIBUTES } from './task-writes.ts';

/** A chunk's JSON past this is stored item by item (DynamoDB's item limit is 400 KB). */
const CHUNK_SPLIT_BYTES = 350_000;
/** Blocks one `children` call reads at most (a status filter may find few children in each). */
const BLOCKS_PER_PAGE = 10;

/**
 * A map's items on any {@link ItemTable}: its chunks of stored items and its
 * counters (in its children's partitions), its children, and the map task's
 * own writes through its expansion and end. Every write comes from a row of
 * the lifecycle table (`row-writes.ts`).
 */
export class ItemMapStore implements MapStore {
  constructor(
    private readonly table: ItemTable,
    private readonly sweepShards: number = DEFAULT_SWEEP_SHARDS,
  ) {}

  async putItems({ processId, map, run, first, items, expiresAt }: { processId: string; map: string; run: number; first: number; items: readonly unknown[]; expiresAt: number }): Promise<void> {
    const writes: Promise<unknown>[] = [];
    if (first % ITEMS_PER_CHUNK !== 0) throw new Error(`items are stored a whole chunk at a time: ${first} does not start a chunk`);
    for (let i = 0; i < items.length; ) {
      const index = first + i;
      const chunkEnd = (chunkOf(index) + 1) * ITEMS_PER_CHUNK;
      const take = Math.min(items.length - i, chunkEnd - index);
      writes.push(this.putChunk(processId, map, run, index, items.slice(i, i + take), expiresAt));
      i += take;
    }
    await Promise.all(writes);
  }

  private async putChunk(processId: string, map: string, run: number, first: number, items: readonly unknown[], expiresAt: number): Promise<void> {
    const key = keys.mapItems(processId, map, run, first);
    const json = JSON.stringify(items);
    if (json.length <= CHUNK_SPLIT_BYTES) {
      await this.table.write(mapItemsPut('store', key, { itemsJson: json, expiresAt }));
      return;
    }
    // Large items: each in its own item beside the chunk, which then only says so.
    await Promise.all(items.map((item, k) => this.table.write(mapItemsPut('store', { pk: key.pk, sk: `${key.sk}#${k}` }, { itemsJson: JSON.stringify([item]), expiresAt }))));
    await this.table.write(mapItemsPut('store', key, { itemsJson: 'split', expiresAt }));
  }

  async getItem({ processId, map, run, index }: { processId: string; map: string; run: number; index: number }): Promise<unknown> {
    const key = keys.mapItems(processId, map, run, index);
    const chunk = await this.table.get(key);
    if (typeof chunk?.itemsJson !== 'string') return undefined;
    const offset = index % ITEMS_PER_CHUNK;
    if (chunk.itemsJson === 'split') {
      const one = await this.table.get({ pk: key.pk, sk: `${key.sk}#${offset}` });
      return typeof one?.itemsJson === 'string' ? (JSON.parse(one.itemsJson) as unknown[])[0] : undefined;
    }
    return (JSON.parse(chunk.itemsJson) as unknown[])[offset];
  }

  async counts({ processId, map, run, total }: { processId: string; map: string; run: number; total: number }): Promise<MapCounts> {
    const items = await this.table.getMany(Array.from({ length: CHILD_PARTITIONS }, (_, p) => keys.mapCounter(processId, map, run, p)));
    const sum = (a: string) => items.reduce((n, i) => n + (typeof i[a] === 'number' ? i[a] : 0), 0);
    return {
      total,
      scheduled: sum('scheduled'),
      running: sum('running'),
      completed: sum('completed'),
      failed: sum('failed'),
      cancelled: sum('cancelled'),
      outputBytes: sum('outputBytes'),
    };
  }

  async scheduleChild({ schedule }: { schedule: ScheduleContext }): Promise<boolean> {
    const r = await this.table.transact([childScheduleWrite(schedule, this.sweepShards), childCounterWrite(schedule.processId, schedule.task, schedule.run, { scheduled: 1 })]);
    return r.ok;
  }

  async cancelChild(args: TaskRef & { status: 'scheduled' | 'running'; run: number; iso: string; expiresAt: number; pooled?: boolean }): Promise<boolean> {
    const event = args.status === 'scheduled' ? 'cancelScheduledChild' : 'cancelRunningChild';
    const update = taskUpdate(event, keys.task(args), { endedAt: args.iso, expiresAt: args.expiresAt }, { run: args.run });
    const counted = childCounterWrite(args.processId, args.task, args.run, { [args.status]: -1, cancelled: 1 });
    // Under maxParallel a cancelled child gives its lane's slot back with its cancel.
    return (await this.table.transact([update, counted, ...(args.pooled ? [poolFreeWrite(args.processId, args.run)] : [])])).ok;
  }

  async children(args: { processId: string; map: string; from: number; total: number; limit: number; status?: TaskItem['status']; outputs?: boolean }): Promise<ChildrenPage> {
    const items: TaskItem[] = [];
    let from = args.from;
    const attributes = args.outputs ? undefined : TASK_ATTRIBUTES.filter((a) => a !== 'outputJson' && a !== 'attempts');
    for (let blocks = 0; from < args.total && items.length < args.limit && blocks < BLOCKS_PER_PAGE; blocks++) {
      const blockEnd = Math.min(args.total, (blockOf(from) + 1) * CHILDREN_PER_BLOCK);
      const want = Math.min(blockEnd - from, args.limit - items.length);
      const key = childKey(args.processId, args.map, from);
      const prefix = key.sk.slice(0, key.sk.lastIndexOf('#') + 1);
      const r = await this.table.queryPartitionPage({
        pk: key.pk,
        prefix,
        ...(from === 0 ? {} : { afterSk: childKey(args.processId, args.map, from - 1).sk }),
        limit: want,
        ...(args.status === undefined ? {} : { filter: { attribute: 'status', value: args.status } }),
        ...(attributes === undefined ? {} : { attributes }),
      });
      items.push(...r.items.map((i) => TaskItemSchema.parse(i)));
      from += want;
    }
    return { items, ...(from < args.total ? { next: from } : {}) };
  }

  async deferExpansion(args: { processId: string; map: string; resumeFrom: number; sweepAt: number; itemsCursor?: { byte: number; index: number } }): Promise<void> {
    await this.table.write(taskUpdate('deferExpansion', keys.task({ processId: args.processId, task: args.map }), { resumeFrom: args.resumeFrom, sweepAt: args.sweepAt, itemsCursor: args.itemsCursor }));
  }

  async start(args: { processId: string; map: string; run: number; total: number; lanes: number; iso: string; sweepAt: number }): Promise<boolean> {
    const values = { mapTotal: args.total, expected: Math.max(1, args.lanes), settled: 0, resumeFrom: 0, claimedAt: args.iso, sweepAt: args.sweepAt };
    return (await this.table.write(taskUpdate('startMap', keys.task({ processId: args.processId, task: args.map }), values, { run: args.run }))).ok;
  }

  async started({ processId, map }: { processId: string; map: string }): Promise<void> {
    await this.table.write(taskUpdate('mapStarted', keys.task({ processId, task: map }), {}));
  }

  async recordResults(args: { processId: string; map: string; run: number; resultsJson: string; resultsFrom: number }): Promise<boolean> {
    const values = { resultsJson: args.resultsJson, resultsFrom: args.resultsFrom };
    return (await this.table.write(taskUpdate('recordMapResults', keys.task({ processId: args.processId, task: args.map }), values, { run: args.run }))).ok;
  }

  async complete({ end, output, settles, sweepAt }: { end: EndTask; output: unknown; settles: readonly SettleCount[]; sweepAt: number }): Promise<boolean> {
    const key = keys.task(end);
    const values = { ...this.endedValues(end, key, sweepAt, SWEEP_REASON_ON_ENTRY.task.COMPLETED), outputJson: JSON.stringify(output) };
    const update = taskUpdate('completeMap', key, values, { run: end.run });
    return (await this.table.transact([update, progressWrite('completeMap', end), ...settles.map((s) => settleWrite('completeMap', end, s))])).ok;
  }

  async fail({ end, error, settles, sweepAt, teardown }: { end: EndTask; error: TaskError; settles: readonly SettleCount[]; sweepAt: number; teardown: boolean }): Promise<boolean> {
    const key = keys.task(end);
    const reason = teardown ? SWEEP_REASON_ON_ENTRY.map.teardown : SWEEP_REASON_ON_ENTRY.task.FAILED;
    const values = { ...this.endedValues(end, key, sweepAt, reason), errorJson: JSON.stringify(error), lastErrorJson: JSON.stringify(summariseError(error, LAST_ERROR_LIMITS)) };
    const update = taskUpdate('failMap', key, values, { run: end.run });
    return (await this.table.transact([update, progressWrite('failMap', end), ...settles.map((s) => settleWrite('failMap', end, s))])).ok;
  }

  async cancel({ end, sweepAt }: { end: EndTask; sweepAt: number }): Promise<boolean> {
    const key = keys.task(end);
    const update = taskUpdate('cancelMap', key, this.endedValues(end, key, sweepAt, SWEEP_REASON_ON_ENTRY.map.teardown), { run: end.run });
    return (await this.table.transact([update, progressWrite('cancelMap', end)])).ok;
  }

  private endedValues(end: EndTask, key: { pk: string; sk: string }, sweepAt: number, sweepReason: EffectValues<(typeof TASK_TRANSITIONS)['completeMap']['effects']>['sweepReason']) {
    return { endedAt: end.iso, expiresAt: end.expiresAt, sweepShard: sweepShardOf(key, this.sweepShards), sweepAt, sweepReason };
  }
}

/** The sort-key prefix of a map's stored items (for tests and tools). */
export function mapItemsPrefix(map: string): string {
  return `${MAP_ITEMS_SK_PREFIX}${map}#`;
}

export { childName };
