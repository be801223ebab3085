/** A scripted `fetch` for unit tests: no network, every request recorded. */

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly body: string | undefined;
}

/** One scripted answer: a response, or an error that fetch throws (a network failure). */
export type Scripted = { status: number; body?: unknown; headers?: Record<string, string> } | { throws: Error };

export interface FakeFetch {
  readonly fetch: typeof fetch;
  readonly requests: RecordedRequest[];
}

/**
 * Answers requests with `script` in order; the last entry repeats once the
 * script runs out, so `[{ status: 503 }]` fails forever.
 *
 * @example
 * const fake = fakeFetch([{ status: 503 }, { status: 200, body: { status: 'ok' } }]);
 * const client = new TributaryClient({ baseUrl: 'http://api', fetch: fake.fetch });
 */
export function fakeFetch(script: readonly Scripted[]): FakeFetch {
  const requests: RecordedRequest[] = [];
  const fetchFn: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    requests.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body === null ? undefined : await request.text(),
    });
    const next = script[Math.min(requests.length - 1, script.length - 1)];
    if (!next) throw new Error('fakeFetch: empty script');
    if ('throws' in next) throw next.throws;
    const text = next.body === undefined ? '' : typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
    return new Response(text === '' ? null : text, { status: next.status, headers: { 'content-type': 'application/json', ...next.headers } });
  };
  return { fetch: fetchFn, requests };
}

/** What undici throws when a connection is refused. */
export function connectionRefused(): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
}

export const apiError = (status: number, code: string, message = code, details?: unknown): Scripted => ({
  status,
  body: { error: { code, message, ...(details === undefined ? {} : { details }) } },
});
