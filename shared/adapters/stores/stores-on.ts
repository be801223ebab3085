import type { DefinitionStore, MapStore, PoolStore, ProcessStore, ScheduleStore, SlotStore, SubProcessStore, TaskLimitStore, SweepIndex, TaskStore } from '#app/ports.ts';
import { DEFAULT_SWEEP_SHARDS } from '#config/table.ts';
import type { ItemTable } from '../item-table.ts';
import { ItemDefinitionStore } from './item-definition-store.ts';
import { ItemMapStore } from './item-map-store.ts';
import { ItemPoolStore } from './item-pool-store.ts';
import { ItemProcessStore } from './item-process-store.ts';
import { ItemScheduleStore } from './item-schedule-store.ts';
import { ItemSlotStore } from './item-slot-store.ts';
import { ItemTaskLimitStore } from './item-task-limit-store.ts';
import { ItemSweepIndex } from './item-sweep-index.ts';
import { ItemSubProcessStore } from './item-sub-process-store.ts';
import { ItemTaskStore } from './item-task-store.ts';
import { checkSweepShards } from './keys.ts';

/** How the stores lay out their index keys. */
export interface StoreLayout {
  /** How many sweep shards new entries spread over (1 to `MAX_SWEEP_SHARDS`). @default DEFAULT_SWEEP_SHARDS */
  readonly sweepShards?: number;
}

/** Every store port on one table: DynamoDB's, or the in-memory one. */
export function storesOn(table: ItemTable, layout: StoreLayout = {}): { definitions: DefinitionStore; processes: ProcessStore; tasks: TaskStore; maps: MapStore; slots: SlotStore; subProcesses: SubProcessStore; sweepIndex: SweepIndex; schedules: ScheduleStore; taskLimits: TaskLimitStore; pools: PoolStore } {
  const sweepShards = checkSweepShards(layout.sweepShards ?? DEFAULT_SWEEP_SHARDS);
  return {
    definitions: new ItemDefinitionStore(table),
    processes: new ItemProcessStore(table, sweepShards),
    tasks: new ItemTaskStore(table, sweepShards),
    maps: new ItemMapStore(table, sweepShards),
    slots: new ItemSlotStore(table, sweepShards),
    subProcesses: new ItemSubProcessStore(table, sweepShards),
    sweepIndex: new ItemSweepIndex(table),
    schedules: new ItemScheduleStore(table),
    taskLimits: new ItemTaskLimitStore(table),
    pools: new ItemPoolStore(table, sweepShards),
  };
}
