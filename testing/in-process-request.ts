/** What the in-process fetch needs of a request to build an API Gateway event from it. */
export interface InProcessRequest {
  readonly method: string;
  readonly url: URL;
  /** Header name (lower case) to its values. */
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

/**
 * Reads a `fetch` call's request. The client calls with a URL string, a plain header object and a string body (or
 * none): those are read directly, without building a `Request` (its streams, signal and header guards cost more CPU
 * than the handler they feed, and the engine's figures are the handlers'). Anything else goes through `Request`.
 */
export async function readInProcessRequest(input: string | URL | Request, init: RequestInit | undefined): Promise<InProcessRequest> {
  const plainHeaders = init?.headers === undefined || (typeof init.headers === 'object' && Object.getPrototypeOf(init.headers) === Object.prototype);
  if (typeof input === 'string' && (init?.body === undefined || typeof init.body === 'string') && plainHeaders) {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of Object.entries((init?.headers ?? {}) as Record<string, string>)) (headers[name.toLowerCase()] ??= []).push(value);
    const body = typeof init?.body === 'string' ? Buffer.from(init.body, 'utf8') : Buffer.alloc(0);
    // As `Request` does: a string body without a content type is text.
    if (typeof init?.body === 'string' && headers['content-type'] === undefined) headers['content-type'] = ['text/plain;charset=UTF-8'];
    return { method: (init?.method ?? 'GET').toUpperCase(), url: new URL(input), headers, body };
  }
  const request = new Request(input, init);
  return {
    method: request.method,
    url: new URL(request.url),
    headers: Object.fromEntries([...request.headers].map(([k, v]) => [k, [v]])),
    body: Buffer.from(await request.arrayBuffer()),
  };
}
