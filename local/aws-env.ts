import { ENV } from '#config/env.ts';
import { DEFAULT_SWEEP_SHARDS } from '#config/table.ts';

/** Credentials for emulators, which accept any key. Only used when none are configured. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface EndpointOverrides {
  readonly dynamodb: string | undefined;
  readonly sqs: string | undefined;
  readonly s3: string | undefined;
}

/**
 * The endpoints the AWS SDK itself would use from the environment: the
 * service-specific variable wins over the global `AWS_ENDPOINT_URL`.
 */
export function endpointOverrides(env: NodeJS.ProcessEnv = process.env): EndpointOverrides {
  return {
    dynamodb: nonEmpty(env.AWS_ENDPOINT_URL_DYNAMODB) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    sqs: nonEmpty(env.AWS_ENDPOINT_URL_SQS) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    s3: nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL),
  };
}

/**
 * Client config for talking to a local endpoint: the configured credentials
 * when there are any (an external emulator may partition by key), dummy ones otherwise.
 */
export function localClientConfig(
  endpoint: string,
  region: string,
  env: NodeJS.ProcessEnv = process.env,
): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } {
  const accessKeyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const credentials =
    accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) }
      : { ...DUMMY_CREDENTIALS };
  return { endpoint, region, credentials };
}

export interface HandlerEnvInput {
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** S3 for map items (`itemsFrom`); the S3 client turns on path-style addressing with it. */
  readonly s3Endpoint?: string;
  readonly tableName: string;
  /** Queue name to queue URL. */
  readonly queues: Readonly<Record<string, string>>;
  /** The start queue's DLQ, for the start-queue consumer. */
  readonly startDlqUrl?: string;
}

/**
 * The environment the handlers expect, pointed at local services
 * (`TRIBUTARY_SWEEP_SHARDS` is taken from `current` when set there). The SDK
 * reads `AWS_ENDPOINT_URL_*` by itself, so handler code needs no local switch.
 * Credentials are only filled in when `current` has none, so real ones are never overwritten.
 */
export function handlerEnv(input: HandlerEnvInput, current: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.tableName]: input.tableName,
    [ENV.queueUrls]: JSON.stringify(input.queues),
    AWS_REGION: input.region,
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SQS: input.sqsEndpoint,
    ...(input.s3Endpoint === undefined ? {} : { AWS_ENDPOINT_URL_S3: input.s3Endpoint }),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // As the construct's `sweepShards`: the handlers check it (1 to 32) when they load.
    [ENV.sweepShards]: nonEmpty(current[ENV.sweepShards]) ?? String(DEFAULT_SWEEP_SHARDS),
    ...(input.startDlqUrl === undefined ? {} : { [ENV.startDlqUrl]: input.startDlqUrl }),
  };
  if (!nonEmpty(current.AWS_ACCESS_KEY_ID) || !nonEmpty(current.AWS_SECRET_ACCESS_KEY)) {
    env.AWS_ACCESS_KEY_ID = DUMMY_CREDENTIALS.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = DUMMY_CREDENTIALS.secretAccessKey;
  }
  return env;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
