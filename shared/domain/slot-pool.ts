import type { WriteRow } from './lifecycle-table.ts';
import { rowGuards, type Guard } from './guards.ts';

/**
 * A slot pool: a capacity and a wait order. A process with `maxParallel: N`
 * has one per run (`POOL#<run>`): a task takes a slot in the transaction that
 * schedules it and gives it back in the transaction that ends it, so the
 * count moves exactly once each way (the task's own status change is the
 * guard, as for a join's counter). A task that finds no slot free waits in
 * the pool's wait list (`WAIT#<run>#<order>`), ordered by definition order;
 * the ending that frees a slot hands it to the first waiter in its follow-up.
 *
 * A map's lanes are the same abstraction inside the map: a pool of
 * `maxConcurrency` slots whose hand-over is the lane step (child i's ending
 * schedules child i + C in its own transaction). Under `maxParallel`, the
 * lane step also hands over the process slot: the successor inherits it, so
 * a step writes nothing to the process pool; a lane's first child takes one
 * (or waits, as any task), and a child ending with no successor (the last of
 * its lane, or a map that stopped) gives it back.
 */

/** The writes of a pool item (`used`, the slots taken). It has no status: only its guards apply. */
export const POOL_WRITES = {
  take: {
    guards: ['slotFree'],
    effects: { used: 'add', expiresAt: 'set' },
    doc: 'a task takes a slot, in the transaction that schedules it: never past the capacity (the pool is created by the first take)',
  },
  free: {
    guards: ['present'],
    effects: { used: 'add' },
    doc: 'a task gives its slot back, in the transaction that ends it (a child: unless it hands the slot to its lane successor)',
  },
} as const satisfies Record<string, WriteRow>;
export type PoolEvent = keyof typeof POOL_WRITES;

/** The writes of a wait-list entry: written once when a ready task finds no slot, deleted once it is scheduled. */
export const WAIT_WRITES = {
  wait: {
    guards: ['absent'],
    effects: { task: 'set', kind: 'set', expected: 'set?', expiresAt: 'set' },
    doc: 'a ready task found the pool full: it waits, in definition order (a repeat writes nothing)',
  },
  leave: {
    guards: ['present'],
    effects: {},
    doc: 'the waiter was scheduled (or can no longer be): its entry is deleted',
  },
} as const satisfies Record<string, WriteRow>;
export type WaitEvent = keyof typeof WAIT_WRITES;

/** How a waiter is scheduled once it gets a slot: the scheduling row it was ready for. */
export const WAIT_KINDS = ['new', 'join', 'anyJoin', 'rerun', 'lane'] as const;
export type WaitKind = (typeof WAIT_KINDS)[number];

export function poolGuards(event: PoolEvent, capacity?: number): Guard[] {
  return rowGuards(POOL_WRITES[event], capacity === undefined ? {} : { capacity }, `pool write '${event}'`);
}

export function waitGuards(event: WaitEvent): Guard[] {
  return rowGuards(WAIT_WRITES[event], {}, `wait write '${event}'`);
}

/** Digits of a position in the wait order: definitions hold far fewer tasks, maps far fewer lanes. */
const ORDER_DIGITS = 6;

/**
 * Where a waiter stands in its pool's wait order: the task's position in the
 * definition, then (for a lane of a map) the lane. Sorting the keys as text
 * sorts the waiters.
 *
 * @example
 * waitOrderKey(3) // '000003'
 * waitOrderKey(3, 12) // '000003#000012'
 */
export function waitOrderKey(position: number, lane?: number): string {
  const pad = (n: number) => String(n).padStart(ORDER_DIGITS, '0');
  return lane === undefined ? pad(position) : `${pad(position)}#${pad(lane)}`;
}
