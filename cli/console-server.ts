import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CONSOLE_PATH, isConsolePath, serveConsole } from '../console/serve-console.ts';

/** How the console server authenticates to the API: credentials stay in this process, never in the browser. */
export type ConsoleAuth = { readonly kind: 'none' } | { readonly kind: 'jwt'; readonly token: string } | { readonly kind: 'sigv4'; readonly fetch: typeof fetch };

export interface ConsoleServerOptions {
  /** The API to proxy to, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  readonly apiUrl: string;
  readonly auth: ConsoleAuth;
  /** The built console (console/build-console.ts). */
  readonly consoleDir: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1': the console is for the person at this machine */
  readonly host?: string;
}

export interface RunningConsoleServer {
  /** The console's address, e.g. `http://127.0.0.1:4100/console/`. */
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
/** Request headers passed on to the API; cookies and any authorization from the browser are not. */
const FORWARDED = ['content-type', 'accept', 'idempotency-key'];

/**
 * Serves the console's files on localhost and proxies every other path to the
 * API, adding the credentials there: a SigV4 signature from the user's AWS
 * credentials, or the JWT. The browser talks to one origin and never sees a
 * key or a token.
 *
 * @example
 * const server = await startConsoleServer({ apiUrl, auth: { kind: 'jwt', token }, consoleDir: await ensureConsoleBuilt() });
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<RunningConsoleServer> {
  const base = options.apiUrl.replace(/\/+$/, '');
  const send: typeof fetch = options.auth.kind === 'sigv4' ? options.auth.fetch : (input, init) => fetch(input, init);
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 502, { error: { code: 'BadGateway', message: `the API did not answer: ${(error as Error).message}` } });
      else res.destroy();
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/') {
      res.statusCode = 302;
      res.setHeader('location', `${CONSOLE_PATH}/`);
      res.end();
      return;
    }
    if (isConsolePath(path)) return serveConsole(req, res, options.consoleDir);
    const body = await readBody(req);
    if (body === undefined) return sendJson(res, 413, { error: { code: 'PayloadTooLarge', message: `request body exceeds ${MAX_BODY_BYTES} bytes` } });
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (options.auth.kind === 'jwt') headers.authorization = `Bearer ${options.auth.token}`;
    const method = req.method ?? 'GET';
    const answer = await send(`${base}${req.url ?? '/'}`, { method, headers, ...(body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { body } : {}) });
    res.statusCode = answer.status;
    const type = answer.headers.get('content-type');
    if (type) res.setHeader('content-type', type);
    res.end(Buffer.from(await answer.arrayBuffer()));
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the console server is not listening on a TCP port');
  const host = options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  return {
    url: `http://${host}:${address.port}${CONSOLE_PATH}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(`${JSON.stringify(body)}\n`);
}
