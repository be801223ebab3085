import { keys } from './keys.ts';

/**
 * Builders of the task writes that are shared between single-item and
 * transactional calls, so that each condition is written once.
 */

/** What a task message and a later claim need to know about a task, fixed when it is scheduled. */
export interface ScheduleContext {
  readonly processId: string;
  readonly task: string;
  readonly definition: string;
  readonly version: number;
  readonly queue: string;
  readonly timeoutSeconds: number;
  readonly attempt: number;
  readonly iso: string;
  /** When the sweeper should resend the message if nobody has claimed the task (epoch ms). */
  readonly sweepAt: number;
}

/** A counter decrement for a task with several needs, made in the same transaction as the completion. */
export interface CounterBump {
  /** Task name of the join, or undefined for the process's end counter (several sinks). */
  readonly task?: string;
  /** The join's number of needs: the counter never passes it. */
  readonly limit: number;
}

export interface EndTaskInput {
  readonly processId: string;
  readonly task: string;
  /** Undefined for a manual (human) completion of an unclaimed SCHEDULED task. */
  readonly leaseToken?: string;
  readonly iso: string;
  readonly now: number;
  readonly expiresAt: number;
}

/** The attributes of a task as it is scheduled. */
export function scheduledAttributes(ctx: ScheduleContext): Record<string, unknown> {
  return {
    name: ctx.task,
    status: 'SCHEDULED',
    attempt: ctx.attempt,
    queue: ctx.queue,
    definition: ctx.definition,
    version: ctx.version,
    timeoutMs: ctx.timeoutSeconds * 1000,
    scheduledAt: ctx.iso,
    sweepAt: ctx.sweepAt,
    sends: 0,
  };
}

/**
 * The update that ends a task as COMPLETED or FAILED. With a lease token the
 * running lease must match; without one, only an unclaimed SCHEDULED task (a
 * manual task) qualifies. The sweep entry stays: an ended task that still has
 * one owes its follow-up (children, process end) until it is cleared, and
 * leaving it costs no index write.
 */
export function endTaskUpdate(tableName: string, input: EndTaskInput, status: 'COMPLETED' | 'FAILED', extra: Record<string, unknown>) {
  const values: Record<string, unknown> = {
    ':s': status,
    ':iso': input.iso,
    ':exp': input.expiresAt,
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`:x_${k}`, v])),
  };
  const sets = ['#s = :s', 'endedAt = :iso', 'expiresAt = :exp', ...Object.keys(extra).map((k) => `#x_${k} = :x_${k}`)];
  const condition = input.leaseToken === undefined ? '#s = :scheduled' : '#s = :running AND leaseToken = :t';
  if (input.leaseToken === undefined) values[':scheduled'] = 'SCHEDULED';
  else Object.assign(values, { ':running': 'RUNNING', ':t': input.leaseToken });
  return {
    TableName: tableName,
    Key: keys.task(input.processId, input.task),
    UpdateExpression: `SET ${sets.join(', ')} REMOVE leaseExpiresAt`,
    ConditionExpression: condition,
    ExpressionAttributeNames: { '#s': 'status', ...Object.fromEntries(Object.keys(extra).map((k) => [`#x_${k}`, k])) },
    ExpressionAttributeValues: values,
  };
}

/**
 * One counter increment of a completion transaction: a join's `done`, or the
 * process's end counter. The guard keeps a counter from passing its limit,
 * which would mean a parent was counted twice.
 */
export function counterBump(tableName: string, processId: string, bump: CounterBump, expiresAt: number) {
  if (bump.task === undefined) {
    // The end counter is only ever touched by completions: each one moves its
    // expiry, so the item goes with the rest of the process.
    return {
      TableName: tableName,
      Key: keys.processEnd(processId),
      UpdateExpression: 'SET expiresAt = :exp ADD done :one',
      ConditionExpression: 'attribute_not_exists(done) OR done < :limit',
      ExpressionAttributeValues: { ':one': 1, ':limit': bump.limit, ':exp': expiresAt },
    };
  }
  return {
    TableName: tableName,
    Key: keys.task(processId, bump.task),
    UpdateExpression: 'SET #st = if_not_exists(#st, :pending), #nm = :name ADD done :one',
    ConditionExpression: 'attribute_not_exists(done) OR done < :limit',
    ExpressionAttributeNames: { '#st': 'status', '#nm': 'name' },
    ExpressionAttributeValues: { ':one': 1, ':limit': bump.limit, ':pending': 'PENDING', ':name': bump.task },
  };
}
