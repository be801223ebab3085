import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { processIdOf, processIndexKeys, PROCESS_KIND } from '#adapters/stores/keys.ts';
import { BY_KIND_INDEX, TABLE_LAYOUT_VERSION } from '#config/table.ts';

/** The item that records which layout a local table's items were written in. No index key: it lists nowhere. */
export const LAYOUT_MARKER = { pk: 'TRIBUTARY', sk: 'LAYOUT' } as const;

/** A local table written by a newer Tributary than this one: serving it could corrupt it. */
export class NewerTableLayoutError extends Error {
  constructor(tableName: string, found: number, options?: ErrorOptions) {
    super(
      `table '${tableName}' holds data in layout ${found}, written by a newer Tributary (this one writes layout ${TABLE_LAYOUT_VERSION}). ` +
        'Upgrade Tributary, or start on fresh data (delete .tributary/data, or set TRIBUTARY_IN_MEMORY=1)',
      options,
    );
    this.name = 'NewerTableLayoutError';
  }
}

/**
 * Brings a local table to {@link TABLE_LAYOUT_VERSION} before the stack
 * serves, and records it. Layout 1 (before the index keys were sharded)
 * wrote every process under `kind = PROCESS` and an unsharded status and
 * definition: each such process gets its sharded keys, so listings find it.
 * Its sweep entries need nothing (the sweeper reads every shard), and page
 * tokens of the old layout are refused with a 400. A new table is only
 * marked. Local data is small; a deployed table is not upgraded this way.
 * Returns how many processes were rewritten.
 */
export async function upgradeTableLayout(client: DynamoDBClient, tableName: string): Promise<number> {
  const db = DynamoDBDocumentClient.from(client);
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: LAYOUT_MARKER, ConsistentRead: true }));
  const found = typeof Item?.version === 'number' ? Item.version : 1;
  if (found > TABLE_LAYOUT_VERSION) throw new NewerTableLayoutError(tableName, found);
  let upgraded = 0;
  if (found < TABLE_LAYOUT_VERSION) {
    let startKey: Record<string, unknown> | undefined;
    do {
      // Layout 1's one `kind` partition of every process.
      const page = await db.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: BY_KIND_INDEX.indexName,
          KeyConditionExpression: '#kind = :old',
          ExpressionAttributeNames: { '#kind': BY_KIND_INDEX.partitionKey },
          ExpressionAttributeValues: { ':old': PROCESS_KIND },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const entry of page.Items ?? []) upgraded += await shardProcessKeys(db, tableName, String(entry.pk), String(entry.sk));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  await db.send(new PutCommand({ TableName: tableName, Item: { ...LAYOUT_MARKER, version: TABLE_LAYOUT_VERSION } }));
  return upgraded;
}

/** One layout-1 process item, given its sharded index keys; conditional, so a rerun of the upgrade rewrites nothing twice. */
async function shardProcessKeys(db: DynamoDBDocumentClient, tableName: string, pk: string, sk: string): Promise<number> {
  const { Item } = await db.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }));
  if (Item?.kind !== PROCESS_KIND) return 0;
  const id = processIdOf(pk);
  const values: Record<string, string> = { ':old': PROCESS_KIND, ':kind': processIndexKeys.kind(id) };
  const sets = ['#kind = :kind'];
  if (typeof Item.procStatus === 'string') {
    values[':status'] = processIndexKeys.status(id, Item.procStatus);
    sets.push('procStatus = :status');
  }
  if (typeof Item.procDefinition === 'string') {
    values[':definition'] = processIndexKeys.definition(id, Item.procDefinition);
    sets.push('procDefinition = :definition');
  }
  await db.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk, sk },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: '#kind = :old',
      ExpressionAttributeNames: { '#kind': 'kind' },
      ExpressionAttributeValues: values,
    }),
  );
  return 1;
}
