import { z } from 'zod';
import { ValidationError } from '#domain/errors.ts';
import type { IndexSpec } from '#config/table.ts';
import type { Item, ItemTable } from '../item-table.ts';

/** One shard of a write-sharded index value: its partition, and the filter value that matches in it. */
export interface ShardPartition {
  readonly partition: string;
  readonly filter?: { readonly attribute: string; readonly value: string };
  /** Resume this shard strictly past this entry (its own cursor: the sweep log's), instead of the query's `after`. */
  readonly after?: ShardCursor;
}

/** A query of one index over several shards, answered as if the shards were one partition. */
export interface ShardedQuery {
  readonly index: IndexSpec;
  readonly shards: readonly ShardPartition[];
  readonly descending: boolean;
  /** Items answered, at most. */
  readonly limit: number;
  /** Only entries whose (numeric) sort key is at most this. */
  readonly sortAtMost?: number;
  /** Only entries whose (string) sort key lies between these, both inclusive. */
  readonly sortBetween?: { readonly from?: string; readonly to?: string };
  /** Resume strictly past this entry, the cursor of the page before: every shard starts there. */
  readonly after?: ShardCursor;
  /**
   * Index entries looked at, at most (filtered queries, whose pages may come
   * back short). Raised to one per shard, so every page makes progress.
   * Unbounded when absent: every entry looked at is answered.
   */
  readonly evaluate?: number;
}

/** A position in the merged order: an entry's sort key and table key (unique, even where sort keys tie). */
export interface ShardCursor {
  readonly sort: string | number;
  readonly pk: string;
  readonly sk: string;
}

export interface ShardedPage {
  /** In the index's order across every shard. */
  readonly items: Item[];
  /** Resume strictly past this entry; absent when every shard is exhausted. */
  readonly cursor?: ShardCursor;
}

interface ShardState {
  readonly shard: ShardPartition;
  /** Matching entries read and not yet answered, in order. */
  buffer: Item[];
  startKey?: Record<string, string | number>;
  done: boolean;
  /** The last entry looked at: nothing unread in this shard comes before it. Absent until first read. */
  frontier?: ShardCursor;
  chunk: number;
}

/**
 * A k-way merge of an index's shards, reading each shard lazily: a first
 * small query per shard (about `limit / shards`), then more only from the
 * shards whose entries are being answered, doubling. So a page reads about
 * twice what it answers plus a few entries per shard, however the entries
 * spread. The cursor is one entry's position (its sort key and table key),
 * from which every shard resumes at once: an entry inserted since, newer
 * than the cursor, is not listed, an older one is listed in its place, and
 * nothing repeats.
 */
export async function queryShards(table: ItemTable, q: ShardedQuery): Promise<ShardedPage> {
  const evaluate = q.evaluate === undefined ? Number.POSITIVE_INFINITY : Math.max(q.evaluate, q.shards.length);
  const firstChunk = Number.isFinite(evaluate) ? Math.max(1, Math.floor(evaluate / q.shards.length)) : Math.min(q.limit, Math.ceil(q.limit / q.shards.length) + 1);
  const { partitionKey, sortKey: sortName } = q.index;
  // Every shard resumes at the cursor's position (an ExclusiveStartKey need not name an item of the partition).
  const startAt = (shard: ShardPartition): Record<string, string | number> | undefined => {
    const after = shard.after ?? q.after;
    return after && { pk: after.pk, sk: after.sk, [partitionKey]: shard.partition, [sortName]: after.sort };
  };
  const states: ShardState[] = q.shards.map((shard) => ({ shard, buffer: [], done: false, chunk: firstChunk, startKey: startAt(shard) }));
  // Strictly before, in the query's order (ties, which only the sweep index has, by table key).
  const before = (a: ShardCursor, b: ShardCursor): boolean => {
    const order = compare(a.sort, b.sort) || compare(a.pk, b.pk) || compare(a.sk, b.sk);
    return q.descending ? order > 0 : order < 0;
  };
  const out: Item[] = [];
  let evaluated = 0;

  const read = async (s: ShardState, size: number): Promise<void> => {
    evaluated += size;
    const page = await table.queryIndex({
      index: q.index,
      partition: s.shard.partition,
      descending: q.descending,
      limit: size,
      ...(s.shard.filter ? { filter: s.shard.filter } : {}),
      ...(q.sortAtMost === undefined ? {} : { sortAtMost: q.sortAtMost }),
      ...(q.sortBetween ? { sortBetween: q.sortBetween } : {}),
      ...(s.startKey ? { startKey: s.startKey } : {}),
    });
    s.buffer.push(...page.items);
    s.startKey = page.lastKey;
    s.done = page.lastKey === undefined;
    if (page.lastKey) s.frontier = positionOf(page.lastKey, sortName);
    s.chunk *= 2;
  };

  while (out.length < q.limit) {
    const unread = states.filter((s) => !s.done && s.buffer.length === 0);
    const next = bestHead(states, sortName, before);
    // An entry may be answered once no shard can still hold one before it.
    if (next && unread.every((s) => s.frontier !== undefined && before(head(next, sortName), s.frontier))) {
      out.push(next.buffer.shift() as Item);
      continue;
    }
    const room = evaluate - evaluated;
    if (unread.length === 0 || room < 1) break;
    const needed = q.limit - out.length;
    const share = Math.max(1, Math.floor(room / unread.length));
    await Promise.all(unread.slice(0, room).map((s) => read(s, Math.min(s.chunk, needed, share))));
  }
  return { items: out, ...cursorOf(states, out, q, sortName, before) };
}

type Before = (a: ShardCursor, b: ShardCursor) => boolean;

/** DynamoDB's order: numbers numerically, strings by UTF-8 bytes. */
function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
}

function positionOf(item: Readonly<Record<string, unknown>>, sortKey: string): ShardCursor {
  return { sort: item[sortKey] as string | number, pk: String(item.pk), sk: String(item.sk) };
}

function head(s: ShardState, sortKey: string): ShardCursor {
  return positionOf(s.buffer[0] as Item, sortKey);
}

function bestHead(states: readonly ShardState[], sortKey: string, before: Before): ShardState | undefined {
  let best: ShardState | undefined;
  for (const s of states) if (s.buffer.length > 0 && (best === undefined || before(head(s, sortKey), head(best, sortKey)))) best = s;
  return best;
}

/**
 * Where the next page starts. A full page resumes after its last entry. A
 * page cut short by the evaluation budget resumes after the least advanced
 * of the shards that still have unread entries (the first, in the query's
 * order, of their last entries looked at): everything before that point was
 * answered or filtered out, and the entries read past it, in other shards,
 * are read again.
 */
function cursorOf(
  states: readonly ShardState[],
  out: readonly Item[],
  q: ShardedQuery,
  sortKey: string,
  before: Before,
): { cursor?: ShardCursor } {
  const more = states.some((s) => !s.done || s.buffer.length > 0);
  if (!more) return {};
  const last = out.at(-1);
  if (out.length === q.limit && last) return { cursor: positionOf(last, sortKey) };
  let cursor: ShardCursor | undefined;
  for (const s of states) {
    if (s.done || s.buffer.length > 0 || s.frontier === undefined) continue;
    if (cursor === undefined || before(s.frontier, cursor)) cursor = s.frontier;
  }
  return cursor === undefined ? {} : { cursor };
}

const CursorTokenSchema = z.object({ of: z.string(), after: z.object({ sort: z.string().min(1), pk: z.string().min(1), sk: z.string().min(1) }).strict() }).strict();

/**
 * An opaque token for a {@link ShardedPage}'s cursor (base64url JSON), bound
 * to its listing (`of`: the index and value), so that a token handed to
 * another listing is refused rather than read as a position in it.
 */
export function encodeShardCursor(cursor: ShardCursor | undefined, of: string): string | undefined {
  return cursor === undefined ? undefined : Buffer.from(JSON.stringify({ of, after: { ...cursor, sort: String(cursor.sort) } }), 'utf8').toString('base64url');
}

/** The cursor of a token this listing issued; anything else (a token of another listing, or of an older layout) is a 400. */
export function decodeShardCursor(token: string | undefined, of: string): ShardCursor | undefined {
  if (token === undefined) return undefined;
  let decoded: z.infer<typeof CursorTokenSchema>;
  try {
    decoded = CursorTokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch (e) {
    throw new ValidationError('nextToken is not a token this API issued', [{ path: 'query.nextToken', message: 'malformed token' }], { cause: e });
  }
  if (decoded.of !== of) throw new ValidationError('nextToken does not belong to this listing', [{ path: 'query.nextToken', message: 'foreign token' }]);
  return decoded.after;
}
