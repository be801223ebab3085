import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, it } from 'vitest';
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

/** A scenario: run on one adapter, its answer recorded to be compared with the other adapter's. */
export type Scenario = (title: string, run: (a: Adapter) => Promise<unknown>) => void;

/**
 * Registers `define`'s scenarios on DynamoDB Local (a table of its own, `label`) and in memory, each in a
 * `describe` named by `suite`, and answers what each scenario returned, by title and adapter: the file then checks
 * that the two adapters answered alike.
 */
export function scenariosOnBothAdapters(label: string, suite: (name: Adapter['name']) => string, define: (scenario: Scenario, name: Adapter['name']) => void): Map<string, Map<string, unknown>> {
  const answers = new Map<string, Map<string, unknown>>();
  const adapters = [
    ['dynamodb', dynamoAdapter(label)],
    ['memory', memoryAdapter()],
  ] as const;
  for (const [name, factory] of adapters) {
    const scenario: Scenario = (title, run) =>
      it(`${title} (${name})`, async () => {
        const adapter = await factory();
        try {
          const seen = await run(adapter);
          let byAdapter = answers.get(title);
          if (!byAdapter) answers.set(title, (byAdapter = new Map()));
          byAdapter.set(name, seen);
        } finally {
          adapter.close();
        }
      });
    describe(suite(name), () => define(scenario, name));
  }
  return answers;
}
