import type { ItemCursor, MapItemSource } from '#app/ports.ts';
import { cursorPastEnd, objectMissing, parseMapItems, readOffset, START_CURSOR } from '../parse-map-items.ts';

export interface MemoryMapItemSourceOptions {
  /** Bytes per chunk handed to the parser, like the pieces of an S3 body stream. @default 65536 */
  readonly chunkBytes?: number;
}

/**
 * The in-memory twin of the S3 map item source: objects in a map keyed by bucket and key, read through the same
 * parser, in chunks, so that items split across chunk boundaries are exercised here too.
 *
 * @example
 * const source = new MemoryMapItemSource();
 * source.putObject('exports', 'rows.jsonl', '{"id":1}\n{"id":2}\n');
 * for await (const { item } of source.read({ bucket: 'exports', key: 'rows.jsonl', format: 'jsonl', maxItemBytes: 262_144 })) console.log(item);
 */
export class MemoryMapItemSource implements MapItemSource {
  private readonly objects = new Map<string, Buffer>();
  private readonly chunkBytes: number;

  constructor(options: MemoryMapItemSourceOptions = {}) {
    this.chunkBytes = options.chunkBytes ?? 65_536;
  }

  /** Stores (or replaces) an object; a string is stored as UTF-8. */
  putObject(bucket: string, key: string, body: string | Buffer): void {
    this.objects.set(objectKey(bucket, key), Buffer.isBuffer(body) ? Buffer.from(body) : Buffer.from(body, 'utf8'));
  }

  read(args: { bucket: string; key: string; format: 'json' | 'jsonl'; from?: ItemCursor; maxItemBytes: number; signal?: AbortSignal }): AsyncIterable<{ item: unknown; next: ItemCursor }> {
    const where = `s3://${args.bucket}/${args.key}`;
    const from = args.from ?? START_CURSOR;
    const body = this.objects.get(objectKey(args.bucket, args.key));
    const chunkBytes = this.chunkBytes;
    return {
      async *[Symbol.asyncIterator]() {
        if (!body) throw objectMissing(where);
        // As S3 answers a ranged GET that starts past the end (416).
        if (from.byte > 0 && readOffset(from) >= body.length) throw cursorPastEnd(where, from);
        yield* parseMapItems(chunksOf(body.subarray(readOffset(from)), chunkBytes), { format: args.format, from, maxItemBytes: args.maxItemBytes, where, ...(args.signal ? { signal: args.signal } : {}) });
      },
    };
  }
}

function objectKey(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}
