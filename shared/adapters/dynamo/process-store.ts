import { BatchGetCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BY_KIND_INDEX, PROCESS_BY_DEFINITION_INDEX, PROCESS_BY_STATUS_INDEX } from '#config/table.ts';
import type { ProcessStatus } from '#domain/task-state.ts';
import { ProcessItemSchema, ProcessStatusSchema, type ProcessItem } from '#schemas/items.ts';
import { z } from 'zod';
import { ConditionFailed, conditionally } from './conditional.ts';
import { keys, processIdOf, sweepShardOf } from './keys.ts';
import { decodePageToken, encodePageToken, type Page } from './page-token.ts';
import { withPageTokenErrors } from './query-errors.ts';

export const ProcessSummarySchema = z.object({
  id: z.string(),
  definition: z.string(),
  version: z.number(),
  status: ProcessStatusSchema,
  createdAt: z.string(),
  endedAt: z.string().optional(),
});
export type ProcessSummary = z.infer<typeof ProcessSummarySchema>;

export interface NewProcess {
  readonly id: string;
  readonly definition: string;
  readonly version: number;
  readonly total: number;
  readonly createdAt: string;
  readonly idempotencyKey?: string;
  /** When the sweeper should check that the roots were scheduled (epoch ms). */
  readonly sweepAt: number;
  /**
   * TTL of the input item (epoch s). The input is written once and never
   * rewritten (rewriting costs its size), so its expiry is fixed at creation.
   */
  readonly inputExpiresAt: number;
}

/**
 * The process item (`META`) holds only fixed-size state and is rewritten only on
 * process-level changes (start, end), never per task. The input lives in its own
 * item, written once; a counter item (`END`) counts completed sinks.
 */
export class ProcessStore {
  private readonly identities = new Map<string, { definition: string; version: number }>();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Creates the process and its input. Returns the existing process if the id is taken. */
  async create(p: NewProcess, input: unknown): Promise<{ created: true } | { created: false; existing: ProcessItem }> {
    const meta = keys.processMeta(p.id);
    // The input first: it is write-once, and harmless if the META write then
    // loses (same id means same idempotency key, hence the same request).
    await conditionally(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          // Stored as JSON text: any JSON value fits, however deeply nested.
          Item: { ...keys.processInput(p.id), inputJson: JSON.stringify(input ?? null), expiresAt: p.inputExpiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    const result = await conditionally(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...meta,
            id: p.id,
            definition: p.definition,
            version: p.version,
            status: 'RUNNING',
            total: p.total,
            ver: 1,
            createdAt: p.createdAt,
            updatedAt: p.createdAt,
            idempotencyKey: p.idempotencyKey,
            kind: 'PROCESS',
            kindKey: `${p.createdAt}#${p.id}`,
            createdKey: `${p.createdAt}#${p.id}`,
            procStatus: 'RUNNING',
            procDefinition: p.definition,
            sweepShard: sweepShardOf(meta.pk),
            sweepAt: p.sweepAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (result instanceof ConditionFailed) return { created: false, existing: ProcessItemSchema.parse(result.item) };
    return { created: true };
  }

  async get(id: string): Promise<ProcessItem | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.processMeta(id), ConsistentRead: true }));
    return Item ? ProcessItemSchema.parse(Item) : undefined;
  }

  async getInput(id: string): Promise<unknown> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.processInput(id), ConsistentRead: true }));
    return typeof Item?.inputJson === 'string' ? (JSON.parse(Item.inputJson) as unknown) : null;
  }

  /**
   * Moves a RUNNING process to a terminal status under optimistic locking
   * (`ver`). With `owesCleanup`, the item stays on the sweep index until
   * `clearSweep` says the remaining tasks were cancelled.
   */
  async end(
    current: ProcessItem,
    status: Exclude<ProcessStatus, 'RUNNING'>,
    at: { now: number; iso: string; expiresAt: number },
    owesCleanup: boolean,
  ): Promise<{ ok: true; item: ProcessItem } | ConditionFailed> {
    const meta = keys.processMeta(current.id);
    const result = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: meta,
          UpdateExpression: `SET #s = :s, procStatus = :s, ver = :next, updatedAt = :iso, endedAt = :iso, expiresAt = :exp${
            owesCleanup ? ', sweepShard = :shard, sweepAt = :now' : ''
          }${owesCleanup ? '' : ' REMOVE sweepShard, sweepAt'}`,
          ConditionExpression: '#s = :running AND ver = :ver',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':s': status,
            ':running': 'RUNNING',
            ':ver': current.ver,
            ':next': current.ver + 1,
            ':iso': at.iso,
            ':exp': at.expiresAt,
            ...(owesCleanup ? { ':shard': sweepShardOf(meta.pk), ':now': at.now } : {}),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    if (result instanceof ConditionFailed) return result;
    return { ok: true, item: ProcessItemSchema.parse(result.Attributes) };
  }

  /** Takes the process off the sweep index once the owed work (root scheduling, cleanup) is done. */
  async clearSweep(id: string, expectedSweepAt: number): Promise<void> {
    await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.processMeta(id),
          UpdateExpression: 'REMOVE sweepShard, sweepAt',
          ConditionExpression: 'sweepAt = :at',
          ExpressionAttributeValues: { ':at': expectedSweepAt },
        }),
      ),
    );
  }

  /** Moves the sweep check of a process whose roots are only partly written, recording where to resume. */
  async deferSweep(id: string, expectedSweepAt: number, nextSweepAt: number, resumeFrom: number): Promise<boolean> {
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.processMeta(id),
          UpdateExpression: 'SET sweepAt = :next, resumeFrom = :from',
          ConditionExpression: 'sweepAt = :at',
          ExpressionAttributeValues: { ':at': expectedSweepAt, ':next': nextSweepAt, ':from': resumeFrom },
        }),
      ),
    );
    return !(r instanceof ConditionFailed);
  }

  /** How many sinks have completed (processes with several sinks only). */
  async completedSinks(id: string): Promise<number> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: keys.processEnd(id), ConsistentRead: true, ProjectionExpression: 'done' }),
    );
    return typeof Item?.done === 'number' ? Item.done : 0;
  }

  /** The definition and version a process runs: immutable, so cached for the container's life. */
  async identity(id: string): Promise<{ definition: string; version: number } | undefined> {
    const cached = this.identities.get(id);
    if (cached) return cached;
    const process = await this.get(id);
    if (!process) return undefined;
    const identity = { definition: process.definition, version: process.version };
    if (this.identities.size >= 10_000) this.identities.delete(this.identities.keys().next().value as string);
    this.identities.set(id, identity);
    return identity;
  }

  /**
   * Lists processes through an index, newest first: by status (optionally
   * filtered by definition), by definition, or all. The indexes hold keys;
   * one BatchGetItem reads the page's summaries.
   */
  async list(filter: { status?: ProcessStatus; definition?: string }, limit: number, nextToken?: string): Promise<Page<ProcessSummary>> {
    const index = filter.status ? PROCESS_BY_STATUS_INDEX : filter.definition ? PROCESS_BY_DEFINITION_INDEX : BY_KIND_INDEX;
    const keyValue = filter.status ?? filter.definition ?? 'PROCESS';
    const definitionFilter = filter.status !== undefined && filter.definition !== undefined;
    const out = await withPageTokenErrors(nextToken, () =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.indexName,
          KeyConditionExpression: '#pk = :pk',
          ...(definitionFilter ? { FilterExpression: 'procDefinition = :d' } : {}),
          ExpressionAttributeNames: { '#pk': index.partitionKey },
          ExpressionAttributeValues: { ':pk': keyValue, ...(definitionFilter ? { ':d': filter.definition } : {}) },
          ScanIndexForward: false,
          Limit: limit,
          ExclusiveStartKey: decodePageToken(nextToken),
        }),
      ),
    );
    const ids = (out.Items ?? []).map((i) => processIdOf(String(i.pk)));
    const summaries = await this.summaries(ids);
    return {
      items: ids.map((id) => summaries.get(id)).filter((p): p is ProcessSummary => p !== undefined),
      nextToken: encodePageToken(out.LastEvaluatedKey),
    };
  }

  private async summaries(ids: readonly string[]): Promise<Map<string, ProcessSummary>> {
    const found = new Map<string, ProcessSummary>();
    let pending: Record<string, unknown>[] | undefined = ids.map((id) => keys.processMeta(id));
    for (let round = 0; pending && pending.length > 0 && round < 8; round++) {
      const res: BatchGetCommandOutput = await this.db.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: pending,
              ProjectionExpression: 'id, #d, #v, #s, createdAt, endedAt',
              ExpressionAttributeNames: { '#d': 'definition', '#v': 'version', '#s': 'status' },
            },
          },
        }),
      );
      for (const item of res.Responses?.[this.tableName] ?? []) {
        const summary = ProcessSummarySchema.parse(item);
        found.set(summary.id, summary);
      }
      pending = res.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
    }
    return found;
  }
}
