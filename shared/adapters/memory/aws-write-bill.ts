import { INDEXES, type IndexSpec } from '#config/table.ts';
import type { Item } from '../item-table.ts';
import { itemBytes } from '../item-size.ts';
import { CANCELLED_SHARE } from '../transaction-units.ts';

/**
 * Write units as AWS bills them, for a write the in-memory table applied or
 * refused, from the item before and after it. The same rules as the capacity
 * meter (`capacity-meter.ts`, `transaction-units.ts`) applies to DynamoDB's
 * reports, computed here exactly because the in-memory table knows both items:
 * - a single write: 1 unit per KB of the larger of the item before and after
 *   (at least 1); a refused condition 1;
 * - an item of a transaction: twice that; a cancelled transaction
 *   {@link CANCELLED_SHARE} of it per item, and no index write;
 * - each index entry put or deleted: 1 unit per KB of the entry (its keys,
 *   the table's keys, its projected attributes and 100 bytes); an entry whose
 *   key moved is a delete and a put; one whose projected attributes changed
 *   in place is a put; an unchanged entry costs nothing.
 *
 * Why: the bench measures on DynamoDB Local, which under-reports
 * transactions; this bill lets the test engine count units per task as AWS
 * would, fast enough for a unit test (the cost model's test) and a breakdown
 * per store call (`bench/write-units.ts`).
 */
export interface WriteBill {
  /** The item's own units (doubled in a transaction). */
  readonly table: number;
  /** The index entries' units, by index name. */
  readonly indexes: ReadonlyMap<string, number>;
  readonly total: number;
}

/** The bill of one applied write (`after` undefined: a delete); `transactional` doubles the item's units. */
export function appliedWriteBill(before: Item | undefined, after: Item | undefined, transactional: boolean, indexes: readonly IndexSpec[] = INDEXES): WriteBill {
  const itemUnits = Math.max(1, Math.ceil(Math.max(before ? itemBytes(before) : 0, after ? itemBytes(after) : 0) / KB));
  const table = transactional ? 2 * itemUnits : itemUnits;
  const byIndex = new Map<string, number>();
  for (const index of indexes) {
    const units = indexEntryChangeUnits(index, before, after);
    if (units > 0) byIndex.set(index.indexName, units);
  }
  return billOf(table, byIndex);
}

/** The bill of a refused single write (1 unit), or of an item of a cancelled transaction. */
export function refusedWriteBill(current: Item | undefined, transactional: boolean): WriteBill {
  if (!transactional) return billOf(1, new Map());
  const units = Math.max(1, Math.ceil((current ? itemBytes(current) : 0) / KB));
  return billOf(2 * units * CANCELLED_SHARE, new Map());
}

function billOf(table: number, indexes: Map<string, number>): WriteBill {
  let total = table;
  for (const u of indexes.values()) total += u;
  return { table, indexes, total };
}

const KB = 1024;
/** AWS sizes an index entry as its attributes plus 100 bytes of overhead. */
const INDEX_ENTRY_OVERHEAD = 100;

function indexEntryChangeUnits(index: IndexSpec, before: Item | undefined, after: Item | undefined): number {
  const a = entryOf(index, before);
  const b = entryOf(index, after);
  if (!a && !b) return 0;
  if (a && !b) return a.units;
  if (!a && b) return b.units;
  if (a!.key !== b!.key) return a!.units + b!.units;
  return a!.projected === b!.projected ? 0 : b!.units;
}

function entryOf(index: IndexSpec, item: Item | undefined): { key: string; projected: string; units: number } | undefined {
  if (item === undefined || item[index.partitionKey] === undefined || item[index.sortKey] === undefined) return undefined;
  const names = ['pk', 'sk', index.partitionKey, index.sortKey, ...index.include];
  const entry: Item = Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]]));
  return {
    key: JSON.stringify([item[index.partitionKey], item[index.sortKey]]),
    projected: JSON.stringify(index.include.map((n) => item[n] ?? null)),
    units: Math.max(1, Math.ceil((itemBytes(entry) + INDEX_ENTRY_OVERHEAD) / KB)),
  };
}
