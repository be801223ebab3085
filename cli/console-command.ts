import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { Command } from 'commander';
import { sigv4Fetch } from '../client/sigv4-fetch.ts';
import { CliError } from './cli-error.ts';
import { startConsoleServer, type ConsoleAuth } from './console-server.ts';
import type { CommandContext } from './main.ts';
import { resolveTarget } from './target.ts';

interface ConsoleOptions {
  url?: string;
  token?: string;
  region?: string;
  profile?: string;
  port?: string;
  host?: string;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]', '::1'];

/**
 * The built console: beside the published CLI (`dist/console`, built by
 * `npm run build`), or, in a clone of the repository, built from source now
 * with esbuild (a dev dependency, so never imported by the published CLI).
 */
async function consoleFiles(): Promise<string> {
  const shipped = fileURLToPath(new URL('../console/', import.meta.url));
  if (existsSync(`${shipped}app.js`)) return shipped;
  const builder = '../console/build-console.ts';
  const { ensureConsoleBuilt } = (await import(builder)) as typeof import('../console/build-console.ts');
  return ensureConsoleBuilt();
}

/**
 * `tributary console`: the web console on localhost against any API. It
 * proxies the API through this process and signs each call with SigV4 (from
 * `--profile`, or the default credential chain) or adds the `--token` JWT.
 * A loopback URL without `--profile` or `--token` (a local stack) is sent unsigned.
 */
export function addConsoleCommand(program: Command, ctx: CommandContext): void {
  program
    .command('console')
    .description('serve the web console on localhost against an API (default: the local stack), signing calls with SigV4 (--profile) or a JWT (--token)')
    .option('--profile <name>', 'AWS profile whose credentials sign the calls (SigV4); credentials never reach the browser')
    .option('--port <port>', 'local port (default: a free one)')
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .action(async (_opts: ConsoleOptions, command: Command) => {
      const opts = command.optsWithGlobals<ConsoleOptions>();
      if (opts.token && opts.profile) throw new CliError('pass --profile or --token, not both');
      const url = opts.url ?? process.env.TRIBUTARY_URL ?? resolveTarget({}).url;
      const token = opts.token ?? process.env.TRIBUTARY_TOKEN;
      let host: string;
      try {
        host = new URL(url).hostname;
      } catch {
        throw new CliError(`not a URL: '${url}'`);
      }
      let auth: ConsoleAuth = { kind: 'none' };
      if (token) auth = { kind: 'jwt', token };
      else if (opts.profile || !LOOPBACK.includes(host)) {
        const region = opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? /execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(host)?.[1];
        if (!region) throw new CliError(`cannot tell the region of ${url}: pass --region or set AWS_REGION`);
        auth = { kind: 'sigv4', fetch: sigv4Fetch({ region, credentials: defaultProvider(opts.profile ? { profile: opts.profile } : {}) }) };
      }
      const port = opts.port === undefined ? 0 : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError('--port is an integer from 0 to 65535');
      const server = await startConsoleServer({ apiUrl: url, auth, consoleDir: await consoleFiles(), port, ...(opts.host ? { host: opts.host } : {}) });
      const how = auth.kind === 'sigv4' ? `SigV4-signed${opts.profile ? ` with profile ${opts.profile}` : ''}` : auth.kind === 'jwt' ? 'with the JWT' : 'unsigned';
      ctx.out(`Tributary console for ${url} (${how}): ${server.url}`);
      ctx.out('Press Ctrl-C to stop.');
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
