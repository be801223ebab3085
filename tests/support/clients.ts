import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
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

/** An S3 client for the test emulator (s3rver: path-style addressing). */
export function s3Client(): S3Client {
  const { s3Endpoint, region } = testEmulators();
  return new S3Client({ ...localClientConfig(s3Endpoint, region), forcePathStyle: true });
}

/** A bucket of this caller's own on the test emulator, so that files running in parallel never share objects. */
export async function createTestBucket(client: S3Client, label = 'test'): Promise<string> {
  // Bucket names: 3-63 lower-case letters, digits and hyphens.
  const bucket = `tributary-${label.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 20)}-${randomBytes(4).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}
