import { Readable } from 'node:stream';
import { GetObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { ItemCursor } from '#app/ports.ts';
import { MemoryMapItemSource } from '#adapters/memory/memory-map-item-source.ts';
import { S3MapItemSource } from '#adapters/s3/s3-map-item-source.ts';
import { MapItemsError } from '#domain/errors.ts';

/**
 * The S3 adapter's side of the contract that s3rver cannot show: which S3 errors are terminal (a MapItemsError)
 * and which are thrown as they came for the caller to retry, the ranged GET it sends, and an aborted read.
 */
const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

const source = new S3MapItemSource(new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } }));
const args = { bucket: 'b', key: 'k.jsonl', format: 'jsonl' as const, maxItemBytes: 1024 };

async function readAll(from?: ItemCursor): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const { item } of source.read({ ...args, ...(from ? { from } : {}) })) out.push(item);
  return out;
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
}

describe('S3MapItemSource', () => {
  it('asks for the whole object from the start, and for a range one byte before a cursor', async () => {
    s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from('\n3\n')]) }));
    await readAll();
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'b', Key: 'k.jsonl' });
    expect(await readAll({ byte: 4, index: 2 })).toEqual([3]);
    expect(s3.commandCalls(GetObjectCommand)[1]!.args[0].input).toEqual({ Bucket: 'b', Key: 'k.jsonl', Range: 'bytes=3-' });
  });

  it.each([
    ['NoSuchKey', 404, /s3:\/\/b\/k.jsonl does not exist/],
    ['NoSuchBucket', 404, /does not exist/],
    ['AccessDenied', 403, /cannot be read \(AccessDenied\): is the bucket granted to Tributary/],
    ['InvalidRange', 416, /ends before byte 9/],
  ])('turns %s into a terminal MapItemsError', async (name, status, message) => {
    s3.on(GetObjectCommand).rejects(s3Error(name, status));
    const error = await readAll({ byte: 9, index: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MapItemsError);
    expect(error).toMatchObject({ code: 'MapItemsInvalid', retryable: false });
    expect((error as Error).message).toMatch(message);
  });

  it.each([
    ['SlowDown', 503],
    ['InternalError', 500],
  ])('throws %s as it came, for the caller to retry', async (name, status) => {
    s3.on(GetObjectCommand).rejects(s3Error(name, status));
    const error = await readAll().catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(MapItemsError);
    expect(error).toMatchObject({ name });
  });

  it('destroys the body when a pass stops early, so the connection is not left half read', async () => {
    const body = Readable.from([Buffer.from('1\n2\n3\n')]);
    s3.on(GetObjectCommand).resolves({ Body: body as never });
    for await (const { next } of source.read(args)) if (next.index === 1) break;
    expect(body.destroyed).toBe(true);
  });
});

describe('an aborted read', () => {
  it('stops with the abort reason', async () => {
    const memory = new MemoryMapItemSource({ chunkBytes: 4 });
    memory.putObject('b', 'k', '1\n2\n3\n4\n5\n6\n');
    const controller = new AbortController();
    const seen: unknown[] = [];
    const read = async (): Promise<void> => {
      for await (const { item } of memory.read({ bucket: 'b', key: 'k', format: 'jsonl', maxItemBytes: 10, signal: controller.signal })) {
        seen.push(item);
        if (item === 2) controller.abort(new Error('out of budget'));
      }
    };
    await expect(read()).rejects.toThrow('out of budget');
    expect(seen).toEqual([1, 2]);
  });
});
