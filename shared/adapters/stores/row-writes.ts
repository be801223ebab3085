import {
  END_COUNTER_WRITES,
  endCounterGuards,
  INPUT_WRITES,
  inputGuards,
  MAP_COUNTER_WRITES,
  mapCounterGuards,
  MAP_ITEMS_WRITES,
  mapItemsGuards,
  PROCESS_TRANSITIONS,
  processGuards,
  PROGRESS_WRITES,
  progressGuards,
  RECORD_WRITES,
  recordGuards,
  resolveEffects,
  TASK_TRANSITIONS,
  taskGuards,
  type Companion,
  type EffectValues,
  type EndCounterEvent,
  type Guard,
  type GuardValues,
  type InputEvent,
  type MapCounterEvent,
  type MapItemsEvent,
  type ProcessEvent,
  type ProgressEvent,
  type RecordEvent,
  type TaskEvent,
  type WriteRow,
} from '#domain/lifecycle.ts';
import { POOL_WRITES, poolGuards, type PoolEvent } from '#domain/pool-writes.ts';
import { SWEEP_CURSOR_WRITES, sweepCursorGuards, type SweepCursorEvent } from '#domain/sweep-cursor-writes.ts';
import { FIRE_TRANSITIONS, fireGuards, SCHEDULE_TRANSITIONS, scheduleGuards, type FireEvent, type ScheduleEvent } from '#domain/schedule-transitions.ts';
import type { ItemPut, ItemUpdate, Key } from '../item-table.ts';

/**
 * Builds every write the stores send from its row of the lifecycle table: the
 * condition from the row's guards, the update from the row's effects (checked
 * against the values the store supplies), and the status from the row's `to`.
 * A store names the event and gives values; it lists no attribute by hand.
 *
 * @example
 * taskUpdate('hold', keys.task(ref), { held: true })
 * // { type: 'update', key, set: { held: true }, guards: [{ kind: 'statusIn', statuses: ACTIVE_TASK_STATUSES, orAbsent: false }] }
 */

type Row = WriteRow & { readonly to?: string };
interface Options {
  /** Answer the item as written. */
  readonly returnNew?: boolean;
}

export function taskUpdate<E extends TaskEvent>(
  event: E,
  key: Key,
  values: EffectValues<(typeof TASK_TRANSITIONS)[E]['effects']>,
  guardValues: GuardValues = {},
  options: Options = {},
): ItemUpdate {
  return updateOf(TASK_TRANSITIONS[event], `task event '${event}'`, key, values, taskGuards(event, guardValues), options);
}

/** The first write of a task's item (a row guarded on `absent`): a put of the whole item. */
export function taskPut<E extends TaskEvent>(event: E, key: Key, values: EffectValues<(typeof TASK_TRANSITIONS)[E]['effects']>): ItemPut {
  return putOf(TASK_TRANSITIONS[event], `task event '${event}'`, key, values, taskGuards(event));
}

export function processUpdate<E extends ProcessEvent>(
  event: E,
  key: Key,
  values: EffectValues<(typeof PROCESS_TRANSITIONS)[E]['effects']>,
  guardValues: GuardValues = {},
  options: Options = {},
): ItemUpdate {
  return updateOf(PROCESS_TRANSITIONS[event], `process event '${event}'`, key, values, processGuards(event, guardValues), options);
}

export function processPut<E extends ProcessEvent>(event: E, key: Key, values: EffectValues<(typeof PROCESS_TRANSITIONS)[E]['effects']>): ItemPut {
  return putOf(PROCESS_TRANSITIONS[event], `process event '${event}'`, key, values, processGuards(event));
}

export function inputWrite<E extends InputEvent>(event: E, key: Key, values: EffectValues<(typeof INPUT_WRITES)[E]['effects']>): ItemPut | ItemUpdate {
  const row: Row = INPUT_WRITES[event];
  const label = `input write '${event}'`;
  return row.guards.includes('absent') ? putOf(row, label, key, values, inputGuards(event)) : updateOf(row, label, key, values, inputGuards(event));
}

export function endCounterUpdate<E extends EndCounterEvent>(
  event: E,
  key: Key,
  values: EffectValues<(typeof END_COUNTER_WRITES)[E]['effects']>,
  guardValues: GuardValues,
): ItemUpdate {
  return updateOf(END_COUNTER_WRITES[event], `end counter write '${event}'`, key, values, endCounterGuards(event, guardValues));
}

/** A write of one shard of a run's progress counters (an ending's count, or a rerun's seed). */
export function progressUpdate<E extends ProgressEvent>(
  event: E,
  key: Key,
  values: EffectValues<(typeof PROGRESS_WRITES)[E]['effects']>,
  guardValues: GuardValues,
): ItemUpdate {
  return updateOf(PROGRESS_WRITES[event], `progress write '${event}'`, key, values, progressGuards(event, guardValues));
}

/** A write of one partition's counters of a map's children (a child's status change). */
export function mapCounterUpdate<E extends MapCounterEvent>(
  event: E,
  key: Key,
  values: EffectValues<(typeof MAP_COUNTER_WRITES)[E]['effects']>,
  guardValues: GuardValues,
): ItemUpdate {
  return updateOf(MAP_COUNTER_WRITES[event], `map counter write '${event}'`, key, values, mapCounterGuards(event, guardValues));
}

/** A chunk of a map's items, written once. */
export function mapItemsPut<E extends MapItemsEvent>(event: E, key: Key, values: EffectValues<(typeof MAP_ITEMS_WRITES)[E]['effects']>): ItemPut {
  return putOf(MAP_ITEMS_WRITES[event], `map items write '${event}'`, key, values, mapItemsGuards(event));
}

export function recordPut<E extends RecordEvent>(event: E, key: Key, values: EffectValues<(typeof RECORD_WRITES)[E]['effects']>): ItemPut {
  return putOf(RECORD_WRITES[event], `record write '${event}'`, key, values, recordGuards(event));
}

/** A write of a schedule item (every one locked on its `ver`, or a first put). */
export function scheduleWrite<E extends ScheduleEvent>(event: E, key: Key, values: EffectValues<(typeof SCHEDULE_TRANSITIONS)[E]['effects']>, guardValues: GuardValues = {}): ItemPut | ItemUpdate {
  const row: Row = SCHEDULE_TRANSITIONS[event];
  const label = `schedule event '${event}'`;
  return row.guards.includes('absent') ? putOf(row, label, key, values, scheduleGuards(event)) : updateOf(row, label, key, values, scheduleGuards(event, guardValues));
}

/** A write of a fire record: its decision (a first put), or the one later change of a buffered or refused start. */
export function fireWrite<E extends FireEvent>(event: E, key: Key, values: EffectValues<(typeof FIRE_TRANSITIONS)[E]['effects']>): ItemPut | ItemUpdate {
  const row: Row = FIRE_TRANSITIONS[event];
  const label = `fire event '${event}'`;
  return row.guards.includes('absent') ? putOf(row, label, key, values, fireGuards(event)) : updateOf(row, label, key, values, fireGuards(event));
}

/** A write of a concurrency pool item (issue 18): a slot taken or freed, or its due entry. */
export function poolUpdate<E extends PoolEvent>(
  event: E,
  key: Key,
  values: EffectValues<(typeof POOL_WRITES)[E]['effects']>,
  guardValues: GuardValues = {},
  options: Options = {},
): ItemUpdate {
  return updateOf(POOL_WRITES[event], `pool write '${event}'`, key, values, poolGuards(event, guardValues), options);
}

/** A write of a sweep shard's cursor: it moves forward past the entries the sweeper settled. */
export function sweepCursorUpdate<E extends SweepCursorEvent>(event: E, key: Key, values: EffectValues<(typeof SWEEP_CURSOR_WRITES)[E]['effects']>, guardValues: GuardValues): ItemUpdate {
  return updateOf(SWEEP_CURSOR_WRITES[event], `sweep cursor write '${event}'`, key, values, sweepCursorGuards(event, guardValues));
}

/** Throws unless the row declares the companion write a store is about to add to its transaction. */
export function companionOf(row: WriteRow, companion: Companion, label: string): void {
  if (!(row.companions ?? []).includes(companion)) throw new Error(`${label} declares no companion write '${companion}'`);
}

function updateOf(row: Row, label: string, key: Key, values: object, guards: Guard[], options: Options = {}): ItemUpdate {
  const e = resolveEffects(row.effects, values as Readonly<Record<string, unknown>>, label);
  const status = row.to === undefined || row.to === 'same' ? {} : { status: row.to };
  const set = { ...e.set, ...status };
  return {
    type: 'update',
    key,
    guards,
    ...(Object.keys(set).length > 0 ? { set } : {}),
    ...(Object.keys(e.setIfMissing).length > 0 ? { setIfMissing: e.setIfMissing } : {}),
    ...(Object.keys(e.setSum).length > 0 ? { setSum: e.setSum } : {}),
    ...(Object.keys(e.add).length > 0 ? { add: e.add } : {}),
    ...(Object.keys(e.append).length > 0 ? { append: e.append } : {}),
    ...(e.remove.length > 0 ? { remove: e.remove } : {}),
    ...(Object.keys(e.removeHead).length > 0 ? { removeHead: e.removeHead } : {}),
    ...(Object.keys(e.addMember).length > 0 ? { addMember: e.addMember } : {}),
    ...(options.returnNew ? { returnNew: true } : {}),
  };
}

/** A put writes the whole item: its row may only set attributes (no sums, counters or removals). */
function putOf(row: Row, label: string, key: Key, values: object, guards: Guard[]): ItemPut {
  if (!row.guards.includes('absent')) throw new Error(`${label} is no first write: it cannot be a put`);
  const e = resolveEffects(row.effects, values as Readonly<Record<string, unknown>>, label);
  const other = Object.keys(e.setIfMissing).length + Object.keys(e.setSum).length + Object.keys(e.add).length + Object.keys(e.append).length + e.remove.length + Object.keys(e.removeHead).length + Object.keys(e.addMember).length;
  if (other > 0) throw new Error(`${label} writes a whole item: its effects may only set attributes`);
  const status = row.to === undefined || row.to === 'same' ? {} : { status: row.to };
  return { type: 'put', key, item: { ...key, ...e.set, ...status }, guards };
}
