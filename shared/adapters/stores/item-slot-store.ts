import { POOL_WRITES, poolGuards, WAIT_WRITES, waitGuards, WAIT_KINDS, type WaitKind } from '#domain/slot-pool.ts';
import { resolveEffects } from '#domain/lifecycle.ts';
import type { ScheduleContext, SlotStore, Waiter } from '#app/ports.ts';
import { DEFAULT_SWEEP_SHARDS } from '#config/table.ts';
import { z } from 'zod';
import type { ItemDelete, ItemPut, ItemTable, ItemUpdate, ItemWrite, Key } from '../item-table.ts';
import { keys } from './keys.ts';
import { taskPut, taskUpdate } from './row-writes.ts';
import { childCounterWrite, childScheduleWrite, scheduledAttributes } from './task-writes.ts';

/**
 * A process's slot pool for `maxParallel` (`PROC#<id>` / `POOL#<run>`) and its
 * wait list (`WAIT#<run>#<order>`): see `#domain/slot-pool.ts`. Every write is
 * built from its row there (guards and effects), as the other stores build theirs.
 */

const run6 = (run: number) => String(run).padStart(6, '0');
const WAIT_PREFIX = 'WAIT#';
const waitPrefix = (processId: string, run: number) => ({ pk: keys.processMeta(processId).pk, prefix: `${WAIT_PREFIX}${run6(run)}#` });

/** The pool item of a process's run. */
export function poolKey(processId: string, run: number): Key {
  return { pk: keys.processMeta(processId).pk, sk: `POOL#${run6(run)}` };
}

/** A slot given back, in the transaction that ends its holder (the ending's own condition makes it happen once). */
export function poolFreeWrite(processId: string, run: number): ItemUpdate {
  const e = resolveEffects(POOL_WRITES.free.effects, { used: -1 }, "pool write 'free'");
  return { type: 'update', key: poolKey(processId, run), guards: poolGuards('free'), add: e.add };
}

function poolTakeWrite(processId: string, run: number, capacity: number, expiresAt: number): ItemUpdate {
  const e = resolveEffects(POOL_WRITES.take.effects, { used: 1, expiresAt }, "pool write 'take'");
  return { type: 'update', key: poolKey(processId, run), guards: poolGuards('take', capacity), add: e.add, set: e.set };
}

const WaiterItemSchema = z.object({ sk: z.string(), task: z.string(), kind: z.enum(WAIT_KINDS), expected: z.number().int().optional() });

export class ItemSlotStore implements SlotStore {
  constructor(
    private readonly table: ItemTable,
    private readonly sweepShards: number = DEFAULT_SWEEP_SHARDS,
  ) {}

  async scheduleHolding(args: { kind: WaitKind; schedule: ScheduleContext; expected?: number; capacity: number; expiresAt: number }): Promise<'scheduled' | 'refused' | 'full'> {
    const { schedule } = args;
    const writes: ItemWrite[] = [this.scheduleWrite(args.kind, schedule, args.expected)];
    if (args.kind === 'lane') writes.push(childCounterWrite(schedule.processId, schedule.task, schedule.run, { scheduled: 1 }));
    writes.push(poolTakeWrite(schedule.processId, schedule.run, args.capacity, args.expiresAt));
    const r = await this.table.transact(writes);
    if (r.ok) return 'scheduled';
    // The task's own condition first: a task already scheduled (or not ready) is refused whatever the pool says.
    if (r.reasons[0]?.code === 'ConditionalCheckFailed') return 'refused';
    return r.reasons.at(-1)?.code === 'ConditionalCheckFailed' ? 'full' : 'refused';
  }

  async wait(args: { processId: string; run: number; order: string; task: string; kind: WaitKind; expected?: number; expiresAt: number }): Promise<void> {
    const key = { pk: keys.processMeta(args.processId).pk, sk: `${WAIT_PREFIX}${run6(args.run)}#${args.order}` };
    const e = resolveEffects(WAIT_WRITES.wait.effects, { task: args.task, kind: args.kind, expected: args.expected, expiresAt: args.expiresAt }, "wait write 'wait'");
    const put: ItemPut = { type: 'put', key, item: { ...key, ...e.set }, guards: waitGuards('wait') };
    await this.table.write(put);
  }

  async waiters(args: { processId: string; run: number; limit: number }): Promise<Waiter[]> {
    const { pk, prefix } = waitPrefix(args.processId, args.run);
    const page = await this.table.queryPartitionPage({ pk, prefix, limit: args.limit });
    return page.items.map((i) => {
      const w = WaiterItemSchema.parse(i);
      return { order: w.sk.slice(prefix.length), task: w.task, kind: w.kind, ...(w.expected === undefined ? {} : { expected: w.expected }) };
    });
  }

  async leave(args: { processId: string; run: number; order: string }): Promise<void> {
    const key = { pk: keys.processMeta(args.processId).pk, sk: `${WAIT_PREFIX}${run6(args.run)}#${args.order}` };
    const del: ItemDelete = { type: 'delete', key, guards: waitGuards('leave') };
    // Lost only when another dispatcher deleted it first: nothing to do.
    await this.table.write(del);
  }

  async used(args: { processId: string; run: number }): Promise<number> {
    const item = await this.table.get(poolKey(args.processId, args.run));
    return typeof item?.used === 'number' ? item.used : 0;
  }

  /** The task's own scheduling write, by the row it is ready for (the same the task and map stores send alone). */
  private scheduleWrite(kind: WaitKind, schedule: ScheduleContext, expected: number | undefined): ItemWrite {
    const key = keys.task(schedule);
    const values = scheduledAttributes(schedule, this.sweepShards);
    switch (kind) {
      case 'new':
        return taskPut('schedule', key, values);
      case 'join':
        if (expected === undefined) throw new Error(`a join's schedule ('${schedule.task}') needs its expected count`);
        return taskUpdate('scheduleJoin', key, values, { expected, run: schedule.run });
      case 'anyJoin':
        return taskUpdate('scheduleAnyJoin', key, values, { run: schedule.run });
      case 'rerun':
        return taskUpdate('scheduleRerun', key, values, { run: schedule.run });
      case 'lane':
        return childScheduleWrite(schedule, this.sweepShards);
    }
  }
}
