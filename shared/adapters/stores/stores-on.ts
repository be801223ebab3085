import type { DefinitionStore, ProcessStore, SweepIndex, TaskStore } from '#app/ports.ts';
import type { ItemTable } from '../item-table.ts';
import { ItemDefinitionStore } from './item-definition-store.ts';
import { ItemProcessStore } from './item-process-store.ts';
import { ItemSweepIndex } from './item-sweep-index.ts';
import { ItemTaskStore } from './item-task-store.ts';

/** Every store port on one table: DynamoDB's, or the in-memory one. */
export function storesOn(table: ItemTable): { definitions: DefinitionStore; processes: ProcessStore; tasks: TaskStore; sweepIndex: SweepIndex } {
  return {
    definitions: new ItemDefinitionStore(table),
    processes: new ItemProcessStore(table),
    tasks: new ItemTaskStore(table),
    sweepIndex: new ItemSweepIndex(table),
  };
}
