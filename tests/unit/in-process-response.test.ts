import { describe, expect, it } from 'vitest';
import { inProcessResponse } from '../../testing/in-process-response.ts';

describe('inProcessResponse', () => {
  it('answers what the client reads of a Response: status, a header by any case, the body once', async () => {
    const res = inProcessResponse(429, '{"error":{}}\n', { 'Content-Type': 'application/json', 'retry-after': '3' });
    const real = new Response('{"error":{}}\n', { status: 429, headers: { 'Content-Type': 'application/json', 'retry-after': '3' } });
    expect(res.status).toBe(real.status);
    for (const name of ['content-type', 'Retry-After', 'x-missing']) expect(res.headers.get(name)).toBe(real.headers.get(name));
    expect(await res.text()).toBe(await real.text());
    await expect(res.text()).rejects.toThrow(TypeError);
  });

  it('reads an absent body as empty text, as a Response of null does', async () => {
    expect(await inProcessResponse(204, undefined).text()).toBe(await new Response(null, { status: 204 }).text());
  });
});
