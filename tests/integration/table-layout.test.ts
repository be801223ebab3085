import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoItemTable } from '#adapters/dynamo/dynamo-item-table.ts';
import { storesOn } from '#adapters/stores/stores-on.ts';
import { TABLE_LAYOUT_VERSION } from '#config/table.ts';
import { LAYOUT_MARKER, NewerTableLayoutError, upgradeTableLayout } from '../../local/table-layout.ts';
import { documentClient, dynamoDbClient } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';
import { EXPIRES_AT, iso, newProcess, T0 } from '../contract/fixtures.ts';

/** A local table kept from before the index keys were sharded (layout 1) is upgraded before the stack serves. */
describe('the local table layout', () => {
  const client = dynamoDbClient();
  const db = documentClient(client);
  let tableName: string;
  let stores: ReturnType<typeof storesOn>;

  beforeAll(async () => {
    ({ tableName } = await createIsolatedResources('layout'));
    stores = storesOn(new DynamoItemTable(db, tableName));
  });
  afterAll(() => client.destroy());

  /** A process as layout 1 wrote it: one `kind`, an unsharded status and definition. */
  const layoutOne = async (id: string, definition: string, createdAt: string): Promise<void> => {
    await stores.processes.create({ process: newProcess(id, { definition, createdAt }), input: null });
    await db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: `PROC#${id}`, sk: 'META' },
        UpdateExpression: 'SET kind = :kind, procStatus = :status, procDefinition = :definition',
        ExpressionAttributeValues: { ':kind': 'PROCESS', ':status': 'RUNNING', ':definition': definition },
      }),
    );
  };

  it('gives the processes of layout 1 their sharded keys, so every listing finds them, and records the layout once', async () => {
    await layoutOne('old-1', 'legacy', iso(T0 + 1000));
    await layoutOne('old-2', 'legacy', iso(T0 + 2000));
    await stores.processes.create({ process: newProcess('new-1', { definition: 'legacy', createdAt: iso(T0 + 3000) }), input: null });
    const before = (await stores.processes.list({ limit: 10 })).items.map((p) => p.id);

    const upgraded = await upgradeTableLayout(client, tableName);
    const again = await upgradeTableLayout(client, tableName);

    expect(before).toEqual(['new-1']);
    expect(upgraded).toBe(2);
    expect(again).toBe(0);
    const ids = async (args: Parameters<typeof stores.processes.list>[0]): Promise<string[]> => (await stores.processes.list(args)).items.map((p) => p.id);
    expect(await ids({ limit: 10 })).toEqual(['new-1', 'old-2', 'old-1']);
    expect(await ids({ status: 'RUNNING', limit: 10 })).toEqual(['new-1', 'old-2', 'old-1']);
    expect(await ids({ definition: 'legacy', limit: 10 })).toEqual(['new-1', 'old-2', 'old-1']);
    // An upgraded process moves status like any other.
    const old = (await stores.processes.get({ id: 'old-1' }))!;
    await stores.processes.end({ current: old, event: 'complete', at: { now: T0, iso: iso(T0), expiresAt: EXPIRES_AT }, owesCleanup: false });
    expect(await ids({ status: 'COMPLETED', limit: 10 })).toEqual(['old-1']);
  });

  it('refuses a table written by a newer layout, naming what to do', async () => {
    await db.send(new PutCommand({ TableName: tableName, Item: { ...LAYOUT_MARKER, version: TABLE_LAYOUT_VERSION + 1 } }));
    await expect(upgradeTableLayout(client, tableName)).rejects.toThrow(NewerTableLayoutError);
    await expect(upgradeTableLayout(client, tableName)).rejects.toThrow(/written by a newer Tributary.*delete \.tributary\/data/);
  });
});
