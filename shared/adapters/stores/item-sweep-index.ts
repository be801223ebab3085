import { SWEEP_INDEX } from '#config/table.ts';
import type { DueItem, SweepIndex } from '#app/ports.ts';
import type { ItemTable } from '../item-table.ts';
import { allSweepShards, processIdOf, TASK_SK_PREFIX } from './keys.ts';

/** Largest page of one shard's query. */
const PAGE = 100;

/**
 * Reads the sparse sweep index: items that owe work and whose `sweepAt` has
 * passed. A query per shard, oldest first, never a table scan.
 */
export class ItemSweepIndex implements SweepIndex {
  constructor(private readonly table: ItemTable) {}

  async due({ now, maxItems }: { now: number; maxItems: number }): Promise<DueItem[]> {
    // A query's Limit must be at least 1: asking for nothing is answered without one.
    if (maxItems < 1) return [];
    const perShard = await Promise.all(allSweepShards().map((shard) => this.dueInShard(shard, now, maxItems)));
    return perShard.flat().sort((a, b) => a.sweepAt - b.sweepAt).slice(0, maxItems);
  }

  private async dueInShard(shard: string, now: number, maxItems: number): Promise<DueItem[]> {
    const found: DueItem[] = [];
    let startKey: Record<string, string | number> | undefined;
    do {
      const page = await this.table.queryIndex({
        index: SWEEP_INDEX,
        partition: shard,
        sortAtMost: now,
        descending: false,
        limit: Math.min(PAGE, maxItems - found.length),
        ...(startKey ? { startKey } : {}),
      });
      for (const i of page.items) found.push(dueItem(String(i.pk), String(i.sk), Number(i.sweepAt)));
      startKey = page.lastKey;
    } while (startKey && found.length < maxItems);
    return found;
  }
}

function dueItem(pk: string, sk: string, sweepAt: number): DueItem {
  const processId = processIdOf(pk);
  return sk.startsWith(TASK_SK_PREFIX) ? { kind: 'task', processId, task: sk.slice(TASK_SK_PREFIX.length), sweepAt } : { kind: 'process', processId, sweepAt };
}
