import type { Item } from './item-table.ts';

/**
 * DynamoDB's size of an item, as it counts it against the 400 KB limit and
 * bills it (1 write unit per KB, 4 KB per read unit): attribute names plus
 * values, strings by their UTF-8 length, numbers by about half their digits
 * plus one, a list or map 3 bytes plus 1 per element. The in-memory table
 * enforces the limit with it and the capacity meter sizes transaction items
 * with it, so both size an item alike.
 */
export function itemBytes(item: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const [k, v] of Object.entries(item)) if (v !== undefined) bytes += Buffer.byteLength(k, 'utf8') + valueBytes(v);
  return bytes;
}

/** The size of one attribute value, as {@link itemBytes} counts it. */
export function valueBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (typeof v === 'number') return Math.ceil(String(v).replace(/^-/, '').replace('.', '').length / 2) + 1;
  if (typeof v === 'boolean' || v === null) return 1;
  if (v instanceof Uint8Array) return v.byteLength;
  if (v instanceof Set) return [...(v as Set<unknown>)].reduce((s: number, x) => s + valueBytes(x), 0);
  if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + 1 + valueBytes(x), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as Item).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k, 'utf8') + valueBytes(x), 0);
  return 0;
}
