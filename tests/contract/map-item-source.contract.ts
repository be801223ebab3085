import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemCursor, MapItemSource } from '#app/ports.ts';
import { MapItemsError } from '#domain/errors.ts';

/** One map item source under contract, with a way to put objects where it reads them. */
export interface ItemSourceDriver {
  readonly source: MapItemSource;
  /** A bucket that exists (and is empty) for this suite. */
  readonly bucket: string;
  put(key: string, body: string | Buffer): Promise<void>;
  close(): void;
}

const LIMIT = 256 * 1024;

type Entry = { item: unknown; next: ItemCursor };

/**
 * The map item source contract, written once: the S3 adapter on s3rver and the in-memory twin must read the same
 * objects into the same items and cursors, resume alike from any cursor, and refuse the same bad objects with a
 * terminal MapItemsError naming what they found.
 */
export function defineMapItemSourceContract(name: string, factory: () => Promise<ItemSourceDriver>): void {
  describe(`map item source contract: ${name}`, () => {
    let driver: ItemSourceDriver;
    beforeAll(async () => {
      driver = await factory();
    });
    afterAll(() => driver?.close());

    const read = async (key: string, format: 'json' | 'jsonl', from?: ItemCursor, maxItemBytes = LIMIT): Promise<Entry[]> => {
      const out: Entry[] = [];
      for await (const entry of driver.source.read({ bucket: driver.bucket, key, format, maxItemBytes, ...(from ? { from } : {}) })) out.push(entry);
      return out;
    };
    /** Reads the whole object, then again from each cursor: every resumed read gives exactly the rest. */
    const readAndResume = async (key: string, format: 'json' | 'jsonl'): Promise<Entry[]> => {
      const all = await read(key, format);
      for (const [i, entry] of all.entries()) expect(await read(key, format, entry.next)).toEqual(all.slice(i + 1));
      return all;
    };
    const failure = async (key: string, format: 'json' | 'jsonl', maxItemBytes = LIMIT): Promise<MapItemsError> => {
      const error = await read(key, format, undefined, maxItemBytes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(MapItemsError);
      expect(error).toMatchObject({ code: 'MapItemsInvalid', retryable: false });
      return error as MapItemsError;
    };

    it('reads a JSON array with multi-byte items, cursors in bytes, and resumes from every cursor', async () => {
      const items = [{ name: 'café' }, '😀 emoji', [1, [2, { ']': ',' }]], 'quote \\" and , ] }', null, 3.5];
      const body = ` [\n  ${items.map((item) => JSON.stringify(item)).join(' ,\n  ')}\n]\n`;
      await driver.put('array.json', body);
      const all = await readAndResume('array.json', 'json');
      expect(all.map((entry) => entry.item)).toEqual(items);
      expect(all.at(-1)!.next).toEqual({ byte: Buffer.byteLength(body.trimEnd()), index: items.length });
      expect(all[0]!.next.byte).toBe(Buffer.byteLength(` [\n  ${JSON.stringify(items[0])} ,`));
    });

    it('reads JSON Lines with blank lines and resumes from every cursor', async () => {
      await driver.put('lines.jsonl', '{"id":1,"s":"ü"}\n\n   \n{"id":2}\n["x"]\n');
      const all = await readAndResume('lines.jsonl', 'jsonl');
      expect(all).toEqual([
        { item: { id: 1, s: 'ü' }, next: { byte: 18, index: 1 } },
        { item: { id: 2 }, next: { byte: 32, index: 2 } },
        { item: ['x'], next: { byte: 38, index: 3 } },
      ]);
    });

    it('reads JSON Lines without a trailing newline, and with CRLF line ends', async () => {
      await driver.put('no-newline.jsonl', '1\n2\n3');
      expect(await readAndResume('no-newline.jsonl', 'jsonl')).toEqual([
        { item: 1, next: { byte: 2, index: 1 } },
        { item: 2, next: { byte: 4, index: 2 } },
        { item: 3, next: { byte: 5, index: 3 } },
      ]);
      await driver.put('crlf.jsonl', '"a"\r\n\r\n"b"\r\n');
      expect(await readAndResume('crlf.jsonl', 'jsonl')).toEqual([
        { item: 'a', next: { byte: 5, index: 1 } },
        { item: 'b', next: { byte: 12, index: 2 } },
      ]);
    });

    it('reads nothing from an empty array or an empty JSON Lines object', async () => {
      await driver.put('empty-array.json', '[ ]');
      expect(await read('empty-array.json', 'json')).toEqual([]);
      await driver.put('empty.jsonl', '');
      expect(await read('empty.jsonl', 'jsonl')).toEqual([]);
      await driver.put('blank.jsonl', '\n\r\n  \n');
      expect(await read('blank.jsonl', 'jsonl')).toEqual([]);
    });

    it('reads items split across stream chunks', async () => {
      const items = Array.from({ length: 3_000 }, (_, i) => ({ i, pad: 'ß'.repeat(i % 50) }));
      await driver.put('many.json', JSON.stringify(items));
      const all = await read('many.json', 'json');
      expect(all.map((entry) => entry.item)).toEqual(items);
      expect(await read('many.json', 'json', all[1_999]!.next)).toEqual(all.slice(2_000));
    });

    it('refuses a missing object, naming it', async () => {
      expect((await failure('nowhere.jsonl', 'jsonl')).message).toBe(`s3://${driver.bucket}/nowhere.jsonl does not exist`);
    });

    it('refuses an item over the limit, naming the item, its byte and its size', async () => {
      await driver.put('big.jsonl', `"small"\n"${'x'.repeat(2_000)}"\n`);
      const error = await failure('big.jsonl', 'jsonl', 1_000);
      expect(error.message).toContain(`item 2 of s3://${driver.bucket}/big.jsonl (at byte 8) is over the limit of 1000 bytes`);
      await driver.put('big.json', `[1, {"x":"${'y'.repeat(2_000)}"}]`);
      expect((await failure('big.json', 'json', 1_000)).message).toContain('item 2 of');
    });

    it('refuses invalid JSON, naming the item, its byte and what it found', async () => {
      await driver.put('bad.jsonl', '{"ok":true}\n{not json}\n');
      const error = await failure('bad.jsonl', 'jsonl');
      expect(error.message).toContain(`the line of item 2 of s3://${driver.bucket}/bad.jsonl (at byte 12) is not valid JSON: '{not json}'`);
      await driver.put('bad.json', '[1, tru, 3]');
      expect((await failure('bad.json', 'json')).message).toContain(`item 2 of s3://${driver.bucket}/bad.json (at byte 4) is not valid JSON: 'tru'`);
    });

    it('refuses an object that is not a JSON array', async () => {
      await driver.put('object.json', '{"items":[1,2]}');
      expect((await failure('object.json', 'json')).message).toBe(`s3://${driver.bucket}/object.json is not a JSON array: it starts with '{"items":[1,2]}' at byte 0`);
      await driver.put('empty.json', '');
      expect((await failure('empty.json', 'json')).message).toContain('is empty');
      await driver.put('unclosed.json', '[1, 2');
      expect((await failure('unclosed.json', 'json')).message).toContain('the JSON array is not closed');
      await driver.put('trailing.json', '[1, 2] [3]');
      expect((await failure('trailing.json', 'json')).message).toContain('has data after the end of its JSON array, at byte 7');
      await driver.put('trailing-comma.json', '[1, 2,]');
      expect((await failure('trailing-comma.json', 'json')).message).toContain("a stray ']'");
    });

    it('refuses a cursor past the end of the object (it was replaced by a shorter one)', async () => {
      await driver.put('replaced.jsonl', '1\n');
      const error = await read('replaced.jsonl', 'jsonl', { byte: 50, index: 20 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MapItemsError);
      expect((error as Error).message).toBe(`s3://${driver.bucket}/replaced.jsonl ends before byte 50, where the read of item 21 resumes: was the object replaced?`);
    });

    it('stops reading when a pass breaks off, and a later read resumes from its last cursor', async () => {
      await driver.put('partial.jsonl', Array.from({ length: 100 }, (_, i) => JSON.stringify({ i })).join('\n'));
      let last: ItemCursor | undefined;
      for await (const { next } of driver.source.read({ bucket: driver.bucket, key: 'partial.jsonl', format: 'jsonl', maxItemBytes: LIMIT })) {
        last = next;
        if (next.index === 40) break;
      }
      const rest = await read('partial.jsonl', 'jsonl', last);
      expect(rest.map((entry) => entry.item)).toEqual(Array.from({ length: 60 }, (_, i) => ({ i: i + 40 })));
    });
  });
}
