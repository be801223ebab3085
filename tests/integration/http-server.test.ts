import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteSpec } from '#config/routes.ts';
import type { LocalLogger } from '../../local/log.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { testEmulators } from '../support/clients.ts';
import type { EchoBody } from '../support/fixtures/echo-handler.ts';

const ECHO = 'tests/support/fixtures/echo-handler.ts';
const fixtureRoutes: RouteSpec[] = [
  { id: 'Echo', method: 'GET', path: '/echo/{name}/items/{item}', entry: ECHO, group: 'read' },
  { id: 'EchoSpecial', method: 'GET', path: '/echo/{name}/items/special', entry: ECHO, group: 'read' },
  { id: 'EchoPost', method: 'POST', path: '/echo', entry: ECHO, group: 'read' },
  { id: 'EchoPut', method: 'PUT', path: '/echo', entry: ECHO, group: 'read' },
  { id: 'Missing', method: 'GET', path: '/missing', entry: 'tests/support/fixtures/does-not-exist.ts', group: 'read' },
];

describe('local HTTP adapter with the real route table', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  it('serves GET /health through the real handler', async () => {
    const res = await api.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('apigw-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the task routes: a page of tasks, one task whole, 404 TaskNotFound, and /tasks/active before /tasks/{task}', async () => {
    const name = `http-tasks-${Date.now()}`;
    const put = await api.request('PUT', `/definitions/${name}`, { tasks: [{ name: 'active' }, { name: 'b c', needs: ['active'] }] });
    expect(put.status).toBe(201);
    const started = await api.request<{ id: string }>('POST', '/processes', { definition: name, input: { n: 1 } });
    const id = started.body.id;
    const page = await api.request<{ items: { name: string; status: string }[]; nextToken?: string }>('GET', `/processes/${id}/tasks?limit=1`);
    expect(page.status).toBe(200);
    expect(page.body.items.map((t) => [t.name, t.status])).toEqual([['active', 'SCHEDULED']]);
    const rest = await api.request<{ items: { name: string; status: string }[]; nextToken?: string }>('GET', `/processes/${id}/tasks?limit=1&nextToken=${page.body.nextToken}`);
    expect([rest.body.items.map((t) => [t.name, t.status]), rest.body.nextToken]).toEqual([[['b c', 'PENDING']], undefined]);
    const one = await api.request<{ name: string; status: string; events: { type: string }[] }>('GET', `/processes/${id}/tasks/b%20c`);
    expect([one.status, one.body.name, one.body.status, one.body.events]).toEqual([200, 'b c', 'PENDING', []]);
    // The literal route wins, as on API Gateway: a task named `active` is read through the list, not this path.
    const active = await api.request<{ items: { name: string }[] }>('GET', `/processes/${id}/tasks/active`);
    expect([active.status, active.body.items.map((t) => t.name)]).toEqual([200, ['active']]);
    const missing = await api.request<{ error: { code: string } }>('GET', `/processes/${id}/tasks/nope`);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'TaskNotFound']);
    const bad = await api.request<{ error: { code: string; message: string } }>('GET', `/processes/${id}/tasks?limit=0`);
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ValidationError']);
  });

  it("decodes a map child's name on the task routes: resize%5B41%5D reaches the handler as resize[41]", async () => {
    const name = `http-child-${Date.now()}`;
    expect((await api.request('PUT', `/definitions/${name}`, { tasks: [{ name: 'list-files' }] })).status).toBe(201);
    const { id } = (await api.request<{ id: string }>('POST', '/processes', { definition: name })).body;
    // The process has no such child (maps expand on the server): the 404 names the task the handler was given.
    const claim = await api.request<{ error: { code: string; message: string } }>('POST', `/processes/${id}/tasks/resize%5B41%5D/claim`, { workerId: 'w' });
    expect([claim.status, claim.body.error.code, claim.body.error.message]).toEqual([404, 'TaskNotFound', `process '${id}' has no task 'resize[41]'`]);
    const read = await api.request<{ error: { code: string; message: string } }>('GET', `/processes/${id}/tasks/resize%5B41%5D`);
    expect([read.status, read.body.error.code]).toEqual([404, 'TaskNotFound']);
    expect(read.body.error.message).toContain("'resize[41]'");
  });

  it('answers an unknown path with 404 RouteNotFound', async () => {
    const res = await api.request('GET', '/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'RouteNotFound', message: expect.stringContaining('/no/such/route') } });
  });

  it('does not match a trailing slash silently', async () => {
    expect((await api.request('GET', '/health/')).status).toBe(404);
  });

  it('answers a known path with the wrong method with 405 MethodNotAllowed and Allow', async () => {
    const res = await api.request('DELETE', '/health');
    expect(res.status).toBe(405);
    expect(res.body).toEqual({ error: { code: 'MethodNotAllowed', message: expect.any(String) } });
    expect(res.headers.get('allow')).toBe('GET');
    const both = await api.request('DELETE', '/definitions/x');
    expect(both.headers.get('allow')).toBe('GET, PUT');
  });

  it('rejects a body over 1 MiB at the socket with 413 PayloadTooLarge', async () => {
    // Rejected before the handler module is even loaded.
    const res = await api.request('POST', '/processes', 'x'.repeat(1024 * 1024 + 1), { 'content-type': 'text/plain' });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'PayloadTooLarge', message: expect.any(String) } });
    // Without a Content-Length the limit is enforced while the chunks stream in.
    const chunked = await rawRequest(`${api.url}/processes`, { method: 'POST' }, [Buffer.alloc(700 * 1024), Buffer.alloc(700 * 1024)]);
    expect(chunked.status).toBe(413);
  });
});

describe('local HTTP adapter: requests Node would refuse with an empty answer', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api?.close());

  const errorOf = (raw: RawSocketResponse) => JSON.parse(raw.body) as { error: { code: string; message: string } };

  it('ends every JSON answer with a newline, so a shell prompt starts on its own line', async () => {
    expect((await api.request('GET', '/health')).text).toBe('{"status":"ok"}\n');
    expect((await api.request('GET', '/nope')).text.endsWith('}\n')).toBe(true);
  });

  it('answers a 70 KB path with 414 UriTooLong and the JSON error body', async () => {
    const raw = await rawSocket(api.url, `GET /${'a'.repeat(70 * 1024)} HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(raw.status).toBe(414);
    expect(errorOf(raw).error.code).toBe('UriTooLong');
  });

  it('answers headers over 16 KiB with 431 HeadersTooLarge, and over 1 MiB too', async () => {
    const big = await rawSocket(api.url, `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(20 * 1024)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(errorOf(big).error.code).toBe('HeadersTooLarge');
    const huge = await rawSocket(api.url, `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'b'.repeat(1100 * 1024)}\r\n\r\n`);
    expect(huge.status).toBe(431);
    expect(errorOf(huge).error.code).toBe('HeadersTooLarge');
  });

  it('answers an unknown method and a lower-case one with 405 MethodNotAllowed and the JSON error body', async () => {
    for (const method of ['FOO', 'get']) {
      const raw = await rawSocket(api.url, `${method} /health HTTP/1.1\r\nhost: x\r\n\r\n`);
      expect(raw.status, method).toBe(405);
      expect(errorOf(raw).error).toEqual({ code: 'MethodNotAllowed', message: expect.stringContaining('case-sensitive') });
    }
  });
});

describe('local HTTP adapter event shape (fixture routes)', () => {
  let api: TestApi;
  const logged: Array<{ message: string; fields: unknown }> = [];
  const logger: LocalLogger = (_level, message, fields) => logged.push({ message, fields });

  beforeAll(async () => {
    api = await startTestApi({ routes: fixtureRoutes, logger });
  });
  afterAll(() => api?.close());

  const echo = async (path: string, headers?: Record<string, string>): Promise<EchoBody> => {
    const res = await api.request<EchoBody>('GET', path, undefined, headers);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('builds a payload 2.0 event: routeKey, rawPath, query, lower-case headers', async () => {
    const { event, context, tableName } = await echo('/echo/n1/items/i1?a=1&a=2&b=x%20y&empty=', { 'X-Custom-Header': 'Yes' });
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /echo/{name}/items/{item}',
      rawPath: '/echo/n1/items/i1',
      rawQueryString: 'a=1&a=2&b=x%20y&empty=',
      queryStringParameters: { a: '1,2', b: 'x y', empty: '' },
      pathParameters: { name: 'n1', item: 'i1' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        routeKey: 'GET /echo/{name}/items/{item}',
        stage: '$default',
        http: { method: 'GET', path: '/echo/n1/items/i1', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers['x-custom-header']).toBe('Yes');
    expect(Object.keys(event.headers).every((h) => h === h.toLowerCase())).toBe(true);
    expect(event.body).toBeUndefined();
    expect(event.cookies).toBeUndefined();
    expect(event.requestContext.timeEpoch).toBeGreaterThan(Date.now() - 60_000);
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.functionName).toBe('tributary-Echo');
    expect(context.remainingMs).toBeGreaterThan(20_000);
    // The handler read the environment that startTestApi put in process.env.
    expect(tableName).toBe(testEmulators().tableName);
  });

  it('omits queryStringParameters and pathParameters when there are none', async () => {
    const res = await api.request<EchoBody>('POST', '/echo', { a: 1 });
    expect(res.body.event.queryStringParameters).toBeUndefined();
    expect(res.body.event.pathParameters).toBeUndefined();
  });

  it('decodes path parameters, keeping rawPath encoded', async () => {
    const { event } = await echo('/echo/a%20b%2Fc/items/%E2%9C%93');
    expect(event.pathParameters).toEqual({ name: 'a b/c', item: '✓' });
    expect(event.rawPath).toBe('/echo/a%20b%2Fc/items/%E2%9C%93');
  });

  it('answers a malformed percent-escape with 400 ValidationError', async () => {
    const res = await api.request('GET', '/echo/%E0%A4%A/items/x');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'ValidationError', message: expect.stringContaining("'name'") } });
  });

  it('prefers a literal segment over a {param}', async () => {
    const { event } = await echo('/echo/n/items/special');
    expect(event.routeKey).toBe('GET /echo/{name}/items/special');
    expect(event.pathParameters).toEqual({ name: 'n' });
  });

  it('joins repeated headers with "," and moves cookies out of the headers', async () => {
    const { status, body } = await rawGet(`${api.url}/echo/n/items/i`, { 'X-Multi': ['a', 'b'], Cookie: 'c1=v1; c2=v2' });
    expect(status).toBe(200);
    const { event } = JSON.parse(body) as EchoBody;
    expect(event.headers['x-multi']).toBe('a,b');
    expect(event.cookies).toEqual(['c1=v1', 'c2=v2']);
    expect(event.headers.cookie).toBeUndefined();
  });

  it('passes a text body as UTF-8 and a binary body as base64', async () => {
    const json = await api.request<EchoBody>('POST', '/echo', { greeting: 'héllo' });
    expect(json.body.event).toMatchObject({ body: '{"greeting":"héllo"}', isBase64Encoded: false, routeKey: 'POST /echo' });
    expect(json.body.event.headers['content-type']).toBe('application/json');

    const bytes = new Uint8Array([0, 159, 146, 150, 255]);
    const binary = await api.request<EchoBody>('PUT', '/echo', bytes, { 'content-type': 'application/octet-stream' });
    expect(binary.body.event.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body.event.body!, 'base64')).toEqual(Buffer.from(bytes));
  });

  it('writes cookies, non-string headers and base64 bodies from structured results', async () => {
    const cookies = await rawGet(`${api.url}/echo/n/items/i?mode=cookies`);
    expect(cookies.status).toBe(204);
    expect(cookies.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(cookies.headers['x-count']).toBe('2');

    const binary = await fetch(`${api.url}/echo/n/items/i?mode=binary`);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
  });

  it('infers a 200 JSON response from a result without statusCode', async () => {
    const plain = await api.request('GET', '/echo/n/items/i?mode=plain');
    expect(plain).toMatchObject({ status: 200, body: { hello: 'world' } });
    expect(plain.headers.get('content-type')).toBe('application/json');
    const text = await api.request('GET', '/echo/n/items/i?mode=string');
    expect(text).toMatchObject({ status: 200, text: 'just a string' });
  });

  it('turns a throwing handler into 500 InternalError without internals, and logs it', async () => {
    const res = await api.request('GET', '/echo/n/items/i?mode=throw');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'InternalError', message: 'internal error' } });
    expect(res.text).not.toContain('internals');
    expect(logged.some((l) => l.message === 'handler failed' && JSON.stringify(l.fields).includes('fixture failure'))).toBe(true);
  });

  it('turns a handler module that does not load into a 500', async () => {
    const res = await api.request('GET', '/missing');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'InternalError', message: 'internal error' } });
  });
});

/** node:http instead of fetch: fetch folds repeated headers into one and hides Set-Cookie arrays. */
function rawGet(url: string, headers: Record<string, string | string[]> = {}): Promise<RawResponse> {
  return rawRequest(url, { headers });
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

/** Sends `chunks` one by one, so without a Content-Length Node uses chunked transfer encoding. */
function rawRequest(url: string, options: { method?: string; headers?: Record<string, string | string[]> }, chunks: Buffer[] = []): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, options, (res) => {
      const received: Buffer[] = [];
      res.on('data', (c: Buffer) => received.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(received).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

interface RawSocketResponse {
  readonly status: number;
  readonly body: string;
}

/** Writes `request` as is on a TCP connection and reads the answer until the server closes it. */
function rawSocket(url: string, request: string): Promise<RawSocketResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(received).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      // The server may answer before reading all of the request: keep-alive is off, so the answer is all there is.
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: rest.join('\r\n\r\n') });
    });
    socket.end(request);
  });
}
