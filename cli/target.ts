import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { sigv4Fetch } from '../client/sigv4-fetch.ts';
import { TributaryClient } from '../client/tributary-client.ts';
import { CliError } from './cli-error.ts';

/** Global options every command takes. */
export interface TargetOptions {
  readonly url?: string;
  readonly token?: string;
  readonly region?: string;
}

const LocalStateSchema = z.object({ apiUrl: z.string().url() });

/** Where `.tributary/local.json` is: in `from` or the nearest parent that has one. */
export function findLocalState(from: string = process.cwd()): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    const candidate = join(dir, '.tributary', 'local.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface Target {
  readonly url: string;
  readonly auth: 'none' | 'jwt' | 'sigv4';
  readonly client: TributaryClient;
}

/**
 * The API a command talks to:
 * 1. `--url` / `TRIBUTARY_URL`, with `--token` / `TRIBUTARY_TOKEN` as a JWT, or
 *    else SigV4-signed from the standard AWS credential chain unless it is a loopback URL;
 * 2. the local stack named in `$TRIBUTARY_HOME/local.json`, or else in
 *    `.tributary/local.json` of this directory or the nearest parent that has one.
 */
export function resolveTarget(options: TargetOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const token = options.token ?? env.TRIBUTARY_TOKEN;
  const explicit = options.url ?? env.TRIBUTARY_URL;
  let url: string;
  if (explicit) url = explicit;
  else {
    const home = env.TRIBUTARY_HOME?.trim();
    const file = home ? join(resolve(home), 'local.json') : findLocalState();
    if (home && !existsSync(file!)) throw new CliError(`no local stack found at ${file} (TRIBUTARY_HOME). Start one with \`npx tributary dev\`.`);
    if (!file) throw new CliError('no local stack found (.tributary/local.json). Start one with `npx tributary dev`, or pass --url / set TRIBUTARY_URL.');
    const parsed = LocalStateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new CliError(`${file} has no apiUrl; restart the local stack with \`npx tributary dev\``);
    url = parsed.data.apiUrl;
  }
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    throw new CliError(`not a URL: '${url}'`);
  }
  const base = { baseUrl: url, retries: 1, backoff: { baseMs: 200, maxMs: 1000 } };
  if (token) return { url, auth: 'jwt', client: new TributaryClient({ ...base, headers: { authorization: `Bearer ${token}` } }) };
  if (!explicit || ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) return { url, auth: 'none', client: new TributaryClient(base) };
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? /execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(host)?.[1];
  if (!region) throw new CliError(`cannot tell the region of ${url}: pass --region or set AWS_REGION`);
  return { url, auth: 'sigv4', client: new TributaryClient({ ...base, fetch: sigv4Fetch({ region }) }) };
}
