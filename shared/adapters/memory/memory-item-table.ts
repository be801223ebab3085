import { INDEXES, type IndexSpec } from '#config/table.ts';
import { guardsHold } from '#domain/lifecycle.ts';
import {
  ItemTooLargeError,
  MAX_ITEM_BYTES,
  type IndexQuery,
  type Item,
  type ItemTable,
  type ItemWrite,
  type Key,
  type PartitionPageQuery,
  type TransactOutcome,
  type WriteOutcome,
} from '../item-table.ts';
import { itemBytes } from '../item-size.ts';
import { appliedWriteBill, refusedWriteBill, type WriteBill } from './aws-write-bill.ts';
import { copyItem } from './copy-item.ts';

/** Observes every call; throwing aborts it (before) or loses its answer after it took effect (after). Fault injection. */
export interface CallHooks {
  before?(operation: string): void;
  after?(operation: string): void;
  /** Each item write's units as AWS bills them ({@link WriteBill}), for the benchmarks' breakdowns. */
  billed?(operation: string, key: Key, bill: WriteBill): void;
}

/** DynamoDB's limits on one BatchGetItem call (as the DynamoDB adapter makes them) and one transaction. */
const BATCH_GET_KEYS = 100;
const MAX_TRANSACT_WRITES = 100;

/**
 * {@link ItemTable} in memory, with DynamoDB's semantics where the stores rely
 * on them: conditional writes that answer the current item, all-or-nothing
 * transactions with per-write cancellation reasons, the 400 KB item size
 * limit, sparse indexes, sort order, `Limit`/`LastEvaluatedKey` paging (a
 * page resumes at the start key's position), and the requests DynamoDB
 * refuses (named `ValidationException`, or a transaction cancelled with the
 * reason `ValidationError`). `tests/contract` holds it to DynamoDB Local.
 * Items are copied in and out, so no caller shares state with the table.
 */
export class MemoryItemTable implements ItemTable {
  private readonly items = new Map<string, Item>();
  /** The ids of the items in each index partition (`<index>\0<partition>`), so a query reads its partition only. */
  private readonly partitions = new Map<string, Set<string>>();
  /** The ids of each table partition's items: a query reads its partition, not the table. */
  private readonly tablePartitions = new Map<string, Set<string>>();
  private readonly writes = new Map<string, Map<string, number>>();
  private billedUnits = 0;

  constructor(private readonly hooks: CallHooks = {}) {}

  /** Every item, for tests that look underneath the stores. */
  snapshot(): Item[] {
    return [...this.items.values()].map((i) => copyItem(i));
  }

  /**
   * Writes per partition key, as DynamoDB would meter them: under `table`,
   * each write request by its `pk` (applied or refused: a refused condition
   * is billed too); under each index's name, each index entry an applied
   * write puts, changes or deletes, by that index's partition key (moving an
   * entry to another partition writes both). A write that leaves an index's
   * keys and projected attributes as they were writes nothing there.
   */
  writeCounts(): Map<string, Map<string, number>> {
    return new Map([...this.writes].map(([k, v]) => [k, new Map(v)]));
  }

  /** Write units so far, as AWS bills them (transactions doubled, index entries by size): see {@link WriteBill}. */
  billedWriteUnits(): number {
    return this.billedUnits;
  }

  async get(key: Key): Promise<Item | undefined> {
    return this.call('GetItem', () => this.read(checkKey(key)));
  }

  async getMany(keys: readonly Key[]): Promise<Item[]> {
    return this.call('BatchGetItem', () => {
      // DynamoDB's adapter asks for 100 keys a call, and DynamoDB refuses a call that names one twice.
      for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
        const batch = keys.slice(i, i + BATCH_GET_KEYS);
        if (new Set(batch.map((k) => id(checkKey(k)))).size < batch.length) throw validationException('Provided list of item keys contains duplicates');
      }
      return keys.map((k) => this.read(k)).filter((i): i is Item => i !== undefined);
    });
  }

  async queryPartition(pk: string, prefix: string): Promise<Item[]> {
    return this.call('Query', () =>
      this.partitionItems(pk)
        .filter((i) => i.pk === pk && String(i.sk).startsWith(prefix))
        .sort((a, b) => compareKeys(a.sk, b.sk))
        .map((i) => copyItem(i)),
    );
  }

  async queryPartitionPage(q: PartitionPageQuery): Promise<{ items: Item[]; lastSk?: string }> {
    return this.call('Query', () => {
      if (!(q.limit >= 1)) throw validationException('Limit must be greater than or equal to 1');
      const after = q.afterSk;
      const evaluated = this.partitionItems(q.pk)
        .filter((i) => i.pk === q.pk && String(i.sk).startsWith(q.prefix) && (after === undefined || compareKeys(i.sk, after) > 0))
        .sort((a, b) => compareKeys(a.sk, b.sk))
        .slice(0, q.limit);
      // As DynamoDB: a page that reached its limit names its last key, even when nothing follows.
      const last = evaluated.length === q.limit ? evaluated.at(-1) : undefined;
      const keep = q.attributes ? new Set(['pk', 'sk', ...q.attributes]) : undefined;
      const items = evaluated
        .filter((i) => !q.filter || i[q.filter.attribute] === q.filter.value)
        .map((i) => copyItem(keep ? Object.fromEntries(Object.entries(i).filter(([k]) => keep.has(k))) : i));
      return { items, ...(last ? { lastSk: String(last.sk) } : {}) };
    });
  }

  async queryIndex(q: IndexQuery): Promise<{ items: Item[]; lastKey?: Record<string, string | number> }> {
    return this.call('Query', () => {
      const { partitionKey, sortKey } = q.index;
      if (!(q.limit >= 1)) throw validationException('Limit must be greater than or equal to 1');
      if (q.filter && [partitionKey, sortKey, 'pk', 'sk'].includes(q.filter.attribute)) {
        throw validationException(`Filter Expression can only contain non-primary key attributes: Primary key attribute: ${q.filter.attribute}`);
      }
      if (q.startKey) checkStartKey(q, q.startKey);
      const order = (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): number =>
        compareKeys(a[sortKey], b[sortKey]) || compareKeys(a.pk, b.pk) || compareKeys(a.sk, b.sk);
      const inPartition = [...(this.partitions.get(`${q.index.indexName}\u0000${q.partition}`) ?? [])].map((k) => this.items.get(k) as Item);
      const sorted = inPartition
        .filter((i) => i[partitionKey] === q.partition && i[sortKey] !== undefined)
        .filter((i) => q.sortAtMost === undefined || (i[sortKey] as number) <= q.sortAtMost)
        .filter((i) => inRange(i[sortKey], q.sortBetween))
        .sort(order);
      if (q.descending) sorted.reverse();
      // As DynamoDB: the page goes on from the key's position, even if its item has left the index since.
      const startKey = q.startKey;
      const after = startKey ? sorted.findIndex((i) => (q.descending ? order(i, startKey) < 0 : order(i, startKey) > 0)) : 0;
      const startAt = after < 0 ? sorted.length : after;
      const evaluated = sorted.slice(startAt, startAt + q.limit);
      const last = evaluated.length === q.limit ? evaluated.at(-1) : undefined;
      const items = evaluated.filter((i) => !q.filter || i[q.filter.attribute] === q.filter.value).map((i) => copyItem(i));
      const lastKey = last && { pk: String(last.pk), sk: String(last.sk), [partitionKey]: last[partitionKey] as string, [sortKey]: last[sortKey] as string | number };
      return { items, ...(lastKey ? { lastKey } : {}) };
    });
  }

  async write(write: ItemWrite): Promise<WriteOutcome> {
    return this.call(write.type === 'put' ? 'PutItem' : write.type === 'delete' ? 'DeleteItem' : 'UpdateItem', () => {
      const current = this.stored(checkKey(write.key));
      if (write.type === 'put') checkIndexKeys({ ...write.item, ...write.key });
      this.count(TABLE_WRITES, write.key.pk);
      const operation = write.type === 'put' ? 'PutItem' : 'UpdateItem';
      if (!guardsHold(write.guards, current)) {
        this.bill(operation, write.key, refusedWriteBill(current, false));
        return { ok: false, ...(current ? { current: copyItem(current) } : {}) };
      }
      const next = applyWrite(write, current);
      this.bill(operation, write.key, appliedWriteBill(current, next, false));
      if (next === undefined) this.unstore(write.key, current);
      else this.store(next, current);
      return { ok: true, ...(write.type === 'update' && write.returnNew ? { item: copyItem(next) } : {}) };
    });
  }

  async transact(writes: readonly ItemWrite[]): Promise<TransactOutcome> {
    return this.call('TransactWriteItems', () => {
      if (writes.length < 1 || writes.length > MAX_TRANSACT_WRITES) throw validationException(`A transaction takes 1 to ${MAX_TRANSACT_WRITES} writes, not ${writes.length}`);
      const ids = new Set(writes.map((w) => id(checkKey(w.key))));
      if (ids.size < writes.length) throw validationException('Transaction request cannot include multiple operations on one item');
      const currents = writes.map((w) => this.stored(w.key));
      for (const w of writes) this.count(TABLE_WRITES, w.key.pk);
      const holds = writes.map((w, i) => guardsHold(w.guards, currents[i]));
      if (holds.some((h) => !h)) {
        for (const [i, w] of writes.entries()) this.bill('TransactWriteItems', w.key, refusedWriteBill(currents[i], true));
        return {
          ok: false,
          reasons: writes.map((_, i) => (holds[i] ? { code: 'None' } : { code: 'ConditionalCheckFailed', ...(currents[i] ? { current: copyItem(currents[i]) } : {}) })),
        };
      }
      // Every write is computed (and checked) before any is stored: all or nothing. An invalid item
      // cancels the transaction with the reason ValidationError, as DynamoDB does.
      const next = writes.map((w, i) => {
        try {
          return applyWrite(w, currents[i]);
        } catch (error) {
          if ((error as Error).name !== 'ValidationException') throw error;
          throw transactionCanceled(writes.map((_, j) => (j === i ? { Code: 'ValidationError', Message: (error as Error).message } : { Code: 'None' })));
        }
      });
      for (const [i, item] of next.entries()) this.bill('TransactWriteItems', writes[i]!.key, appliedWriteBill(currents[i], item, true));
      for (const [i, item] of next.entries()) {
        const w = writes[i];
        if (item === undefined) {
          if (w) this.unstore(w.key, currents[i]);
        } else this.store(item, currents[i]);
      }
      return { ok: true };
    });
  }

  private read(key: Key): Item | undefined {
    const item = this.stored(key);
    return item && copyItem(item);
  }

  /**
   * The table's own item, not a copy: for a write, which reads it, builds the next item from it and replaces it.
   * Stored items are never changed in place (a write stores a new one), so the next may share values with it.
   */
  private stored(key: Key): Item | undefined {
    return this.items.get(id(key));
  }

  /** Keeps `item`, which must be the table's own: {@link applyWrite} builds every stored item from copies. */
  private store(item: Item, previous: Item | undefined): void {
    const key = id(item as Key);
    this.items.set(key, item);
    if (!previous) {
      const pk = String(item.pk);
      let ids = this.tablePartitions.get(pk);
      if (!ids) this.tablePartitions.set(pk, (ids = new Set()));
      ids.add(key);
    }
    for (const index of INDEXES) {
      const before = indexEntry(index, previous);
      const after = indexEntry(index, item);
      if (before?.partition !== after?.partition) {
        if (before) this.partitions.get(`${index.indexName}\u0000${before.partition}`)?.delete(key);
        if (after) this.partitionIds(index, after.partition).add(key);
      }
      if (before && after && before.partition === after.partition) {
        if (before.projected !== after.projected) this.count(index.indexName, after.partition);
        continue;
      }
      if (before) this.count(index.indexName, before.partition);
      if (after) this.count(index.indexName, after.partition);
    }
  }

  /** Deletes an item: from the table, its partition and every index entry it had. */
  private unstore(key: Key, previous: Item | undefined): void {
    if (!previous) return;
    const k = id(key);
    this.items.delete(k);
    this.tablePartitions.get(key.pk)?.delete(k);
    for (const index of INDEXES) {
      const before = indexEntry(index, previous);
      if (!before) continue;
      this.partitions.get(`${index.indexName}\u0000${before.partition}`)?.delete(k);
      this.count(index.indexName, before.partition);
    }
  }

  private partitionItems(pk: string): Item[] {
    return [...(this.tablePartitions.get(pk) ?? [])].map((k) => this.items.get(k) as Item);
  }

  private partitionIds(index: IndexSpec, partition: string): Set<string> {
    const name = `${index.indexName}\u0000${partition}`;
    let ids = this.partitions.get(name);
    if (!ids) this.partitions.set(name, (ids = new Set()));
    return ids;
  }

  private bill(operation: string, key: Key, bill: WriteBill): void {
    this.billedUnits += bill.total;
    this.hooks.billed?.(operation, key, bill);
  }

  private count(where: string, partition: string): void {
    let counts = this.writes.get(where);
    if (!counts) this.writes.set(where, (counts = new Map()));
    counts.set(partition, (counts.get(partition) ?? 0) + 1);
  }

  private call<T>(operation: string, body: () => T): Promise<T> {
    this.hooks.before?.(operation);
    const result = body();
    this.hooks.after?.(operation);
    return Promise.resolve(result);
  }
}

/** Where {@link MemoryItemTable.writeCounts} counts the table's own keys. */
export const TABLE_WRITES = 'table';

/**
 * An item's entry in an index: its partition, and what the index holds of it
 * (keys and projected attributes, as text), or nothing when the item lacks a key (sparse).
 */
function indexEntry(index: IndexSpec, item: Item | undefined): { partition: string; projected: string } | undefined {
  if (item === undefined || typeof item[index.partitionKey] !== 'string' || item[index.sortKey] === undefined) return undefined;
  const projected = ['pk', 'sk', index.partitionKey, index.sortKey, ...index.include].map((a) => JSON.stringify(item[a] ?? null));
  return { partition: item[index.partitionKey] as string, projected: projected.join('\u0000') };
}

/** An error named as DynamoDB names a request it refuses, so callers can treat both tables alike. */
function validationException(message: string): Error {
  const error = new Error(message);
  error.name = 'ValidationException';
  return error;
}

/** DynamoDB accepts as ExclusiveStartKey only the index's and the table's keys, typed, in the queried partition. */
function checkStartKey(q: IndexQuery, startKey: Readonly<Record<string, string | number>>): void {
  const { partitionKey, sortKey, sortKeyType } = q.index;
  const names = new Set(['pk', 'sk', partitionKey, sortKey]);
  const given = Object.keys(startKey);
  const typed = [...names].every((n) => typeof startKey[n] === (n === sortKey && sortKeyType === 'N' ? 'number' : 'string'));
  if (given.length !== names.size || given.some((n) => !names.has(n)) || !typed) throw validationException('The provided starting key is invalid');
  const outOfRange = q.sortAtMost !== undefined && (startKey[sortKey] as number) > q.sortAtMost;
  if (startKey[partitionKey] !== q.partition || outOfRange) throw validationException('The provided starting key does not match the range key predicate');
}

/** A transaction cancelled for other reasons than a condition, shaped as the SDK's TransactionCanceledException. */
function transactionCanceled(reasons: { Code: string; Message?: string }[]): Error {
  const error = Object.assign(new Error(`Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`), {
    CancellationReasons: reasons,
  });
  error.name = 'TransactionCanceledException';
  return error;
}

/** DynamoDB refuses an empty string as a key. */
function checkKey(key: Key): Key {
  if (key.pk === '' || key.sk === '') throw validationException('One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value');
  return key;
}

/** DynamoDB refuses an item whose index key attributes have the wrong type or are empty strings. */
function checkIndexKeys(item: Item): void {
  for (const index of INDEXES) {
    const typed: [string, 'S' | 'N'][] = [
      [index.partitionKey, 'S'],
      [index.sortKey, index.sortKeyType],
    ];
    for (const [attribute, type] of typed) {
      const value = item[attribute];
      if (value === undefined) continue;
      if (typeof value !== (type === 'S' ? 'string' : 'number')) throw validationException('One or more parameter values were invalid: Type mismatch for Index Key');
      if (value === '') throw validationException(`A value specified for a secondary index key is not supported: empty string (IndexName: ${index.indexName}, IndexKey: ${attribute})`);
    }
  }
}

function id(key: Key): string {
  return `${key.pk}\u0000${key.sk}`;
}

/** DynamoDB orders strings by their UTF-8 bytes and numbers numerically. */
function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return compareUtf8(String(a), String(b));
}

/**
 * Orders two strings as their UTF-8 bytes would, without encoding them (a sort compares often). UTF-8 orders by code
 * point; UTF-16 code units order alike except that a surrogate (a code point above U+FFFF) sorts below U+E000–U+FFFF:
 * at the first difference, lifting surrogates above that range restores code point order.
 */
function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * The item a write leaves (undefined: deleted). The write's values are copied; `current` (the stored item) is only
 * spread, never changed, so the table can keep the result without copying it again.
 */
function applyWrite(write: ItemWrite, current: Item | undefined): Item | undefined {
  if (write.type === 'delete') return undefined;
  const next: Item = write.type === 'put' ? { ...copyItem(write.item), ...write.key } : { ...(current ?? {}), ...write.key };
  if (write.type === 'update') {
    Object.assign(next, copyItem(write.set ?? {}));
    for (const [k, v] of Object.entries(write.setIfMissing ?? {})) if (next[k] === undefined) next[k] = copyItem(v);
    for (const [k, sum] of Object.entries(write.setSum ?? {})) {
      const source = next[sum.source] ?? (sum.orElseSource === undefined ? sum.orElse : next[sum.orElseSource]);
      if (typeof source !== 'number') throw validationException(`The provided expression refers to an attribute that does not exist in the item: '${sum.source}'`);
      next[k] = source + sum.plus;
    }
    for (const [k, v] of Object.entries(write.add ?? {})) next[k] = (typeof next[k] === 'number' ? (next[k] as number) : 0) + v;
    for (const [k, v] of Object.entries(write.addMember ?? {})) next[k] = new Set([...(next[k] instanceof Set ? (next[k] as Set<number>) : []), v]);
    for (const [k, v] of Object.entries(write.append ?? {})) next[k] = [...(Array.isArray(next[k]) ? (next[k] as unknown[]) : []), ...copyItem(v)];
    for (const k of write.remove ?? []) delete next[k];
    for (const [k, n] of Object.entries(write.removeHead ?? {})) if (Array.isArray(next[k])) next[k] = (next[k] as unknown[]).slice(n);
  }
  for (const [k, v] of Object.entries(next)) if (v === undefined) delete next[k];
  checkIndexKeys(next);
  const bytes = itemBytes(next);
  if (bytes > MAX_ITEM_BYTES) throw new ItemTooLargeError(bytes);
  return next;
}

/** A string sort key between the bounds (both inclusive, either open), as DynamoDB's BETWEEN, >= and <= do (the keys are ASCII: code units and UTF-8 bytes order alike). */
function inRange(value: unknown, range: IndexQuery['sortBetween']): boolean {
  if (range === undefined) return true;
  const v = String(value);
  return (range.from === undefined || v >= range.from) && (range.to === undefined || v <= range.to);
}
