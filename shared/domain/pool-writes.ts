import type { WriteRow } from './lifecycle-table.ts';
import { rowGuards, type GuardValues, type Guard } from './guards.ts';

/**
 * The writes of a concurrency pool item (issue 18): one item per definition and
 * key value (`PPOOL#<definition>#<key hash>` / `POOL`), holding how many of its
 * processes hold a slot (`slotsHeld`). Slots are counted, not listed, so a start
 * reads no holder; the count cannot leak, because every change of it is a
 * companion of the process's own status change in one transaction (the status
 * change's condition makes it happen once). `mark`, `defer` and `clear` keep the
 * pool on the sweep index while it may owe a dequeue (reason `dequeue`).
 */
export const POOL_WRITES = {
  take: {
    guards: ['processSlotFree'],
    effects: { slotsHeld: 'add', definition: 'set', poolKey: 'set?' },
    doc: 'with a start or a dequeue (`pool.take`): one slot more, never past the limit',
  },
  free: {
    guards: ['present'],
    effects: { slotsHeld: 'add' },
    doc: 'with the end of a process that held a slot (`pool.free`): complete, fail, cancel, timeout',
  },
  freeBelow: {
    guards: ['present', 'processSlotFree'],
    effects: { slotsHeld: 'add' },
    doc: 'an ending with nobody queued gives its slot back, when the pool is not full: no start was refused since the last `freeMark`',
  },
  freeMark: {
    guards: ['present'],
    effects: { slotsHeld: 'add', sweepShard: 'set', sweepAt: 'set', sweepReason: 'set' },
    doc: 'an ending with nobody queued gives its slot back to a full pool: a start refused meanwhile may be queuing, so the pool owes a dequeue, due after a grace (`dequeue`)',
  },
  mark: {
    guards: [],
    effects: { tickets: 'add', sweepShard: 'set', sweepAt: 'set', sweepReason: 'set', definition: 'set', poolKey: 'set?' },
    doc: 'before a start is queued: its ticket (its place in the queue), and the pool owes a dequeue, due after a grace, in case no end follows (a crash)',
  },
  defer: { guards: ['sweepAt'], effects: { sweepAt: 'set' }, doc: 'the queue waits for a slot: look again later' },
  clear: {
    guards: ['sweepAt'],
    effects: { sweepShard: 'remove', sweepAt: 'remove', sweepReason: 'remove' },
    doc: 'the queue is empty: the pool owes nothing (a later `mark` moves `sweepAt`, so this loses to it)',
  },
} as const satisfies Record<string, WriteRow>;
export type PoolEvent = keyof typeof POOL_WRITES;

/** The conditions of a pool write, derived from its row. */
export function poolGuards(event: PoolEvent, values: GuardValues = {}): Guard[] {
  return rowGuards(POOL_WRITES[event], values, `pool write '${event}'`);
}
