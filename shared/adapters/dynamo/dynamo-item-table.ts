import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ItemTooLargeError, MAX_ITEM_BYTES, type IndexQuery, type Item, type PartitionPageQuery, type ItemTable, type ItemWrite, type Key, type TransactOutcome, type WriteOutcome } from '../item-table.ts';
import { cancellationReasons, conditionally, ConditionFailed, isTransactionConflict } from './conditional.ts';
import { expressionsOf } from './expressions.ts';

/** Retries of a transaction that lost to a concurrent one (many parents of one join completing at once). */
const MAX_TRANSACTION_RETRIES = 8;
/** DynamoDB's BatchGetItem limit. */
const BATCH_GET_KEYS = 100;

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * {@link ItemTable} on DynamoDB. Every read of state is strongly consistent;
 * every write carries its condition and asks for the item back when the
 * condition fails (`ReturnValuesOnConditionCheckFailure: ALL_OLD`).
 */
export class DynamoItemTable implements ItemTable {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly sleep: Sleep = realSleep,
    private readonly random: () => number = Math.random,
  ) {}

  async get(key: Key): Promise<Item | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return Item;
  }

  async getMany(keys: readonly Key[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_KEYS) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_KEYS).map((k) => ({ pk: k.pk, sk: k.sk }));
      // Unprocessed keys (throttling) are retried with backoff until every key is answered: none is silently dropped.
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round > 0) await this.sleep(Math.min(1000, 20 * 2 ** round));
        const out = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
        found.push(...(out.Responses?.[this.tableName] ?? []));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  async queryPartition(pk: string, prefix: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async queryPartitionPage(q: PartitionPageQuery): Promise<{ items: Item[]; lastSk?: string }> {
    const names: Record<string, string> = {};
    const projection = q.attributes?.length ? ['pk', 'sk', ...q.attributes].map((a, i) => ((names[`#a${i}`] = a), `#a${i}`)).join(', ') : undefined;
    if (q.filter) names['#f'] = q.filter.attribute;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(q.filter ? { FilterExpression: '#f = :f' } : {}),
        ...(projection ? { ProjectionExpression: projection } : {}),
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: { ':pk': q.pk, ':prefix': q.prefix, ...(q.filter ? { ':f': q.filter.value } : {}) },
        ConsistentRead: true,
        Limit: q.limit,
        ...(q.afterSk === undefined ? {} : { ExclusiveStartKey: { pk: q.pk, sk: q.afterSk } }),
      }),
    );
    const lastSk = out.LastEvaluatedKey?.sk;
    return { items: out.Items ?? [], ...(typeof lastSk === 'string' ? { lastSk } : {}) };
  }

  async queryIndex(q: IndexQuery): Promise<{ items: Item[]; lastKey?: Record<string, string | number> }> {
    const values: Record<string, unknown> = { ':p': q.partition };
    let keyCondition = '#p = :p';
    if (q.sortAtMost !== undefined) {
      keyCondition += ' AND #s <= :s';
      values[':s'] = q.sortAtMost;
    }
    const { from, to } = q.sortBetween ?? {};
    if (from !== undefined) values[':from'] = from;
    if (to !== undefined) values[':to'] = to;
    if (from !== undefined && to !== undefined) keyCondition += ' AND #s BETWEEN :from AND :to';
    else if (from !== undefined) keyCondition += ' AND #s >= :from';
    else if (to !== undefined) keyCondition += ' AND #s <= :to';
    const sortNamed = q.sortAtMost !== undefined || from !== undefined || to !== undefined;
    if (q.filter) values[':f'] = q.filter.value;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: q.index.indexName,
        KeyConditionExpression: keyCondition,
        ...(q.filter ? { FilterExpression: '#f = :f' } : {}),
        ExpressionAttributeNames: {
          '#p': q.index.partitionKey,
          ...(sortNamed ? { '#s': q.index.sortKey } : {}),
          ...(q.filter ? { '#f': q.filter.attribute } : {}),
        },
        ExpressionAttributeValues: values,
        ScanIndexForward: !q.descending,
        Limit: q.limit,
        ExclusiveStartKey: q.startKey,
      }),
    );
    return { items: out.Items ?? [], ...(out.LastEvaluatedKey ? { lastKey: out.LastEvaluatedKey as Record<string, string | number> } : {}) };
  }

  async write(write: ItemWrite): Promise<WriteOutcome> {
    const r = await conditionally(() => this.send(write)).catch(rethrowTooLarge);
    if (r instanceof ConditionFailed) return { ok: false, ...(r.item ? { current: r.item } : {}) };
    const attributes = (r as { Attributes?: Item }).Attributes;
    return { ok: true, ...(attributes ? { item: attributes } : {}) };
  }

  async transact(writes: readonly ItemWrite[]): Promise<TransactOutcome> {
    const items = writes.map((w) => {
      const common = { TableName: this.tableName, ...expressionsOf(w), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
      if (w.type === 'delete') return { Delete: { ...common, Key: w.key } };
      return w.type === 'put' ? { Put: { ...common, Item: { ...w.item, ...w.key } } } : { Update: { ...common, Key: w.key } };
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.send(new TransactWriteCommand({ TransactItems: items as TransactWriteCommandInput['TransactItems'] }));
        return { ok: true };
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons?.some((r) => r.code === 'ConditionalCheckFailed')) {
          return { ok: false, reasons: reasons.map((r) => ({ code: r.code, ...(r.item ? { current: r.item } : {}) })) };
        }
        if (isTransactionConflict(error) && attempt < MAX_TRANSACTION_RETRIES) {
          await this.sleep(this.random() * Math.min(1000, 10 * 2 ** attempt));
          continue;
        }
        rethrowTooLarge(error);
      }
    }
  }

  private send(write: ItemWrite): Promise<{ Attributes?: Item }> {
    const expressions = expressionsOf(write);
    if (write.type === 'delete') {
      return this.db.send(new DeleteCommand({ TableName: this.tableName, Key: write.key, ...expressions, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
    }
    if (write.type === 'put') {
      return this.db.send(new PutCommand({ TableName: this.tableName, Item: { ...write.item, ...write.key }, ...expressions, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
    }
    return this.db.send(new UpdateCommand({
      TableName: this.tableName,
      Key: write.key,
      ...expressions,
      ...(write.returnNew ? { ReturnValues: 'ALL_NEW' } : {}),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }));
  }
}

const TOO_LARGE = /^Item size (to update )?has exceeded the maximum allowed size/;

/**
 * DynamoDB refuses an item over 400 KB with a ValidationException (a put, an
 * update, a put in a transaction) or a transaction cancelled with the reason
 * `ValidationError` (an update in a transaction). Both become the
 * {@link ItemTooLargeError} that the in-memory table throws; anything else is
 * rethrown as it is.
 */
function rethrowTooLarge(error: unknown): never {
  const e = error as { name?: string; message?: string } | undefined;
  const tooLarge =
    (e?.name === 'ValidationException' && TOO_LARGE.test(e.message ?? '')) ||
    (e?.name === 'TransactionCanceledException' &&
      ((error as { CancellationReasons?: { Code?: string; Message?: string }[] }).CancellationReasons ?? []).some(
        (r) => r.Code === 'ValidationError' && TOO_LARGE.test(r.Message ?? ''),
      ));
  if (tooLarge) throw new ItemTooLargeError(MAX_ITEM_BYTES, { cause: error });
  throw error;
}
