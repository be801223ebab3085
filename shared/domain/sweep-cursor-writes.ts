import type { WriteRow } from './lifecycle-table.ts';
import { rowGuards, type Guard, type GuardValues } from './guards.ts';

/**
 * The writes of a sweep shard's cursor (`SWEEP#CURSOR` / `S#<n>`): the last
 * entry of the shard's sweep log the sweeper has settled, as its position in
 * the index's order (`cursorAt`, the entry's `sweepAt`, then `cursorPk` and
 * `cursorSk`, its table key). The sweeper reads each shard from just after its
 * cursor, so an entry whose work is done is read once and never again; the
 * item's TTL takes the entry away with it. The cursor has no status and no TTL.
 */
export const SWEEP_CURSOR_WRITES = {
  advance: {
    guards: ['cursorBehind'],
    effects: { cursorAt: 'set', cursorPk: 'set', cursorSk: 'set' },
    doc: "the sweeper settled every entry of the shard up to this one (done, moved later, or cleared): written only when it moved, and only forward",
  },
} as const satisfies Record<string, WriteRow>;
export type SweepCursorEvent = keyof typeof SWEEP_CURSOR_WRITES;

/** The conditions of a cursor write, derived from its row. */
export function sweepCursorGuards(event: SweepCursorEvent, values: GuardValues = {}): Guard[] {
  return rowGuards(SWEEP_CURSOR_WRITES[event], values, `sweep cursor write '${event}'`);
}
