import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { METRIC } from '#observability/metric-names.ts';
import { countMetric, tracer } from '#observability/powertools.ts';
import { recordDynamoCapacity, recordDynamoFailure, recordSqsRequest } from './capacity-meter.ts';

/**
 * Builds the AWS clients. Endpoints come from the SDK's own configuration
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SQS`), so
 * the same code talks to AWS, LocalStack or the embedded emulators.
 */
export interface AwsClientOptions {
  readonly region?: string;
  readonly dynamodbEndpoint?: string;
  readonly sqsEndpoint?: string;
  /** S3 (map items); otherwise `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`, else AWS. */
  readonly s3Endpoint?: string;
  /** Observes every call before it is sent and after it returns; throwing aborts it (fault injection in tests). */
  readonly interceptor?: AwsCallInterceptor;
}

export interface AwsCallInterceptor {
  before?(service: 'dynamodb' | 'sqs', command: string, input: unknown): void;
  after?(service: 'dynamodb' | 'sqs', command: string, input: unknown): void;
}

export function createDocumentClient(options: AwsClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.dynamodbEndpoint ? { endpoint: options.dynamodbEndpoint } : {}),
  });
  // Ask every call for its consumed capacity and count it: this is how cost is measured. INDEXES, not TOTAL: the
  // same total, plus the table's and each index's share, which the meter needs to bill a transaction (capacity-meter.ts).
  addInterceptor(client, 'dynamodb', options.interceptor);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? '');
      const input = args.input as Record<string, unknown>;
      if (input && typeof input === 'object' && !('ReturnConsumedCapacity' in input)) input.ReturnConsumedCapacity = 'INDEXES';
      try {
        const result = await next(args);
        recordDynamoCapacity(command, (result.output as { ConsumedCapacity?: never }).ConsumedCapacity, input);
        return result;
      } catch (error) {
        // A failed conditional write or a cancelled transaction is still billed, but its exception carries no
        // ConsumedCapacity: the meter estimates it.
        recordDynamoFailure(command, (error as Error).name, input);
        throw error;
      }
    },
    { step: 'initialize', name: 'tributaryCapacityMeter' },
  );
  // X-Ray subsegments per call where tracing is on (there is no tracer outside Lambda).
  tracer?.captureAWSv3Client(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createSqsClient(options: AwsClientOptions = {}): SQSClient {
  const client = new SQSClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.sqsEndpoint ? { endpoint: options.sqsEndpoint } : {}),
  });
  addInterceptor(client, 'sqs', options.interceptor);
  tracer?.captureAWSv3Client(client);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      recordSqsRequest();
      const result = await next(args);
      // Every task message sent (first send or resend) counts as a task scheduled.
      const input = args.input as { Entries?: unknown[] };
      if (context.commandName === 'SendMessageCommand') countMetric(METRIC.tasksScheduled);
      if (context.commandName === 'SendMessageBatchCommand') countMetric(METRIC.tasksScheduled, input.Entries?.length ?? 0);
      return result;
    },
    { step: 'initialize', name: 'tributaryRequestMeter' },
  );
  return client;
}

/**
 * The S3 client that reads map items. An endpoint (an option, `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`) means an
 * emulator such as the local stack's s3rver, which knows buckets by path only: path-style addressing is turned on
 * with it. Without one, the SDK's own AWS defaults apply.
 */
export function createS3Client(options: AwsClientOptions = {}, env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = options.s3Endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const client = new S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
  tracer?.captureAWSv3Client(client);
  return client;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function addInterceptor(client: DynamoDBClient | SQSClient, service: 'dynamodb' | 'sqs', interceptor: AwsCallInterceptor | undefined): void {
  if (!interceptor) return;
  (client as DynamoDBClient).middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown');
      interceptor.before?.(service, command, args.input);
      const result = await next(args);
      interceptor.after?.(service, command, args.input);
      return result;
    },
    { step: 'initialize', name: 'tributaryInterceptor', priority: 'high' },
  );
}
