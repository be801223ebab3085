import { writeFile } from 'node:fs/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { buildOpenApiDocument } from '#schemas/openapi-document.ts';
import { CliError, reportError } from './cli-error.ts';
import { addConsoleCommand } from './console-command.ts';
import { addDefinitionCommands } from './definition-commands.ts';
import { addProcessCommands } from './process-commands.ts';
import { addScheduleCommands } from './schedule-commands.ts';
import { resolveTarget, type Target, type TargetOptions } from './target.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What every command gets: its target API (resolved on first use) and where to print. */
export interface CommandContext {
  target(): Target;
  out(line: string): void;
  err(line: string): void;
  setExitCode(code: number): void;
}

/**
 * The `tributary` command line: the local stack, definitions, processes and
 * manual tasks. Commands talk to the local stack by default
 * (`.tributary/local.json`), or to `--url` / `TRIBUTARY_URL`.
 *
 * @example
 * npx tributary apply examples/loan-application/loan-application.yaml
 * npx tributary start loan-application --input '{"applicant":"Ada"}' --watch
 */
export function buildProgram(): Command {
  const program = new Command('tributary')
    .description('Tributary: run DAG workflows on AWS, or locally with `tributary dev`')
    .option('--url <url>', 'API base URL (default: the local stack from .tributary/local.json; env TRIBUTARY_URL)')
    .option('--token <jwt>', 'bearer token for a JWT-authorized API (env TRIBUTARY_TOKEN); without it, remote URLs are SigV4-signed')
    .option('--region <region>', 'region for SigV4 signing (default: AWS_REGION, or the one in the URL)')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true);

  let target: Target | undefined;
  const ctx: CommandContext = {
    target: () => (target ??= resolveTarget(program.opts<TargetOptions>())),
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    setExitCode: (code) => {
      process.exitCode = code;
    },
  };

  program
    .command('dev')
    .description('run the whole stack on this machine (same as `npm start`); data is kept in .tributary/ across restarts')
    .option('--port <port>', 'API port (env PORT; default 3000)', port)
    .option('--host <host>', 'interface the API listens on (env HOST; default 127.0.0.1)')
    .option('--in-memory', 'keep nothing: DynamoDB Local in memory (env TRIBUTARY_IN_MEMORY=1)')
    .option('--sweep-interval <ms>', 'recovery sweep interval, 0 turns it off (env SWEEP_INTERVAL_MS; default 2000)')
    .action(async (opts: { port?: number; host?: string; inMemory?: boolean; sweepInterval?: string }) => {
      if (opts.port !== undefined) process.env.PORT = String(opts.port);
      if (opts.host !== undefined) process.env.HOST = opts.host;
      if (opts.inMemory) process.env.TRIBUTARY_IN_MEMORY = '1';
      if (opts.sweepInterval !== undefined) process.env.SWEEP_INTERVAL_MS = opts.sweepInterval;
      // The local stack (emulators, handlers from source) lives in a clone of the repository; the
      // published package's CLI is for deployed stacks and leaves it out of its bundle.
      const localStack = '../local/start.ts';
      await import(localStack).catch((error: unknown) => {
        throw new CliError(`tributary dev runs in a clone of the Tributary repository (npm start there): ${(error as Error).message}`);
      });
    });

  addDefinitionCommands(program, ctx);
  addProcessCommands(program, ctx);
  addConsoleCommand(program, ctx);
  addScheduleCommands(program, ctx);

  program
    .command('openapi')
    .description('print the OpenAPI 3.1 document of the API (the same as GET /openapi.json)')
    .option('--output <file>', 'write it to a file instead')
    .action(async (opts: { output?: string }) => {
      const text = `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
      if (opts.output) await writeFile(opts.output, text);
      else process.stdout.write(text);
    });

  return program;
}

function port(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is an integer from 0 to 65535.');
  return n;
}

/** Runs the CLI and sets the exit code; errors are printed as code and message, never as a stack. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    // Commander has already printed its own usage errors, and --help / --version.
    if (error instanceof CommanderError) process.exitCode = error.exitCode;
    else process.exitCode = reportError(error);
  }
}

await main();
