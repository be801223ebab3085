import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { failTask } from '#app/end-task.ts';
import { startProcess } from '#app/start-process.ts';
import { documentClient } from '../support/clients.ts';
import { coreFixture, drainQueue, putYaml, runToEnd, type CoreFixture } from '../support/core-harness.ts';

/**
 * Retention: every item a process leaves behind carries a TTL, so DynamoDB
 * removes finished processes for free. Nothing of a process is kept forever.
 */
let f: CoreFixture;
const DAY = 86_400;

beforeAll(async () => {
  f = await coreFixture('retention');
  // Two sinks, so the END counter item exists too; a join, so a counter item does.
  await putYaml(f.deps, 'kept', 'tasks:\n  - name: A\n  - name: B\n  - name: J\n    needs: [A, B]\n  - name: S1\n    needs: [J]\n  - name: S2\n    needs: [J]\n');
});

async function itemsOf(processId: string): Promise<Record<string, unknown>[]> {
  const out = await documentClient().send(
    new QueryCommand({ TableName: f.resources.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `PROC#${processId}` } }),
  );
  return out.Items ?? [];
}

describe('retention of finished processes', () => {
  it('puts a TTL on every item of a completed process: META, INPUT, END and each task', async () => {
    const { process } = await startProcess(f.deps, { definition: 'kept', input: { big: 'x'.repeat(100) } });
    await runToEnd(f.deps, f.clock, f.queueUrl, process.id);
    const items = await itemsOf(process.id);
    expect(items.map((i) => i.sk).sort()).toEqual(['END', 'INPUT', 'META', 'TASK#A', 'TASK#B', 'TASK#J', 'TASK#S1', 'TASK#S2']);
    const now = Math.floor(f.clock.now() / 1000);
    for (const item of items) {
      expect(item.expiresAt, String(item.sk)).toEqual(expect.any(Number));
      expect(item.expiresAt as number, String(item.sk)).toBeGreaterThanOrEqual(now + 29 * DAY);
    }
    // The write-once input outlives the longest allowed run, so a running process never loses it.
    const input = items.find((i) => i.sk === 'INPUT')!;
    expect(input.expiresAt as number).toBeGreaterThanOrEqual(now + 365 * DAY);
  });

  it('puts a TTL on the tombstones a failed process leaves for its unfinished tasks', async () => {
    const { process } = await startProcess(f.deps, { definition: 'kept' });
    await drainQueue(f.queueUrl);
    const a = await claimTask(f.deps, process.id, 'A', 'w');
    await failTask(f.deps, process.id, 'A', { leaseToken: a.leaseToken, error: { message: 'no' } });
    const items = await itemsOf(process.id);
    expect(items.map((i) => i.sk).sort()).toEqual(['INPUT', 'META', 'TASK#A', 'TASK#B', 'TASK#J', 'TASK#S1', 'TASK#S2']);
    for (const item of items) expect(item.expiresAt, String(item.sk)).toEqual(expect.any(Number));
  });
});
