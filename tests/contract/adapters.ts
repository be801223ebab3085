import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoItemTable } from '#adapters/dynamo/dynamo-item-table.ts';
import type { ItemTable } from '#adapters/item-table.ts';
import { MemoryItemTable } from '#adapters/memory/memory-item-table.ts';
import { storesOn } from '#adapters/stores/stores-on.ts';
import { documentClient, dynamoDbClient } from '../support/clients.ts';
import { createIsolatedResources } from '../support/resources.ts';

/** One adapter under contract: an item table and every store port built on it. */
export interface Adapter {
  readonly name: 'dynamodb' | 'memory';
  readonly table: ItemTable;
  readonly stores: ReturnType<typeof storesOn>;
  /** Releases clients (DynamoDB) or nothing (memory). */
  close(): void;
}

export type AdapterFactory = () => Promise<Adapter>;

/** The DynamoDB adapter on a table of its own on DynamoDB Local. */
export function dynamoAdapter(label: string): AdapterFactory {
  return async () => {
    const { tableName } = await createIsolatedResources(label);
    const client: DynamoDBClient = dynamoDbClient();
    // The adapter as deployed: its own backoff between transaction retries.
    const table = new DynamoItemTable(documentClient(client), tableName);
    return { name: 'dynamodb', table, stores: storesOn(table), close: () => client.destroy() };
  };
}

/** The in-memory adapter, fresh. */
export function memoryAdapter(): AdapterFactory {
  return () => {
    const table = new MemoryItemTable();
    return Promise.resolve({ name: 'memory', table, stores: storesOn(table), close: () => undefined });
  };
}
