import type { WriteRow } from './lifecycle-table.ts';
import { rowGuards, type Guard, type GuardValues } from './guards.ts';

/**
 * The slot items of task limits (issue 18): a task's `concurrency` pool and
 * its `rateLimit` ring are `limit` slot items per key, each a lease (a
 * holder's token and an expiry). They have no status: like the other
 * companion writes, each write is a row with its guards and effects, and
 * goes with a task's status change in one transaction (the task rows name
 * them: `slot.take`, `slot.start`, `slot.renew`, `slot.free`).
 *
 * Why leases, not counters: a slot whose holder died comes back by itself
 * once its lease has expired (`leaseSlotFree` is "no holder, or its lease is over"),
 * so no reaper is needed for correctness, and nothing can leak.
 */
export const SLOT_WRITES = {
  take: {
    guards: ['leaseSlotFree'],
    // The slot's lease is the claim's: same token, same expiry, renewed together by each heartbeat.
    effects: { leaseToken: 'set', leaseExpiresAt: 'set', timeoutMs: 'set', processId: 'set', task: 'set', takenAt: 'set', definition: 'set', declared: 'set', key: 'set', limit: 'set' },
    doc: "a claim takes a concurrency slot that is free or whose holder's lease expired (a take-over), in the claim's transaction",
  },
  start: {
    guards: ['leaseSlotFree'],
    effects: { leaseExpiresAt: 'set', startedAt: 'set', definition: 'set', declared: 'set', key: 'set', limit: 'set' },
    doc: "a claim records its start in a rate-limit slot whose last start has left the window (`leaseExpiresAt` = that start + the period), in the claim's transaction: `limit` slots, so at most `limit` starts in any window",
  },
  renew: {
    guards: ['lease', 'leaseLive'],
    // `timeoutMs`: the new lease length, when the heartbeat names one (the task records it too).
    effects: { leaseExpiresAt: 'sum', timeoutMs: 'set?' },
    doc: "a heartbeat renews its slot with its task's lease, in one transaction: the two expiries stay equal",
  },
  free: {
    guards: ['lease'],
    effects: { leaseToken: 'remove', leaseExpiresAt: 'remove', processId: 'remove', task: 'remove', takenAt: 'remove' },
    doc: "complete, fail, retry and release give the slot back in their transaction (only the holder's token frees it)",
  },
} as const satisfies Record<string, WriteRow>;
export type SlotEvent = keyof typeof SLOT_WRITES;

/** The conditions of a write of a slot item. */
export function slotGuards(event: SlotEvent, values: GuardValues = {}): Guard[] {
  return rowGuards(SLOT_WRITES[event], values, `slot write '${event}'`);
}

/**
 * The wait list of a concurrency key (issue 18): a claim refused for want of
 * a free slot leaves an entry, ordered by when its task was scheduled, and
 * the call that frees a slot (complete, fail, retry, release, cancel) takes
 * the first entry off and sends its task's message again at once. So a
 * waiting task does not wait for the refused message's `notBefore` (the
 * first holder's lease expiry) when a holder finishes early. The delayed
 * message stays as the fallback: an entry that is never taken (a crash
 * between the free and the hand-on) costs a wait, never the task.
 */
export const SLOT_WAIT_WRITES = {
  wait: {
    guards: ['absent'],
    effects: { processId: 'set', task: 'set', scheduledAt: 'set', expiresAt: 'set' },
    doc: 'a claim refused for want of a free concurrency slot puts its task on its key\'s wait list, in scheduling order (a repeat writes nothing)',
  },
  leave: {
    guards: ['present'],
    effects: {},
    doc: 'the call that freed a slot takes the first waiter off the list to send its message again: only one caller deletes it',
  },
  clear: {
    guards: [],
    effects: {},
    doc: 'a claim of a task that waited deletes its entry in the claim\'s transaction (gone already: nothing to do)',
  },
} as const satisfies Record<string, WriteRow>;
export type SlotWaitEvent = keyof typeof SLOT_WAIT_WRITES;

/** The conditions of a write of a wait-list entry. */
export function slotWaitGuards(event: SlotWaitEvent): Guard[] {
  return rowGuards(SLOT_WAIT_WRITES[event], {}, `slot wait write '${event}'`);
}
