import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { RouteSpec } from '#config/routes.ts';
import { handlerEnv } from './aws-env.ts';
import { createResources } from './create-resources.ts';
import { startEmulators } from './emulators.ts';
import { REPO_ROOT, startHttpServer, type RunningHttpServer } from './http-server.ts';
import { consoleLogger, type LocalLogger } from './log.ts';
import { startSweepLoop, type SweepLoop } from './sweep-loop.ts';

/** Where `npm start` writes the endpoints for clients, examples and the benchmark. */
export const DEFAULT_STATE_FILE = resolve(REPO_ROOT, '.tributary/local.json');

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
}

/** What `.tributary/local.json` holds, exactly. */
export interface LocalStackState {
  readonly apiUrl: string;
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly queues: Readonly<Record<string, string>>;
}

export interface LocalStack extends LocalStackState {
  /** Queue name to the URL of its dead-letter queue. */
  readonly dlqs: Readonly<Record<string, string>>;
  /** Process id of the embedded DynamoDB Local JVM; undefined when an override is used. */
  readonly dynamodbPid: number | undefined;
  /** True when the SQS emulator runs in this process; false when an override is used. */
  readonly embeddedSqs: boolean;
  /** The state file written, if any. */
  readonly stateFile: string | undefined;
  /** Closes the API, stops the sweeper, then the emulators started here. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs Tributary on one machine: DynamoDB Local and the SQS emulator (or the
 * endpoints the environment names), the table and queues from config, the HTTP
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
  const { signal } = options;
  const emulators = await startEmulators({ env: options.env ?? process.env, region: options.region, signal });
  const { region, dynamodbEndpoint, sqsEndpoint } = emulators;
  let api: RunningHttpServer | undefined;
  let sweeper: SweepLoop | undefined;
  // Reverse start order: no request or sweep should run against a stopped emulator.
  const stopAll = async (): Promise<void> => {
    await api?.close();
    await sweeper?.stop();
    await emulators.stop();
  };
  try {
    signal?.throwIfAborted();
    const resources = await createResources({ dynamodbEndpoint, sqsEndpoint, region, tableName: options.tableName, queuePrefix: options.queuePrefix });
    signal?.throwIfAborted();
    const env = handlerEnv({ region, dynamodbEndpoint, sqsEndpoint, tableName: resources.tableName, queues: resources.queues });
    api = await startHttpServer({ port: options.port ?? 3000, hostname: options.hostname, env, routes: options.routes, logger, accessLog: options.accessLog });
    const interval = options.sweepIntervalMs ?? 2000;
    if (interval > 0) sweeper = startSweepLoop({ intervalMs: interval, entry: options.sweeperEntry, region, logger });

    const state: LocalStackState = { apiUrl: api.url, region, dynamodbEndpoint, sqsEndpoint, tableName: resources.tableName, queues: resources.queues };
    const stateFile = options.stateFile === undefined ? DEFAULT_STATE_FILE : (options.stateFile ?? undefined);
    if (stateFile !== undefined) await writeState(stateFile, state);
    signal?.throwIfAborted();

    let stopping: Promise<void> | undefined;
    return { ...state, dlqs: resources.dlqs, dynamodbPid: emulators.dynamodbPid, embeddedSqs: emulators.embeddedSqs, stateFile, stop: () => (stopping ??= stopAll()) };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Written whole, with exactly the documented keys, so readers can rely on its shape. */
async function writeState(path: string, state: LocalStackState): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const { apiUrl, region, dynamodbEndpoint, sqsEndpoint, tableName, queues } = state;
  await writeFile(path, `${JSON.stringify({ apiUrl, region, dynamodbEndpoint, sqsEndpoint, tableName, queues }, null, 2)}\n`);
}
