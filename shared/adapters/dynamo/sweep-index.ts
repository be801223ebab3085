import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SWEEP_INDEX } from '#config/table.ts';
import { allSweepShards } from './keys.ts';

export interface DueKey {
  readonly pk: string;
  readonly sk: string;
  readonly sweepAt: number;
}

/**
 * Reads the sparse sweep index: items that owe work and whose `sweepAt` has
 * passed. A query per shard, oldest first, never a table scan.
 */
export class SweepIndex {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async due(now: number, maxItems: number): Promise<DueKey[]> {
    const perShard = await Promise.all(allSweepShards().map((shard) => this.dueInShard(shard, now, maxItems)));
    return perShard.flat().sort((a, b) => a.sweepAt - b.sweepAt).slice(0, maxItems);
  }

  private async dueInShard(shard: string, now: number, maxItems: number): Promise<DueKey[]> {
    const found: DueKey[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: SWEEP_INDEX.indexName,
          KeyConditionExpression: '#shard = :shard AND #at <= :now',
          ExpressionAttributeNames: { '#shard': SWEEP_INDEX.partitionKey, '#at': SWEEP_INDEX.sortKey },
          ExpressionAttributeValues: { ':shard': shard, ':now': now },
          Limit: Math.min(100, maxItems - found.length),
          ExclusiveStartKey: start,
        }),
      );
      for (const i of out.Items ?? []) found.push({ pk: String(i.pk), sk: String(i.sk), sweepAt: Number(i.sweepAt) });
      start = out.LastEvaluatedKey;
    } while (start && found.length < maxItems);
    return found;
  }
}
