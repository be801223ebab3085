import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { routes as defaultRoutes, type RouteSpec } from '#config/routes.ts';
import { isConsolePath, serveConsole } from '../console/serve-console.ts';
import { buildHttpApiEvent } from './http-api-event.ts';
import { createLambdaContext } from './lambda-context.ts';
import { writeLambdaResult } from './lambda-result.ts';
import { consoleLogger, errorFields, type LocalLogger } from './log.ts';
import { compileRoutes, matchRoute, type CompiledRoute } from './route-matcher.ts';

/** The repository root: handler entries in the route table are relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** API Gateway's own payload cap is 10 MB; 1 MB keeps a runaway client from filling memory. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Longest request target (path and query) answered normally; longer gets 414 with the JSON error body. */
export const MAX_URL_BYTES = 16 * 1024;
/** Largest request line plus headers answered normally (Node's default limit); larger gets 431 with the JSON error body. */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * What Node's parser accepts before giving up on a request. Far above the
 * limits above, so that an oversized request is still read whole and answered
 * with the API's JSON error body instead of an empty 431 or a reset connection.
 */
const PARSER_MAX_HEADER_BYTES = 1024 * 1024;

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
  /** Serve the web console's built files from this folder at `/console`. @default undefined (no console) */
  readonly consoleDir?: string;
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
    if (options.consoleDir !== undefined && isConsolePath(path)) {
      await serveConsole(req, res, options.consoleDir);
      if (options.accessLog) logger('INFO', 'request', { method: req.method, path: url, status: res.statusCode, ms: Date.now() - started, requestId });
      return;
    }
    const match = matchRoute(compiled, req.method ?? 'GET', path);
    try {
      const tooLarge = oversized(req);
      if (tooLarge) {
        req.resume();
        res.setHeader('connection', 'close');
        sendError(res, tooLarge.status, tooLarge.code, tooLarge.message);
        return;
      }
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

  const server = createServer({ maxHeaderSize: PARSER_MAX_HEADER_BYTES }, (req, res) => {
    const done = serve(req, res).catch((error: unknown) => {
      logger('ERROR', 'local http server failed', errorFields(error));
      if (!res.headersSent) sendError(res, 500, 'InternalError', 'internal error');
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  });
  // Requests Node's parser refuses never reach the handler above: answer them here, in the API's error shape.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => answerParseError(error, socket));
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

/** A request line or headers over the limits, as the API's error; undefined when within them. */
function oversized(req: IncomingMessage): { status: number; code: string; message: string } | undefined {
  const urlBytes = Buffer.byteLength(req.url ?? '', 'utf8');
  if (urlBytes > MAX_URL_BYTES) return { status: 414, code: 'UriTooLong', message: `the request URL is ${urlBytes} bytes; the limit is ${MAX_URL_BYTES}` };
  const headerBytes = req.rawHeaders.reduce((sum, h) => sum + Buffer.byteLength(h, 'utf8') + 2, 0);
  if (headerBytes > MAX_HEADER_BYTES) {
    return { status: 431, code: 'HeadersTooLarge', message: `the request headers are ${headerBytes} bytes; the limit is ${MAX_HEADER_BYTES}` };
  }
  return undefined;
}

const PARSE_ERRORS: Readonly<Record<string, { status: number; reason: string; code: string; message: string }>> = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', code: 'HeadersTooLarge', message: `the request line and headers exceed ${PARSER_MAX_HEADER_BYTES} bytes` },
  HPE_INVALID_METHOD: {
    status: 405,
    reason: 'Method Not Allowed',
    code: 'MethodNotAllowed',
    message: 'unknown HTTP method; methods are case-sensitive: use GET, PUT or POST',
  },
};

/** Answers a request Node's HTTP parser refused, with the JSON error body, then closes the connection. */
function answerParseError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const known = PARSE_ERRORS[error.code ?? ''];
  const { status, reason, code, message } = known ?? { status: 400, reason: 'Bad Request', code: 'BadRequest', message: `malformed HTTP request (${error.code ?? error.message})` };
  const body = `${JSON.stringify({ error: { code, message } })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The API's error shape, `{"error":{"code","message"}}`, for failures the adapter itself detects. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(`${JSON.stringify({ error: { code, message } })}\n`);
}
