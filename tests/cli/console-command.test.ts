import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sha256 } from '../../client/sigv4-fetch.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { spawnCli } from '../support/cli.ts';

/**
 * `tributary console --url … --profile p | --token t`. The local stack has no
 * IAM authorizer (API Gateway's lives in AWS), so IAM is switched on here by
 * a gate in front of the local API: it recomputes each request's SigV4
 * signature with the profile's keys and answers 403 to anything else, as API
 * Gateway would; with a token, it wants that bearer token.
 */
const KEY = { accessKeyId: 'AKIACONSOLETEST00001', secretAccessKey: 'console-test-secret-0123456789abcdefghij' };
const TOKEN = 'jwt.for.console.test';
const REGION = 'eu-west-1';

let api: TestApi;
let gate: Server;
let gateUrl = '';
let dir = '';
const children: ChildProcess[] = [];
const seen: { path: string; auth: 'sigv4' | 'jwt' | 'refused' }[] = [];

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** True when the request carries a valid SigV4 signature by {@link KEY} for execute-api in {@link REGION}. */
async function validSignature(req: IncomingMessage, body: Buffer): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/([^/]+)\/execute-api\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  const date = req.headers['x-amz-date'];
  if (!match || typeof date !== 'string' || match[1] !== KEY.accessKeyId || match[2] !== REGION) return false;
  const url = new URL(req.url ?? '/', 'http://gate');
  const headers: Record<string, string> = {};
  for (const name of match[3]!.split(';')) headers[name] = String(req.headers[name] ?? '');
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  const [host, port] = headers.host!.split(':');
  const signer = new SignatureV4({ region: REGION, service: 'execute-api', credentials: KEY, sha256: Sha256 });
  const signingDate = new Date(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const expected = await signer.sign(
    { method: req.method ?? 'GET', protocol: 'http:', hostname: host!, ...(port ? { port: Number(port) } : {}), path: url.pathname, query, headers, ...(body.length > 0 ? { body } : {}) },
    { signingDate },
  );
  return expected.headers.authorization === auth;
}

beforeAll(async () => {
  api = await startTestApi();
  gate = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const bearer = req.headers.authorization === `Bearer ${TOKEN}`;
      const signed = !bearer && (await validSignature(req, body));
      seen.push({ path: req.url ?? '', auth: bearer ? 'jwt' : signed ? 'sigv4' : 'refused' });
      if (!bearer && !signed) {
        res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Forbidden' }));
        return;
      }
      const answer = await fetch(`${api.url}${req.url}`, {
        method: req.method,
        headers: req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {},
        ...(body.length > 0 ? { body } : {}),
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
    })();
  });
  await new Promise<void>((r) => gate.listen(0, '127.0.0.1', () => r()));
  const address = gate.address();
  gateUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  dir = await mkdtemp(join(tmpdir(), 'console-cli-'));
  await writeFile(join(dir, 'credentials'), `[console-test]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.secretAccessKey}\n`);
  await writeFile(join(dir, 'config'), `[profile console-test]\nregion = ${REGION}\n`);
}, 60_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGTERM');
  await new Promise<void>((r) => gate?.close(() => r()));
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

/** Starts `tributary console` and answers the URL it prints. */
async function startConsole(args: string[]): Promise<string> {
  const child = spawnCli(['console', '--url', gateUrl, ...args], {
    env: {
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
      AWS_CONFIG_FILE: join(dir, 'config'),
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SESSION_TOKEN: '',
      AWS_PROFILE: '',
      AWS_REGION: REGION,
    },
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tributary console printed no URL: ${out}`)), 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const url = /(http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
    child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`tributary console exited ${code}: ${out}`)));
  });
}

describe('tributary console', () => {
  it('with --profile: serves the console and proxies API calls SigV4-signed with that profile; no credential reaches the browser', { timeout: 90_000 }, async () => {
    const consoleUrl = await startConsole(['--profile', 'console-test']);
    const origin = new URL(consoleUrl).origin;
    const page = await fetch(consoleUrl);
    const html = await page.text();
    expect([page.status, html]).toEqual([200, expect.stringContaining('/console/app.js')]);

    const name = `console-cli-${Date.now()}`;
    const put = await fetch(`${origin}/definitions/${name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tasks: [{ name: 'only' }] }) });
    expect(put.status).toBe(201);
    const read = await fetch(`${origin}/definitions/${name}`);
    expect([read.status, ((await read.json()) as { name: string }).name]).toEqual([200, name]);
    const listed = await fetch(`${origin}/processes?limit=5&definition=${name}`);
    expect(listed.status).toBe(200);
    expect(seen.filter((s) => s.path.includes(name)).map((s) => s.auth)).toEqual(['sigv4', 'sigv4', 'sigv4']);

    // The gate really checks: an unsigned call is refused, and the console's files carry no key.
    expect((await fetch(`${gateUrl}/definitions/${name}`)).status).toBe(403);
    const js = await (await fetch(`${origin}/console/app.js`)).text();
    for (const text of [html, js]) {
      expect(text).not.toContain(KEY.accessKeyId);
      expect(text).not.toContain(KEY.secretAccessKey);
    }
  });

  it('with --token: adds the JWT on the server side, and relays API errors as they are', { timeout: 90_000 }, async () => {
    const consoleUrl = await startConsole(['--token', TOKEN]);
    const origin = new URL(consoleUrl).origin;
    const missing = await fetch(`${origin}/definitions/no-such-definition-here`);
    expect([missing.status, ((await missing.json()) as { error: { code: string } }).error.code]).toEqual([404, 'DefinitionNotFound']);
    expect(seen.at(-1)).toEqual({ path: '/definitions/no-such-definition-here', auth: 'jwt' });
    const layout = await fetch(`${origin}/console/layout`, { method: 'POST', body: JSON.stringify({ nodes: [{ id: 'a', width: 10, height: 10 }], edges: [] }) });
    expect(layout.status).toBe(200);
  });
});
