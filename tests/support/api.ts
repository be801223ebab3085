import type { LocalResources } from '../../local/create-resources.ts';
import { startHttpServer, type HttpServerOptions } from '../../local/http-server.ts';
import { silentLogger } from '../../local/log.ts';
import { testHandlerEnv } from './resources.ts';

export interface TestResponse<T> {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body; undefined when the body is empty or not JSON. */
  readonly body: T;
  readonly text: string;
}

export interface TestApi {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /**
   * Sends one request. An object body is sent as JSON; a string is sent as is,
   * so set `content-type` yourself for YAML and the like.
   */
  request<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse<T>>;
  close(): Promise<void>;
}

export interface TestApiOptions extends Omit<HttpServerOptions, 'port' | 'env'> {
  /** Table and queues the handlers use. @default the shared test resources */
  readonly resources?: LocalResources;
  /** Called with every exchange `request()` makes, e.g. to check each answer against openapi.json. */
  readonly onResponse?: (exchange: { method: string; path: string; status: number; body: unknown }) => void;
}

/**
 * Serves the API (the real route table unless `routes` is given) on a free
 * port, with the handlers pointed at the test emulators. Errors that handlers
 * throw are not logged unless a `logger` is passed.
 *
 * @example
 * const api = await startTestApi();
 * const res = await api.request('GET', '/health');
 * expect(res).toMatchObject({ status: 200, body: { status: 'ok' } });
 * await api.close();
 */
export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const { resources, onResponse, ...serverOptions } = options;
  const server = await startHttpServer({ logger: silentLogger, ...serverOptions, port: 0, env: testHandlerEnv(resources) });
  return {
    url: server.url,
    close: () => server.close(),
    request: async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse<T>> => {
      const requestHeaders = new Headers(headers);
      let payload: string | Uint8Array | undefined;
      if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
      else if (body !== undefined) {
        payload = JSON.stringify(body);
        if (!requestHeaders.has('content-type')) requestHeaders.set('content-type', 'application/json');
      }
      const res = await fetch(`${server.url}${path}`, { method, headers: requestHeaders, ...(payload === undefined ? {} : { body: payload }) });
      const text = await res.text();
      onResponse?.({ method, path, status: res.status, body: parseJson(text) });
      return { status: res.status, headers: res.headers, body: parseJson(text) as T, text };
    },
  };
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
