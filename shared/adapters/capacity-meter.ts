import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';

/**
 * Counts what the orchestrator spends: DynamoDB capacity units (from
 * `ReturnConsumedCapacity`) and SQS requests. One process-wide meter, so the
 * benchmark can read what the in-process handlers consumed. Counting is cheap
 * and always on.
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

export function recordDynamoCapacity(consumed: ConsumedCapacity | readonly ConsumedCapacity[] | undefined): void {
  meter.dynamoRequests += 1;
  if (!consumed) return;
  for (const c of Array.isArray(consumed) ? consumed : [consumed as ConsumedCapacity]) {
    // DynamoDB Local reports CapacityUnits; split into read/write where given.
    const write = c.WriteCapacityUnits ?? 0;
    const read = c.ReadCapacityUnits ?? 0;
    if (write === 0 && read === 0) continue;
    meter.dynamoWriteUnits += write;
    meter.dynamoReadUnits += read;
  }
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
