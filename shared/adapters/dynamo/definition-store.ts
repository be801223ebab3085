import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { BY_KIND_INDEX } from '#config/table.ts';
import { definitionVersionAttributes, DefinitionHeadItemSchema, DefinitionVersionItemSchema, type DefinitionHeadItem, type DefinitionVersionItem } from '#schemas/items.ts';
import { cancellationReasons } from './conditional.ts';
import { keys } from './keys.ts';
import { withPageTokenErrors } from './query-errors.ts';
import { decodePageToken, encodePageToken, type Page } from './page-token.ts';

export type StoredDefinition = DefinitionVersionItem;

/** Definition versions kept in memory per container (immutable, so never stale). */
const MAX_CACHED_VERSIONS = 500;

/** What the byKind index projects of a definition's HEAD item. */
export const DefinitionSummarySchema = z.object({
  name: z.string(),
  latestVersion: z.number().int().positive(),
  description: z.string().optional(),
});
export type DefinitionSummary = z.infer<typeof DefinitionSummarySchema>;

/** Result of trying to append a version: it was written, or the head moved first. */
export type AppendResult = { kind: 'created' } | { kind: 'raced' };

/**
 * Definitions: immutable versions plus a HEAD item that points at the latest.
 * Versions never change once written, so they are cached in memory for the
 * life of the Lambda container.
 */
export class DefinitionStore {
  private readonly cache = new Map<string, StoredDefinition>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getHead(name: string): Promise<DefinitionHeadItem | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.definitionHead(name), ConsistentRead: true }));
    return Item ? DefinitionHeadItemSchema.parse(Item) : undefined;
  }

  async getVersion(name: string, version: number): Promise<StoredDefinition | undefined> {
    const cacheKey = `${name}@${version}`;
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.definitionVersion(name, version), ConsistentRead: true }));
    if (!Item) return undefined;
    const parsed = DefinitionVersionItemSchema.parse(Item);
    // Bounded: a container serving many definitions drops the oldest it cached.
    if (this.cache.size >= MAX_CACHED_VERSIONS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, parsed);
    return parsed;
  }

  /**
   * Writes version `def.version` and moves HEAD to it, atomically, only if HEAD
   * still points at `def.version - 1` (or does not exist for version 1).
   */
  async appendVersion(def: StoredDefinition): Promise<AppendResult> {
    const head = keys.definitionHead(def.name);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.definitionVersion(def.name, def.version), ...definitionVersionAttributes(def) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  ...head,
                  kind: 'DEFINITION',
                  kindKey: def.name,
                  name: def.name,
                  latestVersion: def.version,
                  contentHash: def.contentHash,
                  description: def.description,
                  updatedAt: def.createdAt,
                },
                ConditionExpression: def.version === 1 ? 'attribute_not_exists(pk)' : 'latestVersion = :prev',
                ...(def.version === 1 ? {} : { ExpressionAttributeValues: { ':prev': def.version - 1 } }),
              },
            },
          ],
        }),
      );
      return { kind: 'created' };
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.some((r) => r.code === 'ConditionalCheckFailed' || r.code === 'TransactionConflict')) return { kind: 'raced' };
      throw error;
    }
  }

  /** Definitions by name, from the byKind index (never a scan). */
  async listHeads(limit: number, nextToken?: string): Promise<Page<DefinitionSummary>> {
    const out = await withPageTokenErrors(nextToken, () =>
      this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_KIND_INDEX.indexName,
        KeyConditionExpression: '#k = :k',
        ExpressionAttributeNames: { '#k': BY_KIND_INDEX.partitionKey },
        ExpressionAttributeValues: { ':k': 'DEFINITION' },
        Limit: limit,
        ExclusiveStartKey: decodePageToken(nextToken),
      }),
      ),
    );
    return {
      items: (out.Items ?? []).map((i) => DefinitionSummarySchema.parse(i)),
      nextToken: encodePageToken(out.LastEvaluatedKey),
    };
  }
}
