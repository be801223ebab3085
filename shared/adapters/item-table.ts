import type { Guard } from '#domain/lifecycle.ts';
import type { IndexSpec } from '#config/table.ts';

/**
 * The item-level port under the stores: the part of DynamoDB's data model the
 * stores rely on, described as data. The stores (`shared/adapters/stores`)
 * build every write once, as an {@link ItemWrite}; two tables execute it:
 * {@link DynamoItemTable} on DynamoDB, and {@link MemoryItemTable} in memory,
 * with the same conditions, transactions, size limit and query order.
 */

export type Key = { readonly pk: string; readonly sk: string };
export type Item = Record<string, unknown>;

/** `target = source + plus`, evaluated against the item (e.g. a lease expiry from the stored lease length). */
export interface SumOf {
  readonly source: string;
  readonly plus: number;
  /** The source's value when the item lacks it (else the write is refused, as DynamoDB refuses it). */
  readonly orElse?: number;
  /** Another attribute read when the item lacks `source` (DynamoDB's `if_not_exists(source, orElseSource)`; not with `orElse`). */
  readonly orElseSource?: string;
}

/** An update of one item: every part optional; the guards decide. */
export interface ItemUpdate {
  readonly type: 'update';
  readonly key: Key;
  readonly guards: readonly Guard[];
  readonly set?: Readonly<Record<string, unknown>>;
  /** Set only where the attribute is missing. */
  readonly setIfMissing?: Readonly<Record<string, unknown>>;
  readonly setSum?: Readonly<Record<string, SumOf>>;
  readonly add?: Readonly<Record<string, number>>;
  /** Appends to a list attribute (created empty if missing). */
  readonly append?: Readonly<Record<string, readonly unknown[]>>;
  readonly remove?: readonly string[];
  /** Removes the first n elements of a list attribute (DynamoDB's `REMOVE list[0], …, list[n-1]`); a shorter list is emptied. */
  readonly removeHead?: Readonly<Record<string, number>>;
  /** Adds a number to a number set attribute (DynamoDB's `ADD set :{n}`; created if missing, a member added twice is there once). */
  readonly addMember?: Readonly<Record<string, number>>;
  /** Answer the item as written. */
  readonly returnNew?: boolean;
}

/** A put of a whole item. */
export interface ItemPut {
  readonly type: 'put';
  readonly key: Key;
  readonly item: Item;
  readonly guards: readonly Guard[];
}

/** A delete of one item (an entry of a list that is done, e.g. a task that waited for a slot of its process). */
export interface ItemDelete {
  readonly type: 'delete';
  readonly key: Key;
  readonly guards: readonly Guard[];
}

export type ItemWrite = ItemUpdate | ItemPut | ItemDelete;

/** Applied (with the new item when asked), or lost with the item as it is now. */
export type WriteOutcome = { readonly ok: true; readonly item?: Item } | { readonly ok: false; readonly current?: Item };

/**
 * A transaction's outcome. A lost condition cancels every write and names, per
 * write, `ConditionalCheckFailed` (with the item) or `None`, as DynamoDB does.
 */
export type TransactOutcome = { readonly ok: true } | { readonly ok: false; readonly reasons: readonly { code: string; current?: Item }[] };

export interface IndexQuery {
  readonly index: IndexSpec;
  readonly partition: string;
  /** Only items whose sort key is at most this (numeric sort keys). */
  readonly sortAtMost?: number;
  /** Only items whose (string) sort key lies between these, both inclusive; either may be left open. */
  readonly sortBetween?: { readonly from?: string; readonly to?: string };
  readonly descending: boolean;
  readonly limit: number;
  /** An exact-match filter applied after the key condition (it does not change `limit`'s meaning: pages may come back short). */
  readonly filter?: { readonly attribute: string; readonly value: string };
  readonly startKey?: Record<string, string | number>;
}

/** One page of a partition's items whose sort key starts with `prefix`, in sort-key order (`ItemTable.queryPartitionPage`). */
export interface PartitionPageQuery {
  readonly pk: string;
  readonly prefix: string;
  /** The page starts after this sort key (exclusive); from the first item when absent. */
  readonly afterSk?: string;
  /** Items evaluated (as DynamoDB's `Limit`): a filtered page may come back shorter. */
  readonly limit: number;
  /** An exact-match filter applied after `limit` (a non-key attribute). */
  readonly filter?: { readonly attribute: string; readonly value: string };
  /** Only these attributes come back (the keys always do); every attribute when absent. */
  readonly attributes?: readonly string[];
}

export interface ItemTable {
  get(key: Key): Promise<Item | undefined>;
  /** Strongly consistent reads of many items; every key is answered (unprocessed keys are retried with backoff). */
  getMany(keys: readonly Key[]): Promise<Item[]>;
  /** Every item of a partition whose sort key starts with `prefix`, in sort-key order. */
  queryPartition(pk: string, prefix: string): Promise<Item[]>;
  /**
   * One bounded page of a partition, in sort-key order: at most `limit` items read. `lastSk` is set when the page
   * stopped at `limit` (there may be more), as DynamoDB's `LastEvaluatedKey`.
   */
  queryPartitionPage(query: PartitionPageQuery): Promise<{ items: Item[]; lastSk?: string }>;
  /** One page of an index, in its sort order. */
  queryIndex(query: IndexQuery): Promise<{ items: Item[]; lastKey?: Record<string, string | number> }>;
  write(write: ItemWrite): Promise<WriteOutcome>;
  /** All or nothing. Transaction conflicts (a concurrent transaction on the same item) are retried inside. */
  transact(writes: readonly ItemWrite[]): Promise<TransactOutcome>;
}

/** DynamoDB's item size limit, which the in-memory table enforces too. */
export const MAX_ITEM_BYTES = 400 * 1024;

/** Raised when an item would exceed {@link MAX_ITEM_BYTES}: a bug or a missing edge check, never a client's 4xx. */
export class ItemTooLargeError extends Error {
  constructor(bytes: number, options?: ErrorOptions) {
    super(`Item size has exceeded the maximum allowed size (${bytes} bytes)`, options);
    this.name = 'ItemTooLargeError';
  }
}
