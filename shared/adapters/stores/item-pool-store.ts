import { PROCESS_BY_STATUS_INDEX, SWEEP_INDEX } from '#config/table.ts';
import { PROCESS_TRANSITIONS, processTarget, SWEEP_REASON_ON_ENTRY } from '#domain/lifecycle.ts';
import { PROCESS_STATUS } from '#domain/status-predicates.ts';
import type { PoolItem, PoolStore } from '#app/ports.ts';
import { ProcessItemSchema, type ProcessItem } from '#schemas/items.ts';
import type { ItemTable } from '../item-table.ts';
import { keys, POOL_PK_PREFIX, processIdOf, processIndexKeys, processIndexShards, queuePartitionOf, sweepShardOf } from './keys.ts';
import { queryShards } from './merged-shards.ts';
import { companionOf, poolUpdate, processUpdate } from './row-writes.ts';

/**
 * The concurrency pools (issue 18) on the item table. A pool is one item
 * (`PPOOL#<pool>` / `POOL`) with a counter of the slots held; its queue is the
 * sweep index's partition `Q#<pool>`, where each QUEUED process sits at its
 * ticket. Every write comes from its row (`pool-writes.ts`, `process-transitions.ts`).
 */
export class ItemPoolStore implements PoolStore {
  constructor(
    private readonly table: ItemTable,
    private readonly sweepShards: number,
  ) {}

  async get({ pool }: { pool: string }): Promise<PoolItem | undefined> {
    const item = await this.table.get(keys.pool(pool));
    if (!item) return undefined;
    return {
      pool,
      definition: String(item.definition),
      ...(typeof item.poolKey === 'string' ? { poolKey: item.poolKey } : {}),
      slotsHeld: typeof item.slotsHeld === 'number' ? item.slotsHeld : 0,
      ...(typeof item.sweepAt === 'number' ? { sweepAt: item.sweepAt } : {}),
    };
  }

  async queueHead({ pool, limit }: { pool: string; limit: number }): Promise<string[]> {
    const page = await this.table.queryIndex({ index: SWEEP_INDEX, partition: queuePartitionOf(pool), descending: false, limit });
    return page.items.map((i) => processIdOf(String(i.pk)));
  }

  async queuePosition({ pool, id, maxRead }: { pool: string; id: string; maxRead: number }): Promise<number | undefined> {
    let read = 0;
    for await (const ids of this.queuePages(pool, maxRead, 100)) {
      const at = ids.indexOf(id);
      if (at !== -1) return read + at + 1;
      read += ids.length;
    }
    return undefined;
  }

  async queueLength({ pool, maxRead }: { pool: string; maxRead: number }): Promise<number> {
    let read = 0;
    for await (const ids of this.queuePages(pool, maxRead, 1000)) read += ids.length;
    return Math.min(read, maxRead);
  }

  /** The queue's process ids in order, a page of at most `pageSize` at a time, until `maxRead` are read or the queue ends. */
  private async *queuePages(pool: string, maxRead: number, pageSize: number): AsyncGenerator<string[]> {
    let read = 0;
    let startKey: Record<string, string | number> | undefined;
    while (read < maxRead) {
      const page = await this.table.queryIndex({
        index: SWEEP_INDEX,
        partition: queuePartitionOf(pool),
        descending: false,
        limit: Math.min(pageSize, maxRead - read),
        ...(startKey === undefined ? {} : { startKey }),
      });
      read += page.items.length;
      yield page.items.map((i) => processIdOf(String(i.pk)));
      if (page.lastKey === undefined) return;
      startKey = page.lastKey;
    }
  }

  async dequeue(args: { process: ProcessItem; limit: number; at: { now: number; iso: string }; sweepAt: number; deadlineAt?: number }): Promise<'started' | 'full' | 'gone'> {
    const { process: p, at } = args;
    if (p.pool === undefined) return 'gone';
    const meta = keys.processMeta(p.id);
    companionOf(PROCESS_TRANSITIONS.dequeue, 'pool.take', 'process event dequeue');
    const status = processTarget('dequeue');
    const r = await this.table.transact([
      poolUpdate('take', keys.pool(p.pool), { slotsHeld: 1, definition: p.definition, poolKey: p.concurrencyKey }, { limit: args.limit }),
      processUpdate('dequeue', meta, {
        procStatus: processIndexKeys.status(p.id, status),
        ver: p.ver + 1,
        updatedAt: at.iso,
        // It leaves the queue's partition for a sweep shard: it owes its roots now.
        sweepShard: sweepShardOf(meta, this.sweepShards),
        sweepAt: args.sweepAt,
        // A rerun that waited in the queue owes its rerun's pass; a new process its roots.
        sweepReason: p.run > 1 ? SWEEP_REASON_ON_ENTRY.reopened.process : SWEEP_REASON_ON_ENTRY.process.RUNNING,
        deadlineAt: args.deadlineAt,
        startedAt: at.iso,
      }),
    ]);
    if (r.ok) return 'started';
    const [poolLost, processLost] = r.reasons;
    if (processLost?.code === 'ConditionalCheckFailed') return 'gone';
    if (poolLost?.code === 'ConditionalCheckFailed') return 'full';
    throw new Error(`the dequeue of process '${p.id}' was refused: ${r.reasons.map((x) => x.code).join(', ')}`);
  }

  async mark(args: { pool: string; definition: string; poolKey?: string; sweepAt: number }): Promise<number> {
    const key = keys.pool(args.pool);
    const r = await this.table.write(
      poolUpdate(
        'mark',
        key,
        { tickets: 1, sweepShard: sweepShardOf(key, this.sweepShards), sweepAt: args.sweepAt, sweepReason: SWEEP_REASON_ON_ENTRY.queued, definition: args.definition, poolKey: args.poolKey },
        {},
        { returnNew: true },
      ),
    );
    if (!r.ok || typeof r.item?.tickets !== 'number') throw new Error(`the queue of pool '${args.pool}' gave no ticket`);
    return r.item.tickets;
  }

  async defer(args: { pool: string; sweepAt: number; nextSweepAt: number }): Promise<boolean> {
    return (await this.table.write(poolUpdate('defer', keys.pool(args.pool), { sweepAt: args.nextSweepAt }, { sweepAt: args.sweepAt }))).ok;
  }

  async clear(args: { pool: string; sweepAt: number }): Promise<boolean> {
    return (await this.table.write(poolUpdate('clear', keys.pool(args.pool), {}, { sweepAt: args.sweepAt }))).ok;
  }

  async oldestHolders({ definition, pool, maxRead }: { definition: string; pool: string; maxRead: number }): Promise<ProcessItem[]> {
    const found: ProcessItem[] = [];
    for (const status of [PROCESS_STATUS.running, PROCESS_STATUS.paused]) {
      const filters = processIndexShards(definition);
      const page = await queryShards(this.table, {
        index: PROCESS_BY_STATUS_INDEX,
        shards: processIndexShards(status).map((partition, i) => ({ partition, filter: { attribute: 'procDefinition', value: filters[i] as string } })),
        descending: false,
        limit: maxRead,
        evaluate: maxRead,
      });
      const items = await this.table.getMany(page.items.map((i) => keys.processMeta(processIdOf(String(i.pk)))));
      found.push(...items.map((i) => ProcessItemSchema.parse(i)).filter((p) => p.pool === pool && p.status === status));
    }
    return found.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}

/** The pool id of a pool item's partition key. */
export function poolOfKey(pk: string): string | undefined {
  return pk.startsWith(POOL_PK_PREFIX) ? pk.slice(POOL_PK_PREFIX.length) : undefined;
}


