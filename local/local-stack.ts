import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { RouteSpec } from '#config/routes.ts';
import { TABLE_LAYOUT_VERSION } from '#config/table.ts';
import { handlerEnv, localClientConfig } from './aws-env.ts';
import { createResources, createStartQueue } from './create-resources.ts';
import { startEmulators } from './emulators.ts';
import { REPO_ROOT, startHttpServer, type RunningHttpServer } from './http-server.ts';
import { consoleLogger, type LocalLogger } from './log.ts';
import { assertPortsFree } from './port-check.ts';
import { resendScheduledTasks } from './resend-scheduled.ts';
import { upgradeTableLayout } from './table-layout.ts';
import { removeDynamoDbPid, stopStaleDynamoDb, writeDynamoDbPid } from './stale-dynamodb.ts';
import { startSweepLoop, type SweepLoop } from './sweep-loop.ts';
import { startStartQueueLoop, type StartQueueLoop } from './start-queue-loop.ts';
import { schedulerEntry } from '#config/routes.ts';

/** Where `npm start` writes the endpoints for clients, examples and the benchmark. */
export const DEFAULT_STATE_FILE = resolve(REPO_ROOT, '.tributary/local.json');
/** Stable default ports of `npm start`, so that workers reconnect after a restart. */
export const DEFAULT_PORTS = { api: 3000, dynamodb: 8000, sqs: 9324, s3: 4569 } as const;

export interface LocalStackOptions {
  /** API port; 0 picks a free one. @default 3000 */
  readonly port?: number;
  /** Interface the API listens on; the emulators always stay on 127.0.0.1. @default '127.0.0.1' */
  readonly hostname?: string;
  /** @default env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1' */
  readonly region?: string;
  /** @default 'tributary' */
  readonly tableName?: string;
  /** @default 'tributary-' */
  readonly queuePrefix?: string;
  /** Pause between recovery sweeps; 0 turns the sweeper off. @default 2000 */
  readonly sweepIntervalMs?: number;
  /** Sweeper module relative to the repository root. @default 'functions/sweeper.ts' */
  readonly sweeperEntry?: string;
  /** Pause between runs of the schedules' scheduler (deployed: once a minute); 0 turns it off. @default 10000 */
  readonly schedulerIntervalMs?: number;
  /** Where to write the endpoints as JSON; null writes nothing. @default '<repo>/.tributary/local.json' */
  readonly stateFile?: string | null;
  /**
   * Environment read for endpoint overrides (`AWS_ENDPOINT_URL[_DYNAMODB|_SQS]`)
   * and the region. Pass `{}` to always start the embedded emulators.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /** @default the API's route table */
  readonly routes?: readonly RouteSpec[];
  readonly logger?: LocalLogger;
  /** Log one line per API request. @default false */
  readonly accessLog?: boolean;
  /** Aborting during startup stops what has started and rejects with the abort reason. */
  readonly signal?: AbortSignal;
  /** DynamoDB Local's port; 0 picks a free one. @default 0 */
  readonly dynamodbPort?: number;
  /** The SQS emulator's port; 0 picks a free one. @default 0 */
  readonly sqsPort?: number;
  /** The S3 emulator's (s3rver's) port; 0 picks a free one. @default 0 */
  readonly s3Port?: number;
  /**
   * Keep DynamoDB Local's data in this directory across restarts, and s3rver's
   * buckets in its `s3` subdirectory. After a
   * restart, the message of every SCHEDULED task is sent again, because the
   * SQS emulator's messages die with the process. @default undefined (in memory)
   */
  readonly dataDir?: string;
  /** Serve the web console's built files from this folder at `/console` (see console/build-console.ts). @default undefined */
  readonly consoleDir?: string;
}

/** What `.tributary/local.json` holds, exactly. */
export interface LocalStackState {
  readonly apiUrl: string;
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** s3rver (or the S3 endpoint the environment names): where map items (`itemsFrom`) are read from. */
  readonly s3Endpoint: string;
  readonly tableName: string;
  readonly queues: Readonly<Record<string, string>>;
  /** Queue name to the URL of its dead-letter queue. */
  readonly dlqs: Readonly<Record<string, string>>;
  /** The start queue: a message `{definition, version?, input?, idempotencyKey?}` on it starts a process. */
  readonly startQueueUrl: string;
  /** Where the start queue's refused messages go, each with a `reason` message attribute. */
  readonly startDlqUrl: string;
}

export interface LocalStack extends LocalStackState {
  /** Where DynamoDB Local keeps its data; undefined when in memory. */
  readonly dataDir: string | undefined;
  /** Messages of SCHEDULED tasks sent again at start (persisted data only). */
  readonly resentTasks: number;
  /** A DynamoDB Local left running by a killed stack on the same data, stopped at start. */
  readonly staleDynamoDbPid: number | undefined;
  /** Process id of the embedded DynamoDB Local JVM; undefined when an override is used. */
  readonly dynamodbPid: number | undefined;
  /** True when the SQS emulator runs in this process; false when an override is used. */
  readonly embeddedSqs: boolean;
  /** True when s3rver runs in this process; false when an override is used. */
  readonly embeddedS3: boolean;
  /** The state file written, if any. */
  readonly stateFile: string | undefined;
  /** Closes the API, stops the sweeper, then the emulators started here, and removes the state file. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs Tributary on one machine: DynamoDB Local, the SQS emulator and the S3
 * emulator, s3rver (or the endpoints the environment names), the table and queues from config, the HTTP
 * API over the real handlers, and the recovery sweeper on a timer. The handler
 * environment is set in `process.env`, because handlers read it at module load.
 *
 * @example
 * const stack = await startLocalStack({ port: 0, stateFile: null });
 * await fetch(`${stack.apiUrl}/health`);
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const logger = options.logger ?? consoleLogger;
  const { signal, dataDir } = options;
  const staleDynamoDbPid = dataDir === undefined ? undefined : await stopStaleDynamoDb(dataDir);
  // A taken port is reported now, not after the JVM has booted.
  await assertPortsFree(options.hostname ?? '127.0.0.1', [{ what: 'API', port: options.port ?? 3000, variable: 'PORT' }]);
  await assertPortsFree('127.0.0.1', [
    { what: 'DynamoDB Local', port: options.dynamodbPort ?? 0, variable: 'DYNAMODB_PORT' },
    { what: 'SQS emulator', port: options.sqsPort ?? 0, variable: 'SQS_PORT' },
    { what: 'S3 emulator', port: options.s3Port ?? 0, variable: 'S3_PORT' },
  ]);
  const emulators = await startEmulators({
    env: options.env ?? process.env,
    region: options.region,
    signal,
    dynamodbPort: options.dynamodbPort ?? 0,
    sqsPort: options.sqsPort ?? 0,
    s3Port: options.s3Port ?? 0,
    ...(dataDir === undefined ? {} : { dataDir, s3Directory: join(dataDir, 's3') }),
  });
  if (dataDir !== undefined) await writeDynamoDbPid(dataDir, emulators.dynamodbPid);
  const { region, dynamodbEndpoint, sqsEndpoint, s3Endpoint } = emulators;
  let api: RunningHttpServer | undefined;
  let sweeper: SweepLoop | undefined;
  let scheduler: SweepLoop | undefined;
  let startQueue: StartQueueLoop | undefined;
  // Reverse start order: no request or sweep should run against a stopped emulator.
  let stateFile: string | undefined;
  const stopAll = async (): Promise<void> => {
    await api?.close();
    await sweeper?.stop();
    await scheduler?.stop();
    await startQueue?.stop();
    await emulators.stop();
    if (dataDir !== undefined) await removeDynamoDbPid(dataDir);
    // Left behind, it would point clients at dead endpoints.
    if (stateFile !== undefined) await rm(stateFile, { force: true });
  };
  try {
    signal?.throwIfAborted();
    const resources = await createResources({ dynamodbEndpoint, sqsEndpoint, region, tableName: options.tableName, queuePrefix: options.queuePrefix });
    // Data kept from an older version is brought to this version's key layout before anything reads it.
    const upgraded = await withDynamoDb(dynamodbEndpoint, region, (client) => upgradeTableLayout(client, resources.tableName));
    if (upgraded > 0) logger('INFO', `gave ${upgraded} processes kept from an older version their sharded index keys (table layout ${TABLE_LAYOUT_VERSION})`);
    signal?.throwIfAborted();
    const start = await createStartQueue({ sqsEndpoint, region, queuePrefix: options.queuePrefix });
    const env = handlerEnv({ region, dynamodbEndpoint, sqsEndpoint, s3Endpoint, tableName: resources.tableName, queues: resources.queues, startDlqUrl: start.dlqUrl });
    // Before the API serves: the messages of the previous run's SCHEDULED tasks died with its SQS emulator.
    const resentTasks = dataDir === undefined ? 0 : await resendScheduledTasks({ dynamodbEndpoint, sqsEndpoint, region, tableName: resources.tableName, queues: resources.queues });
    api = await startHttpServer({ port: options.port ?? 3000, hostname: options.hostname, env, routes: options.routes, logger, accessLog: options.accessLog, consoleDir: options.consoleDir });
    const interval = options.sweepIntervalMs ?? 2000;
    if (interval > 0) sweeper = startSweepLoop({ intervalMs: interval, entry: options.sweeperEntry, region, logger });
    // The same function the deployed rule invokes once a minute; more often here, so that fires start within seconds.
    const schedulerInterval = options.schedulerIntervalMs ?? 10_000;
    if (schedulerInterval > 0) scheduler = startSweepLoop({ intervalMs: schedulerInterval, entry: schedulerEntry, label: 'Scheduler', region, logger });
    // Deployed, Lambda's event source mapping consumes the start queue; here, a poll loop hands the same handler its batches.
    startQueue = startStartQueueLoop({ queueUrl: start.queueUrl, sqsEndpoint, region, logger });

    const state: LocalStackState = {
      apiUrl: api.url,
      region,
      dynamodbEndpoint,
      sqsEndpoint,
      s3Endpoint,
      tableName: resources.tableName,
      queues: resources.queues,
      dlqs: resources.dlqs,
      startQueueUrl: start.queueUrl,
      startDlqUrl: start.dlqUrl,
    };
    const file = options.stateFile === undefined ? DEFAULT_STATE_FILE : (options.stateFile ?? undefined);
    if (file !== undefined) {
      await writeState(file, state);
      stateFile = file;
    }
    signal?.throwIfAborted();

    let stopping: Promise<void> | undefined;
    return {
      ...state,
      dataDir,
      resentTasks,
      staleDynamoDbPid,
      dynamodbPid: emulators.dynamodbPid,
      embeddedSqs: emulators.embeddedSqs,
      embeddedS3: emulators.embeddedS3,
      stateFile,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Written whole, with exactly the documented keys, so readers can rely on its shape. */
async function writeState(path: string, state: LocalStackState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const { apiUrl, region, dynamodbEndpoint, sqsEndpoint, s3Endpoint, tableName, queues, dlqs, startQueueUrl, startDlqUrl } = state;
  await writeFile(path, `${JSON.stringify({ apiUrl, region, dynamodbEndpoint, sqsEndpoint, s3Endpoint, tableName, queues, dlqs, startQueueUrl, startDlqUrl }, null, 2)}\n`);
}

/** Runs `body` with a DynamoDB client on the local endpoint, destroyed afterwards. */
async function withDynamoDb<T>(endpoint: string, region: string, body: (client: DynamoDBClient) => Promise<T>): Promise<T> {
  const client = new DynamoDBClient(localClientConfig(endpoint, region));
  try {
    return await body(client);
  } finally {
    client.destroy();
  }
}
