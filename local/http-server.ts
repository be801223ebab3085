import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { routes as defaultRoutes, type RouteSpec } from '#config/routes.ts';
import { buildHttpApiEvent } from './http-api-event.ts';
import { createLambdaContext } from './lambda-context.ts';
import { writeLambdaResult } from './lambda-result.ts';
import { consoleLogger, errorFields, type LocalLogger } from './log.ts';
import { compileRoutes, matchRoute, type CompiledRoute } from './route-matcher.ts';

/** The repository root: handler entries in the route table are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** API Gateway's own payload cap is 10 MB; 1 MB keeps a runaway client from filling memory. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export interface HttpServerOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly hostname?: string;
  /**
   * Handler environment (table name, queue URLs, AWS endpoints). Copied into
   * `process.env` before any handler module loads, because handlers read it at
   * module scope; a module already imported keeps what it read.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** @default the API's route table (shared/config/routes.ts) */
  readonly routes?: readonly RouteSpec[];
  /** Directory that route entries are relative to. @default the repository root */
  readonly rootDir?: string;
  /** @default 29000, the HTTP API integration limit less a margin */
  readonly handlerTimeoutMs?: number;
  /** @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** @default one JSON line per error on stderr */
  readonly logger?: LocalLogger;
  /** Log one line per request. @default false */
  readonly accessLog?: boolean;
}

export interface RunningHttpServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish (up to 5 s), then drops connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves the route table over plain HTTP the way API Gateway HTTP APIs invoke
 * Lambda: each request becomes a payload-2.0 event for the route's handler
 * module, imported on first use, and the handler's result becomes the response.
 *
 * @example
 * const api = await startHttpServer({ port: 3000, env: handlerEnv(stack) });
 * // curl http://127.0.0.1:3000/health
 * await api.close();
 */
export async function startHttpServer(options: HttpServerOptions = {}): Promise<RunningHttpServer> {
  Object.assign(process.env, options.env ?? {});
  const hostname = options.hostname ?? '127.0.0.1';
  const compiled = compileRoutes(options.routes ?? defaultRoutes);
  const rootDir = options.rootDir ?? REPO_ROOT;
  const logger = options.logger ?? consoleLogger;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const modules = new Map<string, Promise<LambdaHandler>>();
  const inFlight = new Set<Promise<void>>();

  const loadHandler = (entry: string): Promise<LambdaHandler> => {
    let loaded = modules.get(entry);
    if (!loaded) {
      loaded = importHandler(resolve(rootDir, entry));
      // A failed import is retried on the next request, so fixing the file is enough.
      void loaded.catch(() => modules.delete(entry));
      modules.set(entry, loaded);
    }
    return loaded;
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = randomUUID();
    res.setHeader('apigw-requestid', requestId);
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const match = matchRoute(compiled, req.method ?? 'GET', path);
    try {
      if (match.kind !== 'matched') {
        // The body is not needed, but must be drained for the connection to be reused.
        req.resume();
        if (match.kind === 'not-found') sendError(res, 404, 'RouteNotFound', `no route for ${req.method} ${path}`);
        else if (match.kind === 'bad-path') sendError(res, 400, 'ValidationError', match.message);
        else {
          res.setHeader('allow', match.allowed.join(', '));
          sendError(res, 405, 'MethodNotAllowed', `${req.method} is not allowed on ${path}; use ${match.allowed.join(', ')}`);
        }
        return;
      }
      const body = await readBody(req, maxBodyBytes);
      // Lambda would still run, but nobody is left to answer; skipping keeps the log clean.
      if (body === 'aborted') return;
      if (body === 'too-large') {
        sendError(res, 413, 'PayloadTooLarge', `request body exceeds ${maxBodyBytes} bytes`);
        return;
      }
      await invoke(match.route, match.pathParameters, req, body, requestId, res);
    } finally {
      if (options.accessLog) {
        logger('INFO', 'request', { method: req.method, path: url, status: res.statusCode, ms: Date.now() - started, requestId });
      }
    }
  };

  const invoke = async (
    route: CompiledRoute,
    pathParameters: Readonly<Record<string, string>>,
    req: IncomingMessage,
    body: Buffer,
    requestId: string,
    res: ServerResponse,
  ): Promise<void> => {
    const now = new Date();
    const event = buildHttpApiEvent({
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headersDistinct,
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
      routeKey: route.routeKey,
      pathParameters,
      requestId,
      now,
    });
    const context = createLambdaContext({
      functionName: `tributary-${route.route.id}`,
      timeoutMs: options.handlerTimeoutMs ?? 29_000,
      region: process.env.AWS_REGION ?? 'us-east-1',
    });
    try {
      const handler = await loadHandler(route.route.entry);
      writeLambdaResult(res, await handler(event, context));
    } catch (error) {
      logger('ERROR', 'handler failed', { route: route.routeKey, entry: route.route.entry, requestId, ...errorFields(error) });
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'internal error');
      else res.destroy();
    }
  };

  const server = createServer((req, res) => {
    const done = serve(req, res).catch((error: unknown) => {
      logger('ERROR', 'local http server failed', errorFields(error));
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'internal error');
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, hostname, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('local http server is not listening on a TCP port');

  let closing: Promise<void> | undefined;
  return {
    url: `http://${advertisedHost(hostname)}:${address.port}`,
    port: address.port,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeIdleConnections();
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 5000).unref())]);
        server.closeAllConnections();
        await closed;
      })()),
  };
}

/** A wildcard bind is reachable on loopback; that is the URL worth printing. */
function advertisedHost(hostname: string): string {
  if (hostname === '0.0.0.0' || hostname === '::') return '127.0.0.1';
  return hostname.includes(':') ? `[${hostname}]` : hostname;
}

async function importHandler(path: string): Promise<LambdaHandler> {
  const mod = (await import(pathToFileURL(path).href)) as { handler?: unknown };
  if (typeof mod.handler !== 'function') throw new Error(`${path} does not export a 'handler' function`);
  return mod.handler as LambdaHandler;
}

/**
 * Buffers the body, giving up past `limit` bytes: a declared Content-Length is
 * checked before reading, a chunked body while it streams. The rest of an
 * oversized body is drained, not buffered, so the client still gets the 413.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        resolveBody('too-large');
      } else chunks.push(chunk);
    });
    req.once('end', () => resolveBody(Buffer.concat(chunks)));
    // A client that hangs up mid-body emits 'close' (and maybe 'error') but never 'end'.
    req.once('close', () => resolveBody('aborted'));
    req.once('error', reject);
  });
}

/** The API's error shape, `{"error":{"code","message"}}`, for failures the adapter itself detects. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(`${JSON.stringify({ error: { code, message } })}\n`);
}
