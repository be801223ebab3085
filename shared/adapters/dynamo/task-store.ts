import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { TaskItemSchema, type TaskError, type TaskItem } from '#schemas/items.ts';
import { ConditionFailed, cancellationReasons, conditionally, isTransactionConflict } from './conditional.ts';
import { TASK_SK_PREFIX, keys, sweepShardOf } from './keys.ts';
import { counterBump, endTaskUpdate, scheduledAttributes, type CounterBump, type EndTaskInput, type ScheduleContext } from './task-writes.ts';

export type { CounterBump, EndTaskInput, ScheduleContext } from './task-writes.ts';

const MAX_TRANSACTION_RETRIES = 8;

/**
 * Task items: `PROC#<id>` / `TASK#<name>`. A task without an item is PENDING.
 * Every write here is conditional on the task's status, its lease token or both.
 */
export class TaskStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async get(processId: string, task: string): Promise<TaskItem | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.task(processId, task), ConsistentRead: true }));
    return Item ? TaskItemSchema.parse(Item) : undefined;
  }

  /** Every task item of a process (tasks without an item are PENDING). */
  async listAll(processId: string): Promise<TaskItem[]> {
    const items: TaskItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': keys.processMeta(processId).pk, ':prefix': TASK_SK_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const i of out.Items ?? []) items.push(TaskItemSchema.parse(i));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Strongly consistent batch read of some tasks' items (projection keeps reads small). */
  async getMany(processId: string, tasks: readonly string[], projection: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const names = projection.map((_, i) => `#p${i}`);
    const attrNames = Object.fromEntries(projection.map((p, i) => [`#p${i}`, p]));
    for (let i = 0; i < tasks.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = tasks.slice(i, i + 100).map((t) => keys.task(processId, t));
      for (let round = 0; pending && pending.length > 0; round++) {
        const out = await this.db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: { Keys: pending, ConsistentRead: true, ProjectionExpression: ['#n', ...names].join(', '), ExpressionAttributeNames: { '#n': 'name', ...attrNames } },
            },
          }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(String(item.name), item);
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
        if (pending?.length) await this.sleep(Math.min(1000, 20 * 2 ** round));
      }
    }
    return found;
  }

  /** Schedules a task that has no item yet (a root, or a task with one need). Exactly once: the item must not exist. */
  async scheduleNew(ctx: ScheduleContext): Promise<boolean> {
    const key = keys.task(ctx.processId, ctx.task);
    const r = await conditionally(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...scheduledAttributes(ctx), sweepShard: sweepShardOf(key.pk) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    return !(r instanceof ConditionFailed);
  }

  /** Schedules a join whose counter reached its number of needs. Exactly one caller wins. */
  async scheduleJoin(ctx: ScheduleContext, needs: number): Promise<boolean> {
    const key = keys.task(ctx.processId, ctx.task);
    const attrs = { ...scheduledAttributes(ctx), sweepShard: sweepShardOf(key.pk) };
    const names = Object.keys(attrs);
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: `SET ${names.map((n, i) => `#a${i} = :a${i}`).join(', ')}`,
          ConditionExpression: '#st = :pending AND done = :needs',
          ExpressionAttributeNames: { ...Object.fromEntries(names.map((n, i) => [`#a${i}`, n])), '#st': 'status' },
          ExpressionAttributeValues: {
            ...Object.fromEntries(names.map((n, i) => [`:a${i}`, attrs[n as keyof typeof attrs]])),
            ':pending': 'PENDING',
            ':needs': needs,
          },
        }),
      ),
    );
    return !(r instanceof ConditionFailed);
  }

  /** SCHEDULED -> RUNNING with a fresh lease. On a lost condition, returns the item as it is. */
  async claim(processId: string, task: string, workerId: string, leaseToken: string, now: number, iso: string): Promise<TaskItem | ConditionFailed> {
    const key = keys.task(processId, task);
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          // The lease length was fixed at scheduling (timeoutMs), so the claim needs no prior read.
          // The sweep entry is left alone: it is due no later than the lease expires (see
          // scheduleContext), so the claim costs no index write.
          UpdateExpression: 'SET #s = :running, leaseToken = :t, leaseExpiresAt = timeoutMs + :now, workerId = :w, claimedAt = :iso',
          ConditionExpression: '#s = :scheduled',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':running': 'RUNNING',
            ':scheduled': 'SCHEDULED',
            ':t': leaseToken,
            ':now': now,
            ':w': workerId,
            ':iso': iso,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return r instanceof ConditionFailed ? r : TaskItemSchema.parse(r.Attributes);
  }

  /** Extends a live lease. Fenced by the lease token. */
  async heartbeat(processId: string, task: string, leaseToken: string, now: number): Promise<TaskItem | ConditionFailed> {
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(processId, task),
          UpdateExpression: 'SET leaseExpiresAt = timeoutMs + :now',
          ConditionExpression: '#s = :running AND leaseToken = :t',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': 'RUNNING', ':t': leaseToken, ':now': now },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );
    return r instanceof ConditionFailed ? r : TaskItemSchema.parse(r.Attributes);
  }

  /**
   * Ends a task as COMPLETED and, in the same transaction, counts it in every
   * join it feeds (and in the process's end counter). Atomicity is what makes
   * each count happen exactly once: the task's own status change is the guard.
   * The task stays on the sweep index until its children are scheduled.
   */
  async complete(input: EndTaskInput, output: unknown, bumps: readonly CounterBump[]): Promise<true | ConditionFailed> {
    const taskUpdate = endTaskUpdate(this.tableName, input, 'COMPLETED', { outputJson: JSON.stringify(output ?? null) });
    if (bumps.length === 0) {
      const r = await conditionally(() => this.db.send(new UpdateCommand({ ...taskUpdate, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })));
      return r instanceof ConditionFailed ? r : true;
    }
    const counters = bumps.map((b) => ({ Update: counterBump(this.tableName, input.processId, b, input.expiresAt) }));
    for (let attempt = 0; ; attempt++) {
      try {
        await this.db.send(
          new TransactWriteCommand({
            TransactItems: [{ Update: { ...taskUpdate, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }, ...counters],
          }),
        );
        return true;
      } catch (error) {
        const reasons = cancellationReasons(error);
        if (reasons?.[0]?.code === 'ConditionalCheckFailed') return new ConditionFailed(reasons[0].item);
        // Many parents of one join complete at once: transactions on the join's counter conflict. Back off and retry.
        if (isTransactionConflict(error) && attempt < MAX_TRANSACTION_RETRIES) {
          await this.sleep(Math.random() * Math.min(1000, 10 * 2 ** attempt));
          continue;
        }
        throw error;
      }
    }
  }

  /** Ends a task as FAILED, fenced like `complete`. */
  async fail(input: EndTaskInput, error: TaskError): Promise<true | ConditionFailed> {
    const r = await conditionally(() =>
      this.db.send(new UpdateCommand({ ...endTaskUpdate(this.tableName, input, 'FAILED', { errorJson: JSON.stringify(error) }), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })),
    );
    return r instanceof ConditionFailed ? r : true;
  }

  /**
   * Cancels a task that has not finished, creating a CANCELLED tombstone for a
   * PENDING task without an item, so that no late scheduling can revive it.
   */
  async cancel(processId: string, task: string, iso: string, expiresAt: number): Promise<boolean> {
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(processId, task),
          UpdateExpression: 'SET #s = :cancelled, #n = :name, endedAt = :iso, expiresAt = :exp REMOVE sweepShard, sweepAt, leaseExpiresAt',
          ConditionExpression: 'attribute_not_exists(#s) OR #s IN (:pending, :scheduled, :running)',
          ExpressionAttributeNames: { '#s': 'status', '#n': 'name' },
          ExpressionAttributeValues: {
            ':cancelled': 'CANCELLED',
            ':name': task,
            ':iso': iso,
            ':exp': expiresAt,
            ':pending': 'PENDING',
            ':scheduled': 'SCHEDULED',
            ':running': 'RUNNING',
          },
        }),
      ),
    );
    return !(r instanceof ConditionFailed);
  }

  /** RUNNING with an expired lease -> SCHEDULED with attempt+1. The old token is fenced off from then on. */
  async reenqueueExpired(processId: string, item: TaskItem, now: number, nextSweepAt: number): Promise<TaskItem | undefined> {
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(processId, item.name),
          UpdateExpression: 'SET #s = :scheduled, attempt = attempt + :one, sweepAt = :next, sends = :zero REMOVE leaseToken, leaseExpiresAt, workerId, claimedAt',
          ConditionExpression: '#s = :running AND leaseToken = :t AND leaseExpiresAt <= :now',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: {
            ':scheduled': 'SCHEDULED',
            ':running': 'RUNNING',
            ':t': item.leaseToken,
            ':now': now,
            ':one': 1,
            ':zero': 0,
            ':next': nextSweepAt,
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return r instanceof ConditionFailed ? undefined : TaskItemSchema.parse(r.Attributes);
  }

  /** After a resend of an unclaimed task's message: next check later, with backoff. */
  async deferEnqueueCheck(processId: string, item: TaskItem, nextSweepAt: number): Promise<boolean> {
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(processId, item.name),
          UpdateExpression: 'SET sweepAt = :next ADD sends :one',
          ConditionExpression: '#s = :scheduled AND sweepAt = :at AND attempt = :attempt',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':scheduled': 'SCHEDULED', ':at': item.sweepAt, ':attempt': item.attempt, ':next': nextSweepAt, ':one': 1 },
        }),
      ),
    );
    return !(r instanceof ConditionFailed);
  }

  /**
   * Takes an ended task off the sweep index once its consequences are written.
   * Only ended tasks qualify, and nothing puts an ended task back on the index.
   */
  async clearSweep(processId: string, task: string): Promise<void> {
    await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(processId, task),
          UpdateExpression: 'REMOVE sweepShard, sweepAt',
          ConditionExpression: 'attribute_exists(sweepAt) AND #s IN (:completed, :failed, :cancelled)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':completed': 'COMPLETED', ':failed': 'FAILED', ':cancelled': 'CANCELLED' },
        }),
      ),
    );
  }

  /** Records how far a completed task's fan-out got, and makes it due for the sweeper at `at`. */
  async deferFollowUp(processId: string, task: string, resumeFrom: number, at: number): Promise<void> {
    await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(processId, task),
          UpdateExpression: 'SET resumeFrom = :from, sweepAt = :at',
          ConditionExpression: '#s = :completed AND attribute_exists(sweepAt)',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':completed': 'COMPLETED', ':from': resumeFrom, ':at': at },
        }),
      ),
    );
  }

  /**
   * Moves a RUNNING task's sweep check to `at` (its lease expiry), fenced by
   * the lease token and the entry it replaces. Used when the entry would come
   * after the lease expires (a long resend backoff) or before it (a live lease
   * found by the sweeper).
   */
  async moveRunningSweep(processId: string, item: TaskItem, at: number): Promise<boolean> {
    const r = await conditionally(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.task(processId, item.name),
          UpdateExpression: 'SET sweepAt = :next',
          ConditionExpression: '#s = :running AND leaseToken = :t AND sweepAt = :at',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': 'RUNNING', ':t': item.leaseToken, ':at': item.sweepAt, ':next': at },
        }),
      ),
    );
    return !(r instanceof ConditionFailed);
  }
}
