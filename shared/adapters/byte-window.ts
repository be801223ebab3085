/**
 * A sliding window over a byte stream, addressed by absolute offsets in the object it comes from. The map item
 * parser keeps only the bytes of the item it is reading: it drops what it has parsed, and pulls the next chunk
 * only when it runs out.
 */
export class ByteWindow {
  private buffer: Buffer = Buffer.alloc(0);
  /** Absolute offset of `buffer[0]`. */
  private base: number;
  private readonly chunks: AsyncIterator<Uint8Array>;
  private exhausted = false;

  constructor(
    source: AsyncIterable<Uint8Array>,
    base: number,
    private readonly signal?: AbortSignal,
  ) {
    this.chunks = source[Symbol.asyncIterator]();
    this.base = base;
  }

  /** The first byte still held. */
  get start(): number {
    return this.base;
  }

  /** Just after the last byte read so far. */
  get end(): number {
    return this.base + this.buffer.length;
  }

  /** Reads the next chunk; false at the end of the stream. */
  async more(): Promise<boolean> {
    this.signal?.throwIfAborted();
    while (!this.exhausted) {
      const next = await this.chunks.next();
      this.signal?.throwIfAborted();
      if (next.done) {
        this.exhausted = true;
        break;
      }
      if (next.value.length === 0) continue;
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.length);
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      return true;
    }
    return false;
  }

  /** Reads until at least `count` bytes are held; false if the stream ends first. */
  async hold(count: number): Promise<boolean> {
    while (this.buffer.length < count) if (!(await this.more())) return false;
    return true;
  }

  /** Forgets every byte before `offset` (absolute). */
  dropBefore(offset: number): void {
    this.buffer = this.buffer.subarray(offset - this.base);
    this.base = offset;
  }

  byteAt(offset: number): number {
    return this.buffer[offset - this.base]!;
  }

  /** Offset of the first `byte` at or after `from` among the bytes held, or -1. */
  indexOf(byte: number, from: number): number {
    const at = this.buffer.indexOf(byte, from - this.base);
    return at < 0 ? -1 : at + this.base;
  }

  /** The bytes from `from` to `to` (absolute, `to` excluded), decoded as UTF-8. */
  text(from: number, to: number): string {
    return this.buffer.toString('utf8', from - this.base, to - this.base);
  }

  /** The first byte at or after `from` that is not JSON white space, reading on as needed; undefined at the end. */
  async nextNonSpace(from: number): Promise<number | undefined> {
    for (let at = from; ; at++) {
      if (at >= this.end && !(await this.more())) return undefined;
      if (!isJsonSpace(this.byteAt(at))) return at;
    }
  }

  /** Skips a UTF-8 byte order mark at the window's start, if there is one. */
  async skipBom(): Promise<void> {
    await this.hold(3);
    if (this.buffer.length >= 3 && this.buffer[0] === 0xef && this.buffer[1] === 0xbb && this.buffer[2] === 0xbf) this.dropBefore(this.base + 3);
  }
}

/** Space, tab, line feed or carriage return: JSON's white space. */
export function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
