import { createHash, createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Sha256, sigv4Fetch, TributaryClient } from '../../client/index.ts';
import { fakeFetch } from './fake-fetch.ts';

/** Unit tests: signing with fixed credentials and a fixed clock. No network. */

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const NOW = new Date('2026-11-23T12:34:56.000Z');

async function hex(h: Sha256): Promise<string> {
  return Buffer.from(await h.digest()).toString('hex');
}

describe('Sha256', () => {
  it('hashes and HMACs like node:crypto (FIPS 180-2 and RFC 4231 vectors)', async () => {
    const plain = new Sha256();
    plain.update(new TextEncoder().encode('abc'));
    expect(await hex(plain)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const mac = new Sha256('Jefe');
    mac.update('what do ya want ');
    mac.update(Buffer.from('for nothing?'));
    expect(await hex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    mac.reset();
    mac.update('what do ya want for nothing?');
    expect(await hex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });
});

describe('sigv4Fetch', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('adds Authorization, X-Amz-Date and the payload hash, and keeps method, URL and body', async () => {
    const fake = fakeFetch([{ status: 200, body: { leaseToken: 't', leaseExpiresAt: 'x', attempt: 1, input: { process: null, upstream: {} } } }]);
    const client = new TributaryClient({
      baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      fetch: sigv4Fetch({ region: 'eu-west-1', credentials, fetch: fake.fetch }),
    });
    await client.claim('p-1', 'Review Credit', 'worker-1');
    const sent = fake.requests[0]!;
    expect(sent.method).toBe('POST');
    expect(sent.url).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod/processes/p-1/tasks/Review%20Credit/claim');
    expect(sent.body).toBe('{"workerId":"worker-1"}');
    expect(sent.headers.get('x-amz-date')).toBe('20261123T123456Z');
    expect(sent.headers.get('x-amz-content-sha256')).toBe(createHash('sha256').update('{"workerId":"worker-1"}').digest('hex'));
    expect(sent.headers.get('x-amz-security-token')).toBeNull();
    expect(sent.headers.get('authorization')).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261123\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    // An independent SigV4 computation over what was sent must give the same signature.
    expect(signatureOf(sent.headers.get('authorization')!)).toBe(referenceSignature(sent, 'eu-west-1', 'execute-api'));
  });

  it('signs the query string and sends a session token when the credentials have one', async () => {
    const fake = fakeFetch([{ status: 200, body: { items: [] } }]);
    const signed = sigv4Fetch({ region: 'us-east-1', credentials: async () => ({ ...credentials, sessionToken: 'SESSION' }), fetch: fake.fetch });
    await signed('https://api.example.com/processes?status=RUNNING&limit=5&definition=Loan%20Application');
    const sent = fake.requests[0]!;
    expect(sent.headers.get('x-amz-security-token')).toBe('SESSION');
    expect(sent.headers.get('authorization')).toContain('SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,');
    expect(signatureOf(sent.headers.get('authorization')!)).toBe(referenceSignature(sent, 'us-east-1', 'execute-api'));
  });
});

function signatureOf(authorization: string): string {
  return /Signature=([0-9a-f]+)$/.exec(authorization)?.[1] ?? '';
}

/** SigV4 written out from the AWS documentation, for the signed headers the request names. */
function referenceSignature(sent: { method: string; url: string; headers: Headers; body: string | undefined }, region: string, service: string): string {
  const url = new URL(sent.url);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(sent.headers.get('authorization') ?? '')![1]!.split(';');
  const headerValue = (name: string): string => (name === 'host' ? url.host : (sent.headers.get(name) ?? '')).trim();
  // Non-S3 services: each path segment is encoded once more on top of the URL's own encoding.
  const path = url.pathname
    .split('/')
    .map((s) => encodeRfc3986(s))
    .join('/');
  const query = [...url.searchParams]
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const payloadHash = createHash('sha256').update(sent.body ?? '').digest('hex');
  const canonical = [sent.method, path, query, ...signedHeaders.map((h) => `${h}:${headerValue(h)}`), '', signedHeaders.join(';'), payloadHash].join('\n');
  const amzDate = sent.headers.get('x-amz-date')!;
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function encodeRfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
