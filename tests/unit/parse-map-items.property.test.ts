import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ItemCursor } from '#app/ports.ts';
import { parseMapItems, readOffset, START_CURSOR } from '#adapters/parse-map-items.ts';
import { MapItemsError } from '#domain/errors.ts';

/**
 * The map item parser on random objects cut into random chunks: every item comes out as `JSON.parse` of the
 * whole object would give it, and a read resumed from any cursor gives exactly the rest. fast-check prints the
 * seed and path of a failing run (replay with `{ seed, path }`).
 */

const LIMIT = 262_144;

async function* chunked(bytes: Buffer, sizes: readonly number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = sizes.length === 0 ? bytes.length : sizes[i % sizes.length]!;
    yield bytes.subarray(at, at + size);
    at += size;
  }
}

async function readAll(bytes: Buffer, format: 'json' | 'jsonl', from: ItemCursor, sizes: readonly number[]): Promise<{ item: unknown; next: ItemCursor }[]> {
  const out: { item: unknown; next: ItemCursor }[] = [];
  for await (const entry of parseMapItems(chunked(bytes.subarray(readOffset(from)), sizes), { format, from, maxItemBytes: LIMIT, where: 's3://b/k' })) out.push(entry);
  return out;
}

/** JSON values, with multi-byte characters in strings, as they come back from a JSON round trip. */
const valueArb = fc
  .jsonValue({ maxDepth: 3 })
  .map((value) => JSON.parse(JSON.stringify(value)) as unknown)
  .chain((value) => fc.constantFrom(value, `é→${JSON.stringify(value)}😀`, { text: 'a,b]"\\}[{', value }));
const spaceArb = fc.constantFrom('', ' ', '\n', '\r\n\t ');
const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 5 });

/** Checks the whole read and a read resumed from each of its cursors. */
async function checkResumes(bytes: Buffer, format: 'json' | 'jsonl', items: readonly unknown[], sizes: readonly number[]): Promise<void> {
  const all = await readAll(bytes, format, START_CURSOR, sizes);
  expect(all.map((entry) => entry.item)).toEqual(items);
  expect(all.map((entry) => entry.next.index)).toEqual(items.map((_, i) => i + 1));
  for (const [i, { next }] of all.entries()) {
    const rest = await readAll(bytes, format, next, sizes);
    expect(rest).toEqual(all.slice(i + 1));
  }
}

describe('parseMapItems', () => {
  it('reads a JSON array whatever its spacing and chunking, and resumes from every cursor', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(valueArb, spaceArb, spaceArb), { maxLength: 8 }), spaceArb, fc.boolean(), chunkSizesArb, async (elements, outer, bom, sizes) => {
        const text = `${outer}[${elements.map(([value, before, after]) => `${before}${JSON.stringify(value)}${after}`).join(',')}${outer}]${outer}`;
        const bytes = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text)]);
        await checkResumes(bytes, 'json', elements.map(([value]) => value), sizes);
      }),
      { numRuns: 150 },
    );
  });

  it('reads JSON Lines with blank lines, CRLF ends and an optional last newline, and resumes from every cursor', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(valueArb, fc.constantFrom('\n', '\r\n', '\n\n', '\n  \r\n')), { maxLength: 8 }), fc.boolean(), chunkSizesArb, async (lines, lastNewline, sizes) => {
        let text = lines.map(([value, end]) => `${JSON.stringify(value)}${end}`).join('');
        if (!lastNewline) text = text.trimEnd();
        await checkResumes(Buffer.from(text), 'jsonl', lines.map(([value]) => value), sizes);
      }),
      { numRuns: 150 },
    );
  });

  it('counts cursors in bytes of UTF-8, not in characters', async () => {
    const bytes = Buffer.from('["é","😀",1]');
    const all = await readAll(bytes, 'json', START_CURSOR, [1]);
    expect(all.map((entry) => entry.next)).toEqual([
      { byte: 6, index: 1 },
      { byte: 13, index: 2 },
      { byte: 15, index: 3 },
    ]);
  });

  it('refuses an item over the limit before reading the rest of it', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('{"ok":1}\n"');
      for (;;) {
        pulled += 1;
        yield Buffer.alloc(1024, 'x');
      }
    }
    const items: unknown[] = [];
    const read = async (): Promise<void> => {
      for await (const { item } of parseMapItems(endless(), { format: 'jsonl', from: START_CURSOR, maxItemBytes: 10_000, where: 's3://b/k' })) items.push(item);
    };
    await expect(read()).rejects.toThrow(/item 2 of s3:\/\/b\/k \(at byte 9\) is over the limit of 10000 bytes/);
    expect(items).toEqual([{ ok: 1 }]);
    expect(pulled).toBeLessThan(12);
  });

  it('refuses a cursor that does not fall on an item boundary (the object was replaced)', async () => {
    const bytes = Buffer.from('[1,22,3]');
    await expect(readAll(bytes, 'json', { byte: 4, index: 1 }, [])).rejects.toThrow(MapItemsError);
    await expect(readAll(Buffer.from('1\n22\n'), 'jsonl', { byte: 3, index: 1 }, [])).rejects.toThrow(/no item boundary at byte 3/);
  });
});

describe('parseMapItems cursors', () => {
  it('refuses a cursor it cannot have made: a bug in the caller, not a bad object', async () => {
    for (const from of [{ byte: -1, index: 0 }, { byte: 1.5, index: 0 }, { byte: 2, index: -1 }]) {
      await expect(readAll(Buffer.from('1\n2\n'), 'jsonl', from, [])).rejects.toThrow(RangeError);
    }
  });
});
