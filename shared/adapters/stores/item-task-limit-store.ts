import { SWEEP_REASON_ON_ENTRY, SLOT_WAIT_WRITES, slotWaitGuards } from '#domain/lifecycle.ts';
import { resolveEffects } from '#domain/effects.ts';
import type { SlotClaim, SlotClaimOutcome, SlotWaiter, TaskLimitStore, TaskRef } from '#app/ports.ts';
import { TaskItemSchema } from '#schemas/items.ts';
import { SlotItemSchema, SlotWaiterItemSchema, type SlotItem } from '#schemas/slot-items.ts';
import type { ItemDelete, ItemTable, ItemWrite } from '../item-table.ts';
import { keys } from './keys.ts';
import { taskUpdate } from './row-writes.ts';
import { claimedLease } from './lease-values.ts';
import { CONCURRENCY_SLOT_PREFIX, poolPk, slotKey, slotPrefix, slottedToken, slotUpdate, waitKey, waitListOfToken } from './slot-keys.ts';

/** The attempt deadline of a claim without `attemptTimeoutSeconds` (as the plain claim's: none, in effect). */
const NO_ATTEMPT_LIMIT_MS = 1_000_000_000_000;

/**
 * The slots of task limits (issue 18) on any {@link ItemTable}. A limited
 * claim is one transaction: the task's `claimLimited` row, its concurrency
 * slot's `take` and its rate slot's `start`, each guarded by its row; a lost
 * race on a slot cancels the whole claim and says which write lost.
 */
export class ItemTaskLimitStore implements TaskLimitStore {
  constructor(private readonly table: ItemTable) {}

  async slotsOf({ definition, task, kind, key }: { definition: string; task: string; kind: 'concurrency' | 'rate'; key: string }): Promise<SlotItem[]> {
    const items = await this.table.queryPartition(poolPk(definition, task), slotPrefix(kind, key));
    return items.map((i) => SlotItemSchema.parse(i));
  }

  async claimWithSlots(args: SlotClaim): Promise<SlotClaimOutcome> {
    const pool = poolPk(args.definition, args.task);
    const concurrencySlot = args.concurrency && slotKey(pool, 'concurrency', args.concurrency.key, args.concurrency.n);
    const leaseToken = concurrencySlot ? slottedToken(args.leaseToken, concurrencySlot) : args.leaseToken;
    const values = {
      leaseToken,
      workerId: args.workerId,
      claimedAt: args.iso,
      sweepReason: SWEEP_REASON_ON_ENTRY.task.RUNNING,
      ...claimedLease(args.now, args.leaseMs),
      attemptDeadline: { source: 'attemptTimeoutMs', plus: args.now, orElse: NO_ATTEMPT_LIMIT_MS },
      concurrencyKey: args.concurrency?.key,
      rateKey: args.rate?.key,
    };
    const writes: ItemWrite[] = [taskUpdate('claimLimited', keys.task(args), values, { now: args.now })];
    const parts: ('task' | 'concurrency' | 'rate')[] = ['task'];
    if (args.concurrency && concurrencySlot) {
      const c = args.concurrency;
      // The slot's lease is the task's: the same token and expiry (the task's lease is now + the leaseMs asked for, or else
      // + its stored timeoutMs; c.timeoutMs is that same length).
      const length = args.leaseMs ?? c.timeoutMs;
      const take = { leaseToken, leaseExpiresAt: args.now + length, timeoutMs: length, processId: args.processId, task: args.task, takenAt: args.iso, definition: args.definition, declared: args.task, key: c.key, limit: c.limit };
      writes.push(slotUpdate('take', concurrencySlot, take, { now: args.now }));
      parts.push('concurrency');
    }
    if (args.rate) {
      const r = args.rate;
      const start = { leaseExpiresAt: args.now + r.periodMs, startedAt: args.iso, definition: args.definition, declared: args.task, key: r.key, limit: r.limit };
      writes.push(slotUpdate('start', slotKey(pool, 'rate', r.key, r.n), start, { now: args.now }));
      parts.push('rate');
    }
    // A task that waited leaves its key's wait list with its claim (no guard: a hand-on may have taken it off already).
    if (args.waited !== undefined && args.concurrency) writes.push(waitDelete('clear', waitKey(pool, args.concurrency.key, args.waited, args)));
    const outcome = await this.table.transact(writes);
    if (!outcome.ok) {
      const at = outcome.reasons.findIndex((x) => x.code === 'ConditionalCheckFailed');
      const lost = parts[Math.max(0, at)] ?? 'task';
      const current = lost === 'task' ? outcome.reasons[0]?.current : undefined;
      return { ok: false, lost, ...(current ? { current: TaskItemSchema.parse(current) } : {}) };
    }
    const item = await this.table.get(keys.task(args));
    if (!item) return { ok: false, lost: 'task' };
    return { ok: true, item: TaskItemSchema.parse(item) };
  }

  async refuse(args: TaskRef & { iso: string; concurrencyKey?: string; rateKey?: string }): Promise<void> {
    await this.table.write(taskUpdate('refuseForLimit', keys.task(args), { limitRefusals: 1, lastRefusedAt: args.iso, concurrencyKey: args.concurrencyKey, rateKey: args.rateKey }));
  }

  async wait(args: TaskRef & { definition: string; key: string; scheduledAt: string; expiresAt: number }): Promise<void> {
    const key = waitKey(poolPk(args.definition, args.task), args.key, args.scheduledAt, args);
    const e = resolveEffects(SLOT_WAIT_WRITES.wait.effects, { processId: args.processId, task: args.task, scheduledAt: args.scheduledAt, expiresAt: args.expiresAt }, "slot wait write 'wait'");
    // Refused when the task already waits there: it keeps its place.
    await this.table.write({ type: 'put', key, item: { ...key, ...e.set }, guards: slotWaitGuards('wait') });
  }

  async waitersOf({ leaseToken, limit }: { leaseToken: string; limit: number }): Promise<SlotWaiter[]> {
    const list = waitListOfToken(leaseToken);
    if (!list) return [];
    const page = await this.table.queryPartitionPage({ pk: list.pk, prefix: list.prefix, limit });
    return page.items.map((i) => {
      const w = SlotWaiterItemSchema.parse(i);
      return { processId: w.processId, task: w.task, scheduledAt: w.scheduledAt, entry: { pk: w.pk, sk: w.sk } };
    });
  }

  async leave({ waiter }: { waiter: SlotWaiter }): Promise<boolean> {
    return (await this.table.write(waitDelete('leave', waiter.entry))).ok;
  }

  async poolPage({ definition, task, limit, cursor }: { definition: string; task: string; limit: number; cursor?: string }): Promise<{ items: SlotItem[]; cursor?: string }> {
    const r = await this.table.queryPartitionPage({
      pk: poolPk(definition, task),
      prefix: CONCURRENCY_SLOT_PREFIX,
      limit,
      ...(cursor === undefined ? {} : { afterSk: `${CONCURRENCY_SLOT_PREFIX}${cursor}` }),
    });
    return { items: r.items.map((i) => SlotItemSchema.parse(i)), ...(r.lastSk === undefined ? {} : { cursor: r.lastSk.slice(CONCURRENCY_SLOT_PREFIX.length) }) };
  }
}

function waitDelete(event: 'leave' | 'clear', key: { pk: string; sk: string }): ItemDelete {
  return { type: 'delete', key, guards: slotWaitGuards(event) };
}
