import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { inject } from 'vitest';
import { localClientConfig } from '../../local/aws-env.ts';
import type { TestEmulators } from './provided-context.ts';

/**
 * The emulators the global setup started (or the overrides it was given).
 * @throws Error naming the cause (e.g. no Java) when they could not start
 */
export function testEmulators(): TestEmulators {
  const emulators = inject('tributary') as TestEmulators | undefined;
  if (!emulators) throw new Error(`the test emulators are not running: ${inject('tributaryUnavailable') ?? 'global setup did not run'}`);
  return emulators;
}

/** False when the global setup could not start the emulators; unit-only helpers can check it. */
export function emulatorsAvailable(): boolean {
  return inject('tributary') !== undefined;
}

/**
 * A DynamoDB client for the test emulator. Each call builds a new client;
 * build one per file (e.g. in `beforeAll`) and `destroy()` it in `afterAll`.
 *
 * @example
 * const ddb = dynamoDbClient();
 * await ddb.send(new DescribeTableCommand({ TableName: testEmulators().tableName }));
 */
export function dynamoDbClient(): DynamoDBClient {
  const { dynamodbEndpoint, region } = testEmulators();
  return new DynamoDBClient(localClientConfig(dynamodbEndpoint, region));
}

/** A document client over {@link dynamoDbClient}, dropping `undefined` attributes as the adapters do. */
export function documentClient(client: DynamoDBClient = dynamoDbClient()): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** An SQS client for the test emulator. */
export function sqsClient(): SQSClient {
  const { sqsEndpoint, region } = testEmulators();
  return new SQSClient(localClientConfig(sqsEndpoint, region));
}
