/**
 * `npm start` (and `npx tributary dev`): runs the whole stack on this machine until Ctrl-C.
 *
 * Environment:
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1): where the API listens
 * - `DYNAMODB_PORT` (default 8000), `SQS_PORT` (default 9324), `S3_PORT` (default 4569):
 *   the emulators' ports; fixed, so that workers reconnect after a restart
 * - `TRIBUTARY_IN_MEMORY=1`: keep nothing; by default DynamoDB Local's data
 *   is kept in `.tributary/data` (s3rver's objects in `.tributary/data/s3`) and survives a restart
 * - `TRIBUTARY_HOME` (default `./.tributary`): where `local.json` and `data/` go
 * - `SWEEP_INTERVAL_MS` (default 2000; 0 turns the sweeper off)
 * - `SCHEDULER_INTERVAL_MS` (default 10000; 0 turns the schedules' scheduler off)
 * - `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_S3`: use
 *   services already running there instead of the embedded emulators
 * - `AWS_REGION` (default us-east-1)
 */
import { join, relative, resolve } from 'node:path';
import { ensureConsoleBuilt } from '../console/build-console.ts';
import { CONSOLE_PATH } from '../console/serve-console.ts';
import { JavaNotAvailableError } from './emulators.ts';
import { DEFAULT_PORTS, startLocalStack, type LocalStack } from './local-stack.ts';
import { PortInUseError } from './port-check.ts';
import { DataDirInUseError } from './stale-dynamodb.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function intFromEnv(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    console.error(`${name} must be an integer from 0 to ${max}, got '${raw}'`);
    process.exit(1);
  }
  return value;
}

const port = intFromEnv('PORT', DEFAULT_PORTS.api, 65535);
const dynamodbPort = intFromEnv('DYNAMODB_PORT', DEFAULT_PORTS.dynamodb, 65535);
const sqsPort = intFromEnv('SQS_PORT', DEFAULT_PORTS.sqs, 65535);
const s3Port = intFromEnv('S3_PORT', DEFAULT_PORTS.s3, 65535);
const sweepIntervalMs = intFromEnv('SWEEP_INTERVAL_MS', 2000);
const schedulerIntervalMs = intFromEnv('SCHEDULER_INTERVAL_MS', 10_000);
const inMemory = ['1', 'true', 'yes'].includes((process.env.TRIBUTARY_IN_MEMORY ?? '').trim().toLowerCase());
// The current directory, not this file's: `npx tributary dev` in a project keeps its state in that project.
const home = resolve(process.env.TRIBUTARY_HOME?.trim() || '.tributary');
const dataDir = inMemory ? undefined : join(home, 'data');

// Handlers go in before startup, so that Ctrl-C while the JVM boots still cleans up.
const startup = new AbortController();
let stack: LocalStack | undefined;
let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) {
    // A second Ctrl-C means "now": the exit hook still kills DynamoDB Local.
    console.error(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  if (!stack) {
    // startLocalStack sees the abort, stops what it started, and the catch below exits.
    startup.abort(new Error(`interrupted by ${signal}`));
    return;
  }
  stack.stop().then(
    () => {
      console.log('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      console.error('error while stopping', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);

console.log('Starting Tributary: DynamoDB Local takes a few seconds to boot…');
const started = Date.now();
try {
  stack = await startLocalStack({
    port,
    hostname: process.env.HOST ?? '127.0.0.1',
    dynamodbPort,
    sqsPort,
    s3Port,
    ...(dataDir === undefined ? {} : { dataDir }),
    sweepIntervalMs,
    schedulerIntervalMs,
    stateFile: join(home, 'local.json'),
    accessLog: true,
    // Built here, not by an npm script: see console/build-console.ts.
    consoleDir: await ensureConsoleBuilt(),
    signal: startup.signal,
  });
} catch (error) {
  if (startup.signal.aborted) {
    console.log('stopped');
    process.exit(0);
  }
  // A missing JVM or a taken port is a setup problem, not a bug: say what to do.
  if (error instanceof JavaNotAvailableError || error instanceof PortInUseError || error instanceof DataDirInUseError) console.error(error.message);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`Port ${port} is already in use (another \`npm start\`?). Stop that process, or pick another port: PORT=3001 npm start`);
  } else console.error(error);
  process.exit(1);
}

const row = (label: string, value: string): string => `  ${label.padEnd(10)} ${value}`;
const storage = stack.dataDir ? `DynamoDB Local, data in ${relative(process.cwd(), stack.dataDir)}` : 'DynamoDB Local, in memory';
console.log(
  [
    `Tributary local stack is running (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    row('API', stack.apiUrl),
    row('Console', `${stack.apiUrl}${CONSOLE_PATH}/`),
    row('DynamoDB', `${stack.dynamodbEndpoint}${stack.dynamodbPid === undefined ? ' (external)' : ` (${storage})`}`),
    row('SQS', `${stack.sqsEndpoint}${stack.embeddedSqs ? ' (in-process emulator)' : ' (external)'}`),
    row('S3', `${stack.s3Endpoint}${stack.embeddedS3 ? ' (in-process s3rver, path-style)' : ' (external)'}`),
    row('Region', stack.region),
    row('Table', stack.tableName),
    ...Object.entries(stack.queues).map(([name, url]) => row('Queue', `${name} → ${url} (DLQ ${stack?.dlqs[name]})`)),
    row('Start', `${stack.startQueueUrl} (a message starts a process; DLQ ${stack.startDlqUrl})`),
    row('Sweeper', sweepIntervalMs > 0 ? `every ${sweepIntervalMs} ms` : 'off'),
    row('Scheduler', schedulerIntervalMs > 0 ? `every ${schedulerIntervalMs} ms` : 'off'),
    ...(stack.stateFile ? [row('Endpoints', relative(process.cwd(), stack.stateFile))] : []),
    ...(stack.staleDynamoDbPid ? [row('Cleaned', `stopped DynamoDB Local (pid ${stack.staleDynamoDbPid}) left by a stack that was killed`)] : []),
    ...(stack.resentTasks > 0 ? [row('Resent', `${stack.resentTasks} message(s) of SCHEDULED tasks from before the restart`)] : []),
    stack.dataDir ? 'Data survives a restart; TRIBUTARY_IN_MEMORY=1 (or `tributary dev --in-memory`) keeps nothing.' : 'In memory: everything is gone when it stops.',
    'Press Ctrl-C to stop.',
  ].join('\n'),
);
