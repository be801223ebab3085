import { SWEEP_INDEX } from '#config/table.ts';
import type { DueItem, SweepIndex } from '#app/ports.ts';
import type { ItemTable } from '../item-table.ts';
import { allSweepShards, processIdOf, TASK_SK_PREFIX, taskNameOfKey } from './keys.ts';
import { queryShards } from './merged-shards.ts';
import { poolOfKey } from './item-pool-store.ts';

/**
 * Reads the sparse sweep index: items that owe work and whose `sweepAt` has
 * passed, oldest first, merged across every shard there can be (not only
 * the configured count: entries written before the setting was lowered are
 * found too). Queries, never a table scan; a pass reads about twice what it
 * answers plus a few entries per shard.
 */
export class ItemSweepIndex implements SweepIndex {
  constructor(private readonly table: ItemTable) {}

  async due({ now, maxItems }: { now: number; maxItems: number }): Promise<DueItem[]> {
    // A query's Limit must be at least 1: asking for nothing is answered without one.
    if (maxItems < 1) return [];
    const page = await queryShards(this.table, {
      index: SWEEP_INDEX,
      shards: allSweepShards().map((partition) => ({ partition })),
      descending: false,
      sortAtMost: now,
      limit: maxItems,
    });
    return page.items.map((i) => dueItem(String(i.pk), String(i.sk), Number(i.sweepAt)));
  }
}

function dueItem(pk: string, sk: string, sweepAt: number): DueItem {
  const pool = poolOfKey(pk);
  if (pool !== undefined) return { kind: 'pool', pool, sweepAt };
  const processId = processIdOf(pk);
  return sk.startsWith(TASK_SK_PREFIX) ? { kind: 'task', processId, task: taskNameOfKey(pk, sk), sweepAt } : { kind: 'process', processId, sweepAt };
}
