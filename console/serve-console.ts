import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { layoutGraph, LayoutRequestSchema } from './layout-graph.ts';

/** The path the console is served under, on the API's origin or on `tributary console`'s. */
export const CONSOLE_PATH = '/console';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
};
const MAX_LAYOUT_BODY_BYTES = 512 * 1024;

/** True when `path` belongs to the console (its files or its layout endpoint), not to the API. */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/**
 * Answers a console request: its static files from `dir` (the page itself for
 * `/console` and `/console/`), and `POST /console/layout`, the graph layout
 * (see `layout-graph.ts`). Errors come in the API's shape, `{error:{code,message}}`.
 */
export async function serveConsole(req: IncomingMessage, res: ServerResponse, dir: string): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === `${CONSOLE_PATH}/layout`) return serveLayout(req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    req.resume();
    return sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed on ${path}; use GET` } });
  }
  const rest = path.slice(CONSOLE_PATH.length).replace(/^\/+/, '') || 'index.html';
  const file = normalize(join(dir, decodeURIComponent(rest)));
  // No `..` out of the folder, and only the files the build writes.
  if (!file.startsWith(normalize(dir)) || !(extname(file) in TYPES)) {
    return sendJson(res, 404, { error: { code: 'RouteNotFound', message: `no console file ${path}` } });
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return sendJson(res, 404, { error: { code: 'RouteNotFound', message: `no console file ${path}` } });
  }
  res.statusCode = 200;
  res.setHeader('content-type', TYPES[extname(file)]!);
  // The page is small and rebuilt on start: always revalidate, never serve a stale build.
  res.setHeader('cache-control', 'no-cache');
  res.end(req.method === 'HEAD' ? undefined : body);
}

async function serveLayout(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    return sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: 'use POST /console/layout' } });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_LAYOUT_BODY_BYTES) return sendJson(res, 413, { error: { code: 'PayloadTooLarge', message: `a layout request is at most ${MAX_LAYOUT_BODY_BYTES} bytes` } });
    chunks.push(chunk);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return sendJson(res, 400, { error: { code: 'ValidationError', message: 'the body is not JSON' } });
  }
  const parsed = LayoutRequestSchema.safeParse(raw);
  if (!parsed.success) return sendJson(res, 400, { error: { code: 'ValidationError', message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } });
  sendJson(res, 200, await layoutGraph(parsed.data));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(`${JSON.stringify(body)}\n`);
}
