import { SWEEP_INDEX } from '#config/table.ts';
import type { DueEntry, DueItem, SweepIndex, SweepPosition, SweepWalk } from '#app/ports.ts';
import type { ItemTable } from '../item-table.ts';
import { allSweepShards, processIdOf, TASK_SK_PREFIX, taskNameOfKey } from './keys.ts';
import { queryShards } from './merged-shards.ts';
import { poolOfKey } from './item-pool-store.ts';
import { poolUpdate, processUpdate, sweepCursorUpdate, taskUpdate } from './row-writes.ts';

/** The cursor of one sweep shard: one small item per shard, in a partition of its own (never on the sweep index). */
export const sweepCursorKey = (shard: string) => ({ pk: 'SWEEP#CURSOR', sk: shard });

/**
 * Reads the sparse sweep index, a time-ordered log per shard (`sweepShard`,
 * `sweepAt`). `walk` reads each shard from just after its cursor (the last
 * entry the sweeper settled), merged oldest first across every shard there
 * can be (not only the configured count: entries written before the setting
 * was lowered are found too), so an entry whose work is done is read once.
 * Queries, never a table scan. `due` is the same read without cursors.
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

  async walk({ horizon, maxItems }: { horizon: number; maxItems: number }): Promise<SweepWalk> {
    const shards = allSweepShards();
    // One BatchGetItem for every cursor: an idle tick costs this read and an empty query per shard.
    const read = await this.table.getMany(shards.map(sweepCursorKey));
    const cursors = new Map<string, SweepPosition>();
    for (const c of read) {
      if (typeof c.cursorAt === 'number' && typeof c.cursorPk === 'string' && typeof c.cursorSk === 'string') {
        cursors.set(String(c.sk), { sweepAt: c.cursorAt, pk: c.cursorPk, sk: c.cursorSk });
      }
    }
    // A shard whose cursor is past the horizon (a sweeper whose clock runs ahead moved it) has nothing to read yet.
    const open = shards.filter((s) => (cursors.get(s)?.sweepAt ?? Number.NEGATIVE_INFINITY) <= horizon);
    if (maxItems < 1 || open.length === 0) return { entries: [], cursors };
    const page = await queryShards(this.table, {
      index: SWEEP_INDEX,
      shards: open.map((partition) => {
        const c = cursors.get(partition);
        return { partition, ...(c ? { after: { sort: c.sweepAt, pk: c.pk, sk: c.sk } } : {}) };
      }),
      descending: false,
      sortAtMost: horizon,
      limit: maxItems,
    });
    const entries: DueEntry[] = page.items.map((i) => {
      const position = { sweepAt: Number(i.sweepAt), pk: String(i.pk), sk: String(i.sk) };
      return { item: dueItem(position.pk, position.sk, position.sweepAt), shard: String(i[SWEEP_INDEX.partitionKey]), position };
    });
    return { entries, cursors };
  }

  async advance({ shard, to }: { shard: string; to: SweepPosition }): Promise<void> {
    // Refused when another sweeper moved it further: what it passed, it settled.
    await this.table.write(sweepCursorUpdate('advance', sweepCursorKey(shard), { cursorAt: to.sweepAt, cursorPk: to.pk, cursorSk: to.sk }, { sweepAt: to.sweepAt }));
  }

  async revisit({ entry, at }: { entry: DueEntry; at: number }): Promise<'moved'> {
    const key = { pk: entry.position.pk, sk: entry.position.sk };
    const current = await this.table.get(key);
    // Moved, cleared or gone since it was read: its new place (if any) is ahead of the cursor.
    if (current?.sweepAt !== entry.position.sweepAt) return 'moved';
    const guard = { sweepAt: entry.position.sweepAt };
    const write =
      entry.item.kind === 'task'
        ? taskUpdate('revisit', key, { sweepAt: at }, guard)
        : entry.item.kind === 'process'
          ? processUpdate('revisit', key, { sweepAt: at }, guard)
          : poolUpdate('defer', key, { sweepAt: at }, guard);
    // A lost condition means another writer moved it meanwhile: it is not here either.
    await this.table.write(write);
    return 'moved';
  }
}

function dueItem(pk: string, sk: string, sweepAt: number): DueItem {
  const pool = poolOfKey(pk);
  if (pool !== undefined) return { kind: 'pool', pool, sweepAt };
  const processId = processIdOf(pk);
  return sk.startsWith(TASK_SK_PREFIX) ? { kind: 'task', processId, task: taskNameOfKey(pk, sk), sweepAt } : { kind: 'process', processId, sweepAt };
}
