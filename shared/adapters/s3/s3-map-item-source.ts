import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ItemCursor, MapItemSource } from '#app/ports.ts';
import { MapItemsError } from '#domain/errors.ts';
import { cursorPastEnd, objectMissing, parseMapItems, readOffset, START_CURSOR } from '../parse-map-items.ts';

/**
 * Map items from an S3 object (`itemsFrom`), streamed: one `GetObject` per read, ranged from the cursor, its body
 * parsed chunk by chunk and never held whole, so a 50 MB object is read in memory about one item plus one chunk.
 *
 * Errors that reading again cannot fix (no such bucket or key, access denied, a cursor past the end, bad JSON)
 * are a terminal {@link MapItemsError}; anything else (throttling, a 5xx, the network) is thrown as it came, for
 * the caller to retry.
 *
 * @example
 * const source = new S3MapItemSource(createS3Client());
 * for await (const { item, next } of source.read({ bucket, key, format: 'json', maxItemBytes: 262_144 })) keep(item, next);
 */
export class S3MapItemSource implements MapItemSource {
  constructor(private readonly client: S3Client) {}

  read(args: { bucket: string; key: string; format: 'json' | 'jsonl'; from?: ItemCursor; maxItemBytes: number; signal?: AbortSignal }): AsyncIterable<{ item: unknown; next: ItemCursor }> {
    const where = `s3://${args.bucket}/${args.key}`;
    const from = args.from ?? START_CURSOR;
    const open = (): Promise<Readable> => this.open(args.bucket, args.key, from, where, args.signal);
    return {
      async *[Symbol.asyncIterator]() {
        const body = await open();
        try {
          yield* parseMapItems(body, { format: args.format, from, maxItemBytes: args.maxItemBytes, where, ...(args.signal ? { signal: args.signal } : {}) });
        } finally {
          // A pass that stops early must not leave the connection half read.
          body.destroy();
        }
      },
    };
  }

  private async open(bucket: string, key: string, from: ItemCursor, where: string, signal: AbortSignal | undefined): Promise<Readable> {
    // No Range header from the start: S3 refuses `bytes=0-` on an empty object (416).
    const range = from.byte > 0 ? { Range: `bytes=${readOffset(from)}-` } : {};
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...range }), signal ? { abortSignal: signal } : {});
      // In Node the body is an IncomingMessage: a Readable, async-iterable in Buffers.
      const body = answer.Body as Readable | undefined;
      if (!body || typeof body[Symbol.asyncIterator] !== 'function') throw new MapItemsError(`${where} answered without a readable body`);
      return body;
    } catch (error) {
      throw terminal(error, where, from) ?? error;
    }
  }
}

/** The S3 errors that no retry fixes, as a MapItemsError; undefined for the rest. */
function terminal(error: unknown, where: string, from: ItemCursor): MapItemsError | undefined {
  if (error instanceof MapItemsError) return error;
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NoSuchBucket' || name === 'NotFound' || status === 404) return objectMissing(where);
  if (name === 'InvalidRange' || status === 416) return cursorPastEnd(where, from);
  if (name === 'AccessDenied' || name === 'InvalidObjectState' || status === 403) {
    return new MapItemsError(`${where} cannot be read (${name ?? status}): is the bucket granted to Tributary (mapItemBuckets or grantMapItems)?`, { cause: error });
  }
  return undefined;
}
