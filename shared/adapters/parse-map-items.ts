import type { ItemCursor } from '#app/ports.ts';
import { MapItemsError } from '#domain/errors.ts';
import { ByteWindow, isJsonSpace } from './byte-window.ts';

/** The cursor of a read from the start of an object. */
export const START_CURSOR: ItemCursor = { byte: 0, index: 0 };

export interface ParseMapItemsArgs {
  readonly format: 'json' | 'jsonl';
  /** Where the read resumes. The bytes given start one byte earlier: see {@link readOffset}. */
  readonly from: ItemCursor;
  readonly maxItemBytes: number;
  /** How the object is named in error messages, e.g. `s3://bucket/key`. */
  readonly where: string;
  readonly signal?: AbortSignal;
}

/**
 * The first byte to fetch for a read from `from`: one before the cursor, so that the parser sees the delimiter
 * the cursor was taken after (`,` or `]` in a JSON array, a newline in JSON Lines). That checks the cursor still
 * fits the object, and tells an array's end from its middle. It also keeps the end cursor inside the object, so
 * a ranged GET from it is never refused as out of range.
 */
export function readOffset(from: ItemCursor): number {
  return from.byte > 0 ? from.byte - 1 : 0;
}

/**
 * Turns the bytes of an items object, from {@link readOffset} on, into its items, each with the cursor just after
 * it. Both map item sources (S3 and the in-memory twin) run on this, so they cannot drift.
 *
 * Memory stays bounded by about one item plus one chunk: bytes are dropped once their item is parsed, and an item
 * is refused as soon as it passes `maxItemBytes`, before the rest of it is read.
 *
 * @throws MapItemsError when the bytes are not a JSON array / not JSON Lines, an item is over the limit, or the
 *   cursor does not fit the object (it was replaced)
 * @example
 * const from = START_CURSOR;
 * for await (const { item, next } of parseMapItems(bytesFrom(readOffset(from)), { format: 'jsonl', from, maxItemBytes: 262_144, where: 's3://b/k' })) use(item, next);
 */
export async function* parseMapItems(chunks: AsyncIterable<Uint8Array>, args: ParseMapItemsArgs): AsyncGenerator<{ item: unknown; next: ItemCursor }> {
  // Cursors come from this parser; anything else is a bug in the caller, not a bad object.
  if (!Number.isSafeInteger(args.from.byte) || args.from.byte < 0 || !Number.isSafeInteger(args.from.index) || args.from.index < 0) {
    throw new RangeError(`not an item cursor: ${JSON.stringify(args.from)}`);
  }
  const window = new ByteWindow(chunks, readOffset(args.from), args.signal);
  if (args.from.byte === 0) await window.skipBom();
  else {
    if (!(await window.hold(1))) throw cursorPastEnd(args.where, args.from);
    const before = window.byteAt(window.start);
    window.dropBefore(window.start + 1);
    if (!(await fitsCursor(window, before, args))) return;
  }
  yield* args.format === 'jsonl' ? jsonLines(window, args) : jsonArray(window, args);
}

/** The object (or its bucket) does not exist. */
export function objectMissing(where: string): MapItemsError {
  return new MapItemsError(`${where} does not exist`);
}

/** A cursor at or beyond the object's end: the object was replaced by a shorter one since the cursor was taken. */
export function cursorPastEnd(where: string, from: ItemCursor): MapItemsError {
  return new MapItemsError(`${where} ends before byte ${from.byte}, where the read of item ${from.index + 1} resumes: was the object replaced?`);
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

/**
 * Checks the byte before a resumed read: a newline (JSON Lines) or a comma (JSON) means more items follow. Else
 * the cursor is the end one (after the last line, or after `]`): nothing may follow. False: nothing is left.
 */
async function fitsCursor(window: ByteWindow, before: number, args: ParseMapItemsArgs): Promise<boolean> {
  if (before === (args.format === 'jsonl' ? NEWLINE : COMMA)) return true;
  const endCursor = args.format === 'jsonl' || before === CLOSE_ARRAY;
  // JSON Lines' end cursor follows a last line without a newline; a JSON array's follows its `]` and white space.
  const left = !endCursor || (args.format === 'jsonl' ? await window.hold(1) : (await window.nextNonSpace(window.start)) !== undefined);
  if (left) throw new MapItemsError(`${args.where} has no item boundary at byte ${args.from.byte}, where the read of item ${args.from.index + 1} resumes: was the object replaced?`);
  return false;
}

/** JSON Lines: one item a line; blank lines are skipped; `\r\n` line ends are accepted; the last newline is optional. */
async function* jsonLines(window: ByteWindow, args: ParseMapItemsArgs): AsyncGenerator<{ item: unknown; next: ItemCursor }> {
  let index = args.from.index;
  for (;;) {
    let scanned = window.start;
    let newline = window.indexOf(NEWLINE, scanned);
    while (newline < 0) {
      scanned = window.end;
      // Refused before the rest of the line is read (+1: a CR before its newline).
      if (window.end - window.start > args.maxItemBytes + 1) throw tooLarge(args, index, window.start, window.end - window.start);
      if (!(await window.more())) break;
      newline = window.indexOf(NEWLINE, scanned);
    }
    if (newline < 0 && window.end === window.start) return;
    const lineStart = window.start;
    const lineEnd = newline < 0 ? window.end : newline;
    const next = newline < 0 ? window.end : newline + 1;
    const contentEnd = lineEnd > lineStart && window.byteAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
    if (!isBlank(window, lineStart, contentEnd)) {
      if (contentEnd - lineStart > args.maxItemBytes) throw tooLarge(args, index, lineStart, contentEnd - lineStart);
      const item = parseItem(window.text(lineStart, contentEnd), args, index, lineStart);
      index += 1;
      window.dropBefore(next);
      yield { item, next: { byte: next, index } };
    } else window.dropBefore(next);
    if (newline < 0) return;
  }
}

function isBlank(window: ByteWindow, from: number, to: number): boolean {
  for (let at = from; at < to; at++) if (!isJsonSpace(window.byteAt(at))) return false;
  return true;
}

/**
 * A JSON array, element by element. A small scanner finds where each element ends (depth and string state only:
 * every structural character is ASCII, so scanning bytes is safe in UTF-8) and `JSON.parse` checks the element's
 * text, so no malformed element gets through. A cursor points just after an element's comma (after the `]` for the
 * last one), so a resumed read starts in the middle of the array.
 */
async function* jsonArray(window: ByteWindow, args: ParseMapItemsArgs): AsyncGenerator<{ item: unknown; next: ItemCursor }> {
  let index = args.from.index;
  if (args.from.byte === 0) {
    const open = await window.nextNonSpace(window.start);
    if (open === undefined) throw new MapItemsError(`${args.where} is empty (or only white space), not a JSON array`);
    if (window.byteAt(open) !== OPEN_ARRAY) throw new MapItemsError(`${args.where} is not a JSON array: it starts with '${await excerptAt(window, open)}' at byte ${open}`);
    window.dropBefore(open + 1);
    const first = await window.nextNonSpace(window.start);
    if (first !== undefined && window.byteAt(first) === CLOSE_ARRAY) return await expectEnd(window, first + 1, args);
  }
  for (;;) {
    const start = await window.nextNonSpace(window.start);
    if (start === undefined) throw new MapItemsError(`${args.where} ends inside its JSON array, before item ${index + 1} (at byte ${window.end}): the array is not closed`);
    const { end, lastByte } = await scanElement(window, start, args, index);
    if (lastByte < start) throw new MapItemsError(`${args.where} has no item where item ${index + 1} should be (byte ${start}): a stray '${String.fromCharCode(window.byteAt(end))}'`);
    const closes = window.byteAt(end) === CLOSE_ARRAY;
    const item = parseItem(window.text(start, lastByte + 1), args, index, start);
    index += 1;
    window.dropBefore(end + 1);
    if (closes) await expectEnd(window, end + 1, args);
    yield { item, next: { byte: end + 1, index } };
    if (closes) return;
  }
}

/**
 * Scans one element from its first byte to the `,` or `]` that ends it. Answers the delimiter's offset and the
 * element's last non-space byte. Refuses the element as soon as it passes the limit.
 */
async function scanElement(window: ByteWindow, start: number, args: ParseMapItemsArgs, index: number): Promise<{ end: number; lastByte: number }> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let lastByte = start - 1;
  for (let at = start; ; at++) {
    if (at >= window.end && !(await window.more())) throw new MapItemsError(`${args.where} ends inside item ${index + 1} (from byte ${start}): the JSON array is not closed`);
    const byte = window.byteAt(at);
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === BACKSLASH) escaped = true;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) depth += 1;
    else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
      if (depth === 0) {
        if (byte === CLOSE_OBJECT) throw new MapItemsError(`${args.where} has a stray '}' at byte ${at}, in item ${index + 1}`);
        return { end: at, lastByte };
      }
      depth -= 1;
    } else if (byte === COMMA && depth === 0) return { end: at, lastByte };
    if (inString || !isJsonSpace(byte)) {
      lastByte = at;
      if (lastByte - start + 1 > args.maxItemBytes) throw tooLarge(args, index, start, lastByte - start + 1);
    }
  }
}

/** After the closing bracket only white space may follow. */
async function expectEnd(window: ByteWindow, from: number, args: ParseMapItemsArgs): Promise<void> {
  const extra = await window.nextNonSpace(from);
  if (extra !== undefined) throw new MapItemsError(`${args.where} has data after the end of its JSON array, at byte ${extra}: '${await excerptAt(window, extra)}'`);
}

function parseItem(text: string, args: ParseMapItemsArgs, index: number, byte: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const what = args.format === 'jsonl' ? `line of item ${index + 1}` : `item ${index + 1}`;
    throw new MapItemsError(`the ${what} of ${args.where} (at byte ${byte}) is not valid JSON: '${excerpt(text)}' (${(error as Error).message})`, { cause: error });
  }
}

function tooLarge(args: ParseMapItemsArgs, index: number, byte: number, size: number): MapItemsError {
  return new MapItemsError(`item ${index + 1} of ${args.where} (at byte ${byte}) is over the limit of ${args.maxItemBytes} bytes an item: ${size} bytes or more`);
}

/** Up to 64 bytes from `at`, reading on as needed, so the message does not depend on where a chunk ended. */
async function excerptAt(window: ByteWindow, at: number): Promise<string> {
  await window.hold(at - window.start + 64);
  return excerpt(window.text(at, Math.min(at + 64, window.end)));
}

/** The start of a text, short enough for an error message. */
function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
