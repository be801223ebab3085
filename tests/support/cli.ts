import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `tributary` command, as the package's bin runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../cli/bin.js', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Killed (SIGKILL) after this long; the result then has code null. @default 60000 */
  readonly timeoutMs?: number;
}

/** Environment for a spawned CLI: no inherited target, so each test says where to go. */
function cliEnv(env: NodeJS.ProcessEnv | undefined): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };
  delete base.TRIBUTARY_URL;
  delete base.TRIBUTARY_TOKEN;
  delete base.TRIBUTARY_HOME;
  // The test process points these at the shared test emulators; `tributary dev` must start its own.
  delete base.AWS_ENDPOINT_URL;
  delete base.AWS_ENDPOINT_URL_DYNAMODB;
  delete base.AWS_ENDPOINT_URL_SQS;
  return { ...base, ...env };
}

/**
 * Runs `tributary <args>` in a child process and collects its output.
 *
 * @example
 * const { code, stdout } = await runCli(['--url', api.url, 'ps', '--json']);
 */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `tributary <args>` and returns the child, e.g. for `dev` or `watch`. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [CLI_BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
}
