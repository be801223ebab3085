import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials, as the SDK's providers return them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export interface SigV4FetchOptions {
  /** The API's region, e.g. `eu-west-1`. */
  readonly region: string;
  /** @default 'execute-api' (API Gateway) */
  readonly service?: string;
  /**
   * Fixed credentials or a provider. @default the SDK's default chain
   * (`defaultProvider()`: environment, SSO, profiles, container and instance roles),
   * which caches and refreshes them.
   */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** The fetch that sends the signed request. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

/**
 * SHA-256 (or HMAC-SHA-256 when given a secret) over node:crypto, in the shape
 * `@smithy/signature-v4` wants (its `Checksum` interface), so that signing
 * needs no extra crypto package.
 *
 * @example
 * const h = new Sha256();
 * h.update(new TextEncoder().encode('abc'));
 * Buffer.from(await h.digest()).toString('hex'); // 'ba7816bf…'
 */
export class Sha256 {
  readonly digestLength = 32;
  private readonly secret: Buffer | undefined;
  private hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    // A copy, so that reset() can rebuild the HMAC even if the caller reuses its buffer.
    this.secret = secret === undefined ? undefined : Buffer.from(toBytes(secret));
    this.hash = this.fresh();
  }

  update(chunk: SourceData): void {
    this.hash.update(toBytes(chunk));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }

  reset(): void {
    this.hash = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

/**
 * A `fetch` that signs every request with AWS Signature Version 4, for an API
 * Gateway API whose routes use IAM authorization. Pass it to
 * {@link TributaryClient}. The body is buffered to hash it, which is fine for
 * the API's small JSON and YAML bodies.
 *
 * @example
 * const client = new TributaryClient({
 *   baseUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com',
 *   fetch: sigv4Fetch({ region: 'eu-west-1' }),
 * });
 */
export function sigv4Fetch(options: SigV4FetchOptions): typeof fetch {
  const signer = new SignatureV4({
    region: options.region,
    service: options.service ?? 'execute-api',
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    // The host is part of every SigV4 signature; fetch derives the same value from the URL.
    headers.host = url.host;
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length === 1 ? values[0]! : values;
    }
    const signed = await signer.sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      // Still percent-encoded, as the SDK's own requests are: the signer encodes
      // each segment once more, which is the canonical form for non-S3 services.
      path: url.pathname,
      query,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const outgoing = new Headers();
    for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') outgoing.set(name, value);
    return send(url, {
      method: request.method,
      headers: outgoing,
      signal: request.signal,
      redirect: request.redirect,
      ...(body === undefined ? {} : { body }),
    });
  };
}

function toBytes(data: SourceData): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}
