import { describe, expect, it } from 'vitest';
import {
  isConflict,
  isNotFound,
  isRetryable,
  isTributaryApiError,
  TributaryApiError,
  TributaryClient,
  TributaryNetworkError,
  TributaryResponseError,
} from '../../client/index.ts';
import { backoffDelay } from '../../client/retry.ts';
import { apiError, connectionRefused, fakeFetch, type Scripted } from './fake-fetch.ts';

/** Unit tests: the client against a scripted fetch. No network. */

const BASE = 'http://api.test';
const claim = { leaseToken: 't1', leaseExpiresAt: '2026-01-01T00:05:00.000Z', attempt: 1, input: { process: { a: 1 }, upstream: {} } };
const started = { id: 'p-1', definition: 'loan', version: 1, status: 'RUNNING', input: null, createdAt: '2026-01-01T00:00:00.000Z' };
const ended = { processId: 'p-1', task: 'A', status: 'COMPLETED' };

function clientWith(script: readonly Scripted[], retries = 3): { client: TributaryClient; requests: ReturnType<typeof fakeFetch>['requests'] } {
  const fake = fakeFetch(script);
  return { client: new TributaryClient({ baseUrl: `${BASE}/`, fetch: fake.fetch, retries, backoff: { baseMs: 1, maxMs: 5 } }), requests: fake.requests };
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected the call to fail'),
    (e: unknown) => e,
  );
}

describe('TributaryClient error mapping', () => {
  it('turns the API error body into a TributaryApiError with status, code, message and request', async () => {
    const { client } = clientWith([apiError(404, 'ProcessNotFound', "process 'p-1' does not exist")]);
    const error = await errorOf(client.getProcess('p-1'));
    expect(error).toBeInstanceOf(TributaryApiError);
    expect(error).toMatchObject({ status: 404, code: 'ProcessNotFound', message: "process 'p-1' does not exist", request: 'GET /processes/p-1' });
    expect(isNotFound(error)).toBe(true);
    expect(isConflict(error)).toBe(false);
    expect(isRetryable(error)).toBe(false);
  });

  it('keeps the details of a 400, such as every definition problem with its position', async () => {
    const details = [{ path: 'tasks[1].needs[0]', message: "needs 'X'", line: 4, column: 12 }];
    const { client } = clientWith([apiError(400, 'InvalidDefinition', 'definition is invalid', details)]);
    expect(await errorOf(client.putDefinition('loan', 'tasks: []'))).toMatchObject({ status: 400, code: 'InvalidDefinition', details });
  });

  it('classifies 409s as conflicts and narrows by code', async () => {
    const { client } = clientWith([apiError(409, 'TaskAlreadyClaimed')]);
    const error = await errorOf(client.claim('p-1', 'A', 'w1'));
    expect(isConflict(error)).toBe(true);
    expect(isTributaryApiError(error, 'TaskAlreadyClaimed', 'TaskNotActive')).toBe(true);
    expect(isTributaryApiError(error, 'LeaseMismatch')).toBe(false);
    expect(isTributaryApiError(new Error('x'))).toBe(false);
  });

  it("maps API Gateway's own error bodies by status", async () => {
    const forbidden = await errorOf(clientWith([{ status: 403, body: { message: 'Forbidden' } }]).client.health());
    expect(forbidden).toMatchObject({ status: 403, code: 'Forbidden', message: 'Forbidden' });
    const badGateway = await errorOf(clientWith([{ status: 502, body: '<html>bad gateway</html>' }], 0).client.health());
    expect(badGateway).toMatchObject({ status: 502, code: 'InternalError', message: '<html>bad gateway</html>' });
    expect(isRetryable(badGateway)).toBe(true);
  });

  it('wraps a failed connection in a retryable TributaryNetworkError with the cause', async () => {
    const error = await errorOf(clientWith([{ throws: connectionRefused() }], 0).client.health());
    expect(error).toBeInstanceOf(TributaryNetworkError);
    expect(error).toMatchObject({ request: 'GET /health', message: 'GET /health failed: fetch failed', retryable: true });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
  });

  it('gives up on a request that outlives timeoutMs', async () => {
    const hang: typeof fetch = (_input, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)));
    const client = new TributaryClient({ baseUrl: BASE, fetch: hang, timeoutMs: 20, retries: 0 });
    const error = await errorOf(client.health());
    expect(error).toBeInstanceOf(TributaryNetworkError);
    expect((error as Error).message).toBe('GET /health timed out after 20 ms');
  });

  it('rejects a success response that is not JSON or not the documented shape, without retrying', async () => {
    const notJson = clientWith([{ status: 200, body: 'ok' }]);
    expect(await errorOf(notJson.client.health())).toBeInstanceOf(TributaryResponseError);
    const wrongShape = clientWith([{ status: 200, body: { leaseToken: 't1' } }]);
    const error = await errorOf(wrongShape.client.claim('p-1', 'A', 'w1'));
    expect(error).toBeInstanceOf(TributaryResponseError);
    expect((error as Error).message).toMatch(/^POST \/processes\/p-1\/tasks\/A\/claim: unexpected response shape: leaseExpiresAt: /);
    expect(wrongShape.requests).toHaveLength(1);
  });
});

describe('TributaryClient retry policy', () => {
  it('retries reads on 5xx, 429 and network errors, then returns the answer', async () => {
    const { client, requests } = clientWith([{ status: 503 }, { status: 429 }, { throws: connectionRefused() }, { status: 200, body: { status: 'ok' } }]);
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(requests).toHaveLength(4);
  });

  it('gives up after `retries` extra attempts with the last error', async () => {
    const { client, requests } = clientWith([apiError(503, 'InternalError')], 2);
    expect(await errorOf(client.getProcess('p-1'))).toMatchObject({ status: 503 });
    expect(requests).toHaveLength(3);
  });

  it('never retries a 4xx', async () => {
    const { client, requests } = clientWith([apiError(409, 'TaskNotActive')]);
    await errorOf(client.claim('p-1', 'A', 'w1'));
    expect(requests).toHaveLength(1);
  });

  it('retries a start only when it carries an idempotency key', async () => {
    const without = clientWith([{ status: 500 }, { status: 201, body: started }]);
    expect(await errorOf(without.client.startProcess({ definition: 'loan' }))).toMatchObject({ status: 500 });
    expect(without.requests).toHaveLength(1);

    const withKey = clientWith([{ status: 500 }, { status: 200, body: started }]);
    // The first attempt may have created the process: the repeat finds it (200, created: false).
    expect(await withKey.client.startProcess({ definition: 'loan', idempotencyKey: 'k' })).toEqual({ created: false, process: started });
    expect(withKey.requests).toHaveLength(2);
    expect(JSON.parse(withKey.requests[1]!.body!)).toEqual({ definition: 'loan', idempotencyKey: 'k' });
  });

  it('retries claim and heartbeat, which are safe to repeat', async () => {
    const c = clientWith([{ throws: connectionRefused() }, { status: 200, body: claim }]);
    expect(await c.client.claim('p-1', 'A', 'w1')).toEqual(claim);
    expect(c.requests.map((r) => r.body)).toEqual(['{"workerId":"w1"}', '{"workerId":"w1"}']);
    const h = clientWith([{ status: 502 }, { status: 200, body: { leaseExpiresAt: claim.leaseExpiresAt } }]);
    expect(await h.client.heartbeat('p-1', 'A', 't1')).toEqual({ leaseExpiresAt: claim.leaseExpiresAt });
    expect(h.requests).toHaveLength(2);
  });

  it('retries complete and fail with a lease token, but not the manual forms without one', async () => {
    const completeWithToken = clientWith([{ status: 503 }, { status: 200, body: ended }]);
    await completeWithToken.client.complete('p-1', 'A', { leaseToken: 't1', output: { ok: true } });
    expect(completeWithToken.requests).toHaveLength(2);

    const manual = clientWith([{ status: 503 }, { status: 200, body: ended }]);
    await errorOf(manual.client.complete('p-1', 'A', { output: { amount: 1 } }));
    expect(manual.requests).toHaveLength(1);

    const failWithToken = clientWith([{ throws: connectionRefused() }, { status: 200, body: { ...ended, status: 'FAILED' } }]);
    await failWithToken.client.fail('p-1', 'A', { leaseToken: 't1', error: { message: 'boom' } });
    expect(failWithToken.requests).toHaveLength(2);

    const manualFail = clientWith([{ throws: connectionRefused() }]);
    await errorOf(manualFail.client.fail('p-1', 'A', { error: { message: 'boom' } }));
    expect(manualFail.requests).toHaveLength(1);
  });

  it('retries PUT definition and cancel', async () => {
    const definition = { name: 'loan', version: 1, tasks: [{ name: 'A', needs: [], queue: 'default', timeoutSeconds: 300 }], createdAt: 'x' };
    const put = clientWith([{ status: 500 }, { status: 200, body: definition }]);
    expect(await put.client.putDefinition('loan', 'tasks: [{name: A}]')).toEqual({ created: false, definition });
    expect(put.requests).toHaveLength(2);
    const process = { ...started, status: 'CANCELLED', updatedAt: 'x', runs: 1, progress: { total: 1, completed: 0, failed: 0, skipped: 0, cancelled: 1, percent: 100 }, cost: { usd: 0.00001, writeUnits: 15, readUnits: 3, requests: 1 }, tasks: [] };
    const cancel = clientWith([{ status: 500 }, { status: 200, body: process }]);
    expect((await cancel.client.cancelProcess('p-1')).status).toBe('CANCELLED');
    expect(cancel.requests).toHaveLength(2);
  });

  it('backs off with full jitter, capped, and follows Retry-After within the cap', () => {
    expect(backoffDelay(3, { baseMs: 100, maxMs: 5000 }, null, () => 0.999)).toBe(799);
    expect(backoffDelay(10, { baseMs: 100, maxMs: 5000 }, null, () => 0.999)).toBe(4995);
    expect(backoffDelay(0, { baseMs: 100, maxMs: 5000 }, '2')).toBe(2000);
    expect(backoffDelay(0, { baseMs: 100, maxMs: 5000 }, '60')).toBe(5000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(backoffDelay(0, {}, 'Thu, 01 Jan 2026 00:00:01 GMT', Math.random, now)).toBe(1000);
  });
});

describe('TributaryClient requests', () => {
  it('sends YAML text as application/yaml and objects as JSON, and reports 201 as created', async () => {
    const definition = { name: 'loan', version: 2, tasks: [], createdAt: 'x' };
    const { client, requests } = clientWith([{ status: 201, body: definition }]);
    expect(await client.putDefinition('loan', 'tasks:\n  - name: A\n')).toEqual({ created: true, definition });
    await client.putDefinition('loan', { tasks: [{ name: 'A' }] });
    expect(requests.map((r) => [r.method, r.url, r.headers.get('content-type'), r.body])).toEqual([
      ['PUT', `${BASE}/definitions/loan`, 'application/yaml', 'tasks:\n  - name: A\n'],
      ['PUT', `${BASE}/definitions/loan`, 'application/json', '{"tasks":[{"name":"A"}]}'],
    ]);
  });

  it('percent-encodes names in paths and sends only the query parameters given', async () => {
    const { client, requests } = clientWith([{ status: 200, body: claim }]);
    await client.claim('p-1', 'Review Credit/2', 'w1');
    await errorOf(client.getDefinition('Loan Application', 3));
    await errorOf(client.listProcesses({ status: 'RUNNING', limit: 10 }));
    expect(requests.map((r) => r.url)).toEqual([
      `${BASE}/processes/p-1/tasks/Review%20Credit%2F2/claim`,
      `${BASE}/definitions/Loan%20Application/versions/3`,
      `${BASE}/processes?status=RUNNING&limit=10`,
    ]);
  });

  it('sends the configured headers with every request', async () => {
    const fake = fakeFetch([{ status: 200, body: { status: 'ok' } }]);
    const client = new TributaryClient({ baseUrl: BASE, fetch: fake.fetch, headers: { authorization: 'Bearer x' } });
    await client.health();
    expect(fake.requests[0]!.headers.get('authorization')).toBe('Bearer x');
    expect(fake.requests[0]!.headers.get('accept')).toBe('application/json');
  });
});
