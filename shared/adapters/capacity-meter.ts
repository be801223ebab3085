import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { cancelledTransactionWriteUnits, transactionWriteUnits, type TransactWriteInput } from './transaction-units.ts';

/**
 * Counts what the orchestrator spends: DynamoDB capacity units (from
 * `ReturnConsumedCapacity`) and SQS requests. One process-wide meter, so the
 * benchmark can read what the in-process handlers consumed. Counting is cheap
 * and always on. Transactions are billed as AWS bills them
 * ({@link transactionWriteUnits}), not as DynamoDB Local reports them.
 */
export interface CapacitySnapshot {
  readonly dynamoWriteUnits: number;
  readonly dynamoReadUnits: number;
  readonly dynamoRequests: number;
  readonly sqsRequests: number;
}

const METER_KEY = Symbol.for('tributary.capacityMeter');
type Meter = { dynamoWriteUnits: number; dynamoReadUnits: number; dynamoRequests: number; sqsRequests: number };
const g = globalThis as unknown as Record<symbol, Meter | undefined>;
const meter: Meter = (g[METER_KEY] ??= { dynamoWriteUnits: 0, dynamoReadUnits: 0, dynamoRequests: 0, sqsRequests: 0 });

/** Write commands: their units are write units when DynamoDB reports only a total. */
const WRITE_COMMANDS = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

/**
 * Counts one DynamoDB call's units from what it reported. A
 * `TransactWriteItems` call is billed from its input as well (`input`, the
 * command's input as the document client takes it): see
 * {@link transactionWriteUnits}. Every other call counts as reported.
 */
export function recordDynamoCapacity(command: string, consumed: ConsumedCapacity | readonly ConsumedCapacity[] | undefined, input?: unknown): void {
  meter.dynamoRequests += 1;
  if (command === TRANSACT_WRITE && isTransactInput(input)) {
    meter.dynamoWriteUnits += transactionWriteUnits(input, consumed === undefined ? undefined : Array.isArray(consumed) ? consumed : [consumed as ConsumedCapacity]);
    return;
  }
  if (!consumed) return;
  for (const c of Array.isArray(consumed) ? consumed : [consumed as ConsumedCapacity]) {
    // DynamoDB reports a total (CapacityUnits) and, for some calls, the split;
    // DynamoDB Local often reports only the total. Use the split when given.
    const write = c.WriteCapacityUnits;
    const read = c.ReadCapacityUnits;
    if (write !== undefined || read !== undefined) {
      meter.dynamoWriteUnits += write ?? 0;
      meter.dynamoReadUnits += read ?? 0;
    } else if (WRITE_COMMANDS.has(command)) {
      meter.dynamoWriteUnits += c.CapacityUnits ?? 0;
    } else {
      meter.dynamoReadUnits += c.CapacityUnits ?? 0;
    }
  }
}

/**
 * Counts a DynamoDB call that failed. Its error carries no consumed capacity,
 * but AWS bills a refused conditional write (at least 1 unit, the minimum
 * counted here) and a cancelled transaction
 * ({@link cancelledTransactionWriteUnits}).
 */
export function recordDynamoFailure(command: string, errorName: string, input?: unknown): void {
  if (errorName === 'TransactionCanceledException' && command === TRANSACT_WRITE && isTransactInput(input)) {
    meter.dynamoRequests += 1;
    meter.dynamoWriteUnits += cancelledTransactionWriteUnits(input);
    return;
  }
  recordDynamoCapacity(command, errorName === 'ConditionalCheckFailedException' ? { WriteCapacityUnits: 1 } : undefined);
}

const TRANSACT_WRITE = 'TransactWriteItemsCommand';

function isTransactInput(input: unknown): input is TransactWriteInput {
  return typeof input === 'object' && input !== null && Array.isArray((input as TransactWriteInput).TransactItems);
}

export function recordSqsRequest(count = 1): void {
  meter.sqsRequests += count;
}

/** A copy of the counters so far. */
export function capacitySnapshot(): CapacitySnapshot {
  return { ...meter };
}

/** The difference between two snapshots. */
export function capacityDelta(after: CapacitySnapshot, before: CapacitySnapshot): CapacitySnapshot {
  return {
    dynamoWriteUnits: after.dynamoWriteUnits - before.dynamoWriteUnits,
    dynamoReadUnits: after.dynamoReadUnits - before.dynamoReadUnits,
    dynamoRequests: after.dynamoRequests - before.dynamoRequests,
    sqsRequests: after.sqsRequests - before.sqsRequests,
  };
}
