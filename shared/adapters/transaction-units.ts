import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { INDEXES, TABLE_KEYS, type IndexSpec } from '#config/table.ts';
import { itemBytes, valueBytes } from './item-size.ts';

/**
 * Write units of a `TransactWriteItems` call as AWS bills them, from the
 * call's input (as the document client takes it: plain values, not
 * `AttributeValue`s) and what the table reported.
 *
 * Why not the report alone: DynamoDB Local reports a transaction as the sum of
 * the *distinct* per-item values. Three new items of under 1 KB report 2, two
 * small updates 2 (measured with `ReturnConsumedCapacity: INDEXES`), where AWS
 * bills 6 and 4.
 *
 * What AWS bills, from its developer guide ("Amazon DynamoDB Transactions: How
 * it works", capacity management; "DynamoDB read and write operations"):
 * - every item of a transaction is written twice underneath, once to prepare
 *   and once to commit, so an item costs 2 write units per KB of its size,
 *   rounded up per item before the doubling (a 2.5 KB item: 2 × 3 = 6);
 * - an update is sized as the larger of the item before and after it;
 * - a `ConditionCheck` item is billed as a transactional write of the checked
 *   item (2 units for an item under 1 KB: reported by AWS as write units, not
 *   read units, in the dynamodb-conformance suite's measurements against AWS).
 *
 * Index writes: the guide doubles the item writes (prepare, commit) and says
 * that a transaction's changes reach the global secondary indexes after it
 * completes, as any write's do. It does not say index writes are doubled, so
 * they are billed as for a single write: 1 unit per KB of the index entry
 * (its keys, the table's keys, its projected attributes and 100 bytes),
 * for each entry put, moved (a delete and a put) or deleted. DynamoDB Local
 * doubles them (a put with one index entry inside a transaction reports 2 on
 * the index); we halve its figure where it is used.
 *
 * What the input cannot say: the size of an updated item before the update,
 * and whether an index entry it touches existed already. So each item is
 * estimated from below (an update by its key plus the values it writes, at
 * least 1 KB; an index key it sets as one entry put; one it removes as one
 * entry deleted; a delete or a condition check at 2 units), and the bill per
 * table is the larger of that estimate and what the table reported (with
 * `INDEXES`: the table's units, and each index's units halved). Both are lower
 * bounds: the estimate by construction, DynamoDB Local's distinct sum because
 * it leaves out repeats. On AWS the report is the bill and wins.
 */
export function transactionWriteUnits(
  input: TransactWriteInput,
  reported: readonly ConsumedCapacity[] | undefined,
  indexes: readonly IndexSpec[] = INDEXES,
): number {
  const byTable = new Map<string, { table: number; index: Map<string, number> }>();
  for (const item of input.TransactItems ?? []) {
    const estimate = estimateItem(item, indexes);
    if (!estimate) continue;
    const t = byTable.get(estimate.tableName) ?? { table: 0, index: new Map<string, number>() };
    t.table += estimate.table;
    for (const [name, units] of estimate.index) t.index.set(name, (t.index.get(name) ?? 0) + units);
    byTable.set(estimate.tableName, t);
  }
  let total = 0;
  for (const [tableName, estimate] of byTable) {
    const report = reported?.find((c) => c.TableName === tableName);
    total += Math.max(estimate.table, report?.Table?.CapacityUnits ?? 0);
    const names = new Set([...estimate.index.keys(), ...Object.keys(report?.GlobalSecondaryIndexes ?? {})]);
    for (const name of names) {
      const reportedIndex = (report?.GlobalSecondaryIndexes?.[name]?.CapacityUnits ?? 0) / LOCAL_INDEX_FACTOR;
      total += Math.max(estimate.index.get(name) ?? 0, reportedIndex);
    }
  }
  return total;
}

/**
 * Write units of a transaction that DynamoDB cancelled (a condition failed, a
 * conflict with another transaction, a validation error). Its answer carries
 * no consumed capacity, but AWS bills it. The guide does not give the figure;
 * a cancelled transaction ran its prepare phase (where the conditions are
 * evaluated) and no commit, so it is billed here as one write per item:
 * half of the items' transactional units, and no index write (nothing was
 * written). An estimate, named so it can be changed in one place.
 */
export function cancelledTransactionWriteUnits(input: TransactWriteInput, indexes: readonly IndexSpec[] = INDEXES): number {
  let units = 0;
  for (const item of input.TransactItems ?? []) units += (estimateItem(item, indexes)?.table ?? 0) * CANCELLED_SHARE;
  return units;
}

/** The part of a committed transaction's item units that a cancelled one is billed: the prepare write of two. */
export const CANCELLED_SHARE = 0.5;

/** DynamoDB Local reports an index entry written in a transaction at twice a single write's units. */
const LOCAL_INDEX_FACTOR = 2;
const KB = 1024;
/** AWS adds this to every index entry's size. */
const INDEX_ENTRY_OVERHEAD = 100;
/** A transactional write: prepare and commit. */
const TRANSACTION_FACTOR = 2;

/** The parts of a `TransactWriteItems` input the bill depends on (lib-dynamodb's shape, plain values). */
export interface TransactWriteInput {
  readonly TransactItems?: readonly TransactItem[];
}

type Values = Readonly<Record<string, unknown>>;
export interface TransactItem {
  readonly Put?: { readonly TableName?: string; readonly Item?: Values };
  readonly Update?: {
    readonly TableName?: string;
    readonly Key?: Values;
    readonly UpdateExpression?: string;
    readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
    readonly ExpressionAttributeValues?: Values;
  };
  readonly Delete?: { readonly TableName?: string; readonly Key?: Values };
  readonly ConditionCheck?: { readonly TableName?: string; readonly Key?: Values };
}

interface ItemEstimate {
  readonly tableName: string;
  readonly table: number;
  readonly index: Map<string, number>;
}

function estimateItem(item: TransactItem, indexes: readonly IndexSpec[]): ItemEstimate | undefined {
  if (item.Put) {
    const written = item.Put.Item ?? {};
    const index = new Map<string, number>();
    for (const spec of indexes) {
      if (written[spec.partitionKey] !== undefined && written[spec.sortKey] !== undefined) index.set(spec.indexName, indexEntryUnits(spec, written));
    }
    return { tableName: item.Put.TableName ?? '', table: transactional(itemBytes(written)), index };
  }
  if (item.Update) {
    const u = item.Update;
    const actions = updateActions(u.UpdateExpression ?? '', u.ExpressionAttributeNames ?? {}, u.ExpressionAttributeValues ?? {});
    let setBytes = 0;
    for (const [name, bytes] of actions.set) setBytes += Buffer.byteLength(name, 'utf8') + bytes;
    const index = new Map<string, number>();
    for (const spec of indexes) {
      const keys = [spec.partitionKey, spec.sortKey];
      if (keys.some((k) => actions.set.has(k))) index.set(spec.indexName, Math.ceil((itemBytes(u.Key ?? {}) + setBytes + INDEX_ENTRY_OVERHEAD) / KB));
      else if (keys.some((k) => actions.remove.has(k))) index.set(spec.indexName, 1);
    }
    return { tableName: u.TableName ?? '', table: transactional(itemBytes(u.Key ?? {}) + setBytes), index };
  }
  const other = item.Delete ?? item.ConditionCheck;
  if (other) return { tableName: other.TableName ?? '', table: transactional(itemBytes(other.Key ?? {})), index: new Map() };
  return undefined;
}

/** 2 units per KB, the size rounded up to whole KB first (at least 1 KB). */
function transactional(bytes: number): number {
  return TRANSACTION_FACTOR * Math.max(1, Math.ceil(bytes / KB));
}

function indexEntryUnits(spec: IndexSpec, item: Values): number {
  const entry: Record<string, unknown> = {};
  for (const k of [TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey, spec.partitionKey, spec.sortKey, ...spec.include]) entry[k] = item[k];
  return Math.ceil((itemBytes(entry) + INDEX_ENTRY_OVERHEAD) / KB);
}

/**
 * The attributes an update expression sets (with the bytes of the values it
 * names there) and removes. Names may be placeholders (`#n0`) or plain.
 */
function updateActions(expression: string, names: Readonly<Record<string, string>>, values: Values): { set: Map<string, number>; remove: Set<string> } {
  const set = new Map<string, number>();
  const remove = new Set<string>();
  const attribute = (path: string): string => {
    const first = /^\s*([#\w]+)/.exec(path)?.[1] ?? path.trim();
    return names[first] ?? first;
  };
  for (const clause of expression.split(/\b(?=(?:SET|REMOVE|ADD|DELETE)\s)/i)) {
    const [, keyword = '', body = ''] = /^\s*(SET|REMOVE|ADD|DELETE)\s+([\s\S]*)$/i.exec(clause) ?? [];
    for (const action of topLevel(body)) {
      const kw = keyword.toUpperCase();
      if (kw === 'REMOVE') {
        // Removing an element of a list (`#a[0]`) leaves the attribute in place.
        if (!/\[/.test(action)) remove.add(attribute(action));
      } else if (kw === 'SET' || kw === 'ADD') {
        const [path = '', rhs = ''] = kw === 'SET' ? splitOnce(action, '=') : splitOnce(action.trim(), ' ');
        const bytes = (rhs.match(/:\w+/g) ?? []).reduce((s, p) => s + (values[p] === undefined ? 0 : valueBytes(values[p])), 0);
        set.set(attribute(path), (set.get(attribute(path)) ?? 0) + bytes);
      }
    }
  }
  return { set, remove };
}

/** Splits a clause's actions on the commas outside parentheses. */
function topLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(start, i));
      start = i + 1;
    }
  }
  if (body.trim() !== '') parts.push(body.slice(start));
  return parts.filter((p) => p.trim() !== '');
}

function splitOnce(s: string, separator: string): [string, string] {
  const at = s.indexOf(separator);
  return at < 0 ? [s, ''] : [s.slice(0, at), s.slice(at + separator.length)];
}
