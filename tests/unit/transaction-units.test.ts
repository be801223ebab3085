import { describe, expect, it } from 'vitest';
import { capacityDelta, capacitySnapshot, recordDynamoCapacity, recordDynamoFailure } from '#adapters/capacity-meter.ts';
import { itemBytes } from '#adapters/item-size.ts';
import { expressionsOf } from '#adapters/dynamo/expressions.ts';
import { cancelledTransactionWriteUnits, transactionWriteUnits, type TransactItem } from '#adapters/transaction-units.ts';
import type { ItemWrite } from '#adapters/item-table.ts';

const TABLE = 'tributary';
const put = (pk: string, extra: Record<string, unknown> = {}): TransactItem => ({ Put: { TableName: TABLE, Item: { pk, sk: 'META', ...extra } } });
/** An update as the DynamoDB adapter sends it (the same expression builder). */
const update = (write: Omit<Extract<ItemWrite, { type: 'update' }>, 'type' | 'guards'>): TransactItem => ({
  Update: { TableName: TABLE, Key: write.key, ...expressionsOf({ type: 'update', guards: [], ...write }) },
});
/** A string attribute that makes an item of exactly `bytes` bytes with the key { pk: 'P', sk: 'META' }. */
const sized = (bytes: number): Record<string, unknown> => ({ blob: 'x'.repeat(bytes - itemBytes({ pk: 'P', sk: 'META', blob: '' })) });

describe('transactionWriteUnits: a transaction billed as AWS bills it', () => {
  it('bills 3 new puts of items under 1 KB 6 units, where DynamoDB Local reports 2', () => {
    const input = { TransactItems: [put('A'), put('B'), put('C')] };
    expect(transactionWriteUnits(input, [{ TableName: TABLE, CapacityUnits: 2, Table: { CapacityUnits: 2 } }])).toBe(6);
    expect(transactionWriteUnits(input, undefined)).toBe(6);
  });

  it('bills two updates of small items 4 units, where DynamoDB Local reports 2', () => {
    const input = {
      TransactItems: [
        update({ key: { pk: 'PROC#1', sk: 'TASK#a' }, set: { status: 'done', endedAt: 1_700_000_000_000 } }),
        update({ key: { pk: 'PROC#1', sk: 'COUNT#1#3' }, add: { settled: 1 } }),
      ],
    };
    expect(transactionWriteUnits(input, [{ TableName: TABLE, CapacityUnits: 2, Table: { CapacityUnits: 2 } }])).toBe(4);
  });

  it('bills an item of 2.5 KB 2 × 3 = 6 units: its size is rounded up to whole KB before the doubling', () => {
    const item = { pk: 'P', sk: 'META', ...sized(2560) };
    expect(itemBytes(item)).toBe(2560);
    expect(transactionWriteUnits({ TransactItems: [{ Put: { TableName: TABLE, Item: item } }] }, undefined)).toBe(6);
    // 1 KB exactly is 1 KB; one byte more is 2.
    expect(transactionWriteUnits({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: 'P', sk: 'META', ...sized(1024) } } }] }, undefined)).toBe(2);
    expect(transactionWriteUnits({ TransactItems: [{ Put: { TableName: TABLE, Item: { pk: 'P', sk: 'META', ...sized(1025) } } }] }, undefined)).toBe(4);
  });

  it('sizes an update by the values it writes, at least 1 KB', () => {
    const big = update({ key: { pk: 'PROC#1', sk: 'TASK#a' }, set: { output: 'y'.repeat(3000) } });
    expect(transactionWriteUnits({ TransactItems: [big] }, undefined)).toBe(6);
  });

  it('takes the report where it is higher than the estimate: an update of an item larger than what it writes', () => {
    // The estimate of a small update is 2; the table says the item weighed 3 KB (6), next to a 1-unit put (2).
    const input = { TransactItems: [update({ key: { pk: 'P', sk: 'X' }, set: { a: 1 } }), put('Q')] };
    expect(transactionWriteUnits(input, [{ TableName: TABLE, CapacityUnits: 8, Table: { CapacityUnits: 8 } }])).toBe(8);
  });

  it('bills each index entry a transaction writes once, not doubled: 1 unit per KB of the entry', () => {
    const withSweepEntry = put('A', { sweepShard: 's07', sweepAt: 1_700_000_000_000 });
    // Two items (2 + 2) and two sweep-index entries (1 + 1); DynamoDB Local reports the index 2 (1 doubled, repeats dropped).
    const report = [{ TableName: TABLE, CapacityUnits: 4, Table: { CapacityUnits: 2 }, GlobalSecondaryIndexes: { sweep: { CapacityUnits: 2 } } }];
    expect(transactionWriteUnits({ TransactItems: [withSweepEntry, put('B', { sweepShard: 's01', sweepAt: 5 })] }, report)).toBe(6);
    // Setting an index key puts an entry; removing one deletes it.
    const sets = update({ key: { pk: 'P', sk: 'TASK#a' }, set: { sweepAt: 5, sweepShard: 's02' } });
    const removes = update({ key: { pk: 'P', sk: 'TASK#b' }, set: { status: 'done' }, remove: ['sweepAt', 'sweepShard'] });
    expect(transactionWriteUnits({ TransactItems: [sets, removes] }, undefined)).toBe(2 + 1 + 2 + 1);
    // Removing the head of a list is not removing an index key.
    const trims = update({ key: { pk: 'P', sk: 'TASK#c' }, removeHead: { attempts: 2 } });
    expect(transactionWriteUnits({ TransactItems: [trims] }, undefined)).toBe(2);
  });

  it('bills a condition check as a transactional write of the checked item (2 units for a small one)', () => {
    const check: TransactItem = { ConditionCheck: { TableName: TABLE, Key: { pk: 'P', sk: 'INPUT' } } };
    expect(transactionWriteUnits({ TransactItems: [check, put('A')] }, [{ TableName: TABLE, CapacityUnits: 2, Table: { CapacityUnits: 2 } }])).toBe(4);
  });

  it('bills a cancelled transaction its prepare writes: half the items\' units, no index write', () => {
    const input = { TransactItems: [put('A', { sweepShard: 's07', sweepAt: 1 }), put('B', sized(2560))] };
    expect(cancelledTransactionWriteUnits(input)).toBe(1 + 3);
  });
});

describe('the capacity meter', () => {
  it('counts a transaction at what AWS bills, and a single write as reported', () => {
    const before = capacitySnapshot();
    recordDynamoCapacity('TransactWriteItemsCommand', [{ TableName: TABLE, CapacityUnits: 2, Table: { CapacityUnits: 2 } }], {
      TransactItems: [put('A'), put('B'), put('C')],
    });
    recordDynamoCapacity('PutItemCommand', { TableName: TABLE, CapacityUnits: 2 }, { TableName: TABLE, Item: { pk: 'A', sk: 'B' } });
    recordDynamoFailure('TransactWriteItemsCommand', 'TransactionCanceledException', { TransactItems: [put('A'), put('B')] });
    recordDynamoFailure('UpdateItemCommand', 'ConditionalCheckFailedException', {});
    expect(capacityDelta(capacitySnapshot(), before)).toEqual({ dynamoWriteUnits: 6 + 2 + 2 + 1, dynamoReadUnits: 0, dynamoRequests: 4, sqsRequests: 0 });
  });
});
