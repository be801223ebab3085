import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { tributaryConfig, type QueueSettings } from '#config/queues.ts';
import { INDEXES, TABLE_KEYS, TTL_ATTRIBUTE, type IndexSpec } from '#config/table.ts';
import { localClientConfig } from './aws-env.ts';

/** How long a queue and its DLQ keep messages: the SQS maximum, as deployed, so nothing is lost before someone looks. */
const RETENTION_SECONDS = 14 * 24 * 3600;

export interface CreateResourcesOptions {
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly region: string;
  /** @default 'tributary' */
  readonly tableName?: string;
  /** Prepended to every queue name; the DLQ of `<prefix><name>` is `<prefix><name>-dlq`. @default 'tributary-' */
  readonly queuePrefix?: string;
  /** @default tributaryConfig.queues (tributary.config.json) */
  readonly queues?: Readonly<Record<string, QueueSettings>>;
  /** @default INDEXES from shared/config/table.ts */
  readonly indexes?: readonly IndexSpec[];
}

export interface LocalResources {
  readonly tableName: string;
  /** Queue name (as configured) to queue URL. */
  readonly queues: Readonly<Record<string, string>>;
  /** Queue name (as configured) to the URL of its dead-letter queue. */
  readonly dlqs: Readonly<Record<string, string>>;
}

/**
 * Creates the table and the queues that the handlers expect, from the same
 * config the CDK app deploys. Idempotent: existing resources are reused, and a
 * queue whose attributes changed in config is updated in place.
 *
 * @example
 * const { tableName, queues } = await createResources({ dynamodbEndpoint, sqsEndpoint, region: 'us-east-1' });
 */
export async function createResources(options: CreateResourcesOptions): Promise<LocalResources> {
  const tableName = options.tableName ?? 'tributary';
  const prefix = options.queuePrefix ?? 'tributary-';
  const dynamodb = new DynamoDBClient(localClientConfig(options.dynamodbEndpoint, options.region));
  const sqs = new SQSClient(localClientConfig(options.sqsEndpoint, options.region));
  try {
    const queueEntries = Object.entries(options.queues ?? tributaryConfig.queues);
    const [, created] = await Promise.all([
      createTable(dynamodb, tableName, options.indexes ?? INDEXES),
      Promise.all(queueEntries.map(([name, settings]) => createQueueWithDlq(sqs, `${prefix}${name}`, settings))),
    ]);
    return {
      tableName,
      queues: Object.fromEntries(queueEntries.map(([name], i) => [name, created[i]!.queueUrl])),
      dlqs: Object.fromEntries(queueEntries.map(([name], i) => [name, created[i]!.dlqUrl])),
    };
  } finally {
    dynamodb.destroy();
    sqs.destroy();
  }
}

/** The CreateTable request for the single table: on-demand, string pk/sk, every configured GSI. */
export function tableDefinition(tableName: string, indexes: readonly IndexSpec[]): ConstructorParameters<typeof CreateTableCommand>[0] {
  const types = new Map<string, 'S' | 'N'>([
    [TABLE_KEYS.partitionKey, 'S'],
    [TABLE_KEYS.sortKey, 'S'],
  ]);
  const declare = (name: string, type: 'S' | 'N'): void => {
    const known = types.get(name);
    if (known !== undefined && known !== type) throw new Error(`attribute '${name}' is declared as both ${known} and ${type}`);
    types.set(name, type);
  };
  const gsis: GlobalSecondaryIndex[] = indexes.map((index) => {
    // IndexSpec types only the sort key; index partition keys are strings.
    declare(index.partitionKey, 'S');
    declare(index.sortKey, index.sortKeyType);
    return {
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: index.include.length > 0 ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.include] } : { ProjectionType: 'KEYS_ONLY' },
    };
  });
  const attributeDefinitions: AttributeDefinition[] = [...types].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions,
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    ...(gsis.length > 0 ? { GlobalSecondaryIndexes: gsis } : {}),
  };
}

async function createTable(client: DynamoDBClient, tableName: string, indexes: readonly IndexSpec[]): Promise<void> {
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName, indexes)));
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
  }
  await waitForActive(client, tableName);
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
  } catch {
    // TTL only deletes expired items, which no local run depends on; an emulator
    // without it, or a table that already has it, is fine.
  }
}

/** DynamoDB Local creates tables ACTIVE at once; other emulators may take a moment. */
async function waitForActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`table '${tableName}' did not become ACTIVE`);
}

/**
 * The start queue and its DLQ (`<prefix>start`, `<prefix>start-dlq`): a message on it starts a process. A message
 * that fails for a passing cause is received again, up to 5 times, then dead-lettered by the redrive policy.
 */
export async function createStartQueue(options: Pick<CreateResourcesOptions, 'sqsEndpoint' | 'region' | 'queuePrefix'>): Promise<{ queueUrl: string; dlqUrl: string }> {
  const sqs = new SQSClient(localClientConfig(options.sqsEndpoint, options.region));
  try {
    return await createQueueWithDlq(sqs, `${options.queuePrefix ?? 'tributary-'}start`, { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
  } finally {
    sqs.destroy();
  }
}

async function createQueueWithDlq(client: SQSClient, queueName: string, settings: QueueSettings): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlqUrl = await createOrUpdateQueue(client, `${queueName}-dlq`, { MessageRetentionPeriod: String(RETENTION_SECONDS) });
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const dlqArn = Attributes?.QueueArn;
  if (!dlqArn) throw new Error(`queue '${queueName}-dlq' has no QueueArn`);
  const queueUrl = await createOrUpdateQueue(client, queueName, {
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(RETENTION_SECONDS),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
  });
  return { queueUrl, dlqUrl };
}

/** CreateQueue is idempotent only for identical attributes; on a mismatch the existing queue is updated. */
async function createOrUpdateQueue(client: SQSClient, queueName: string, attributes: Record<string, string>): Promise<string> {
  try {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: queueName, Attributes: attributes }));
    if (!QueueUrl) throw new Error(`CreateQueue returned no URL for '${queueName}'`);
    return QueueUrl;
  } catch (e) {
    if (!isQueueNameExists(e)) throw e;
    const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queueName }));
    if (!QueueUrl) throw new Error(`GetQueueUrl returned no URL for '${queueName}'`, { cause: e });
    await client.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
    return QueueUrl;
  }
}

function isQueueNameExists(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name ?? '';
  return name === 'QueueNameExists' || name === 'QueueAlreadyExists';
}
