import { describe, expect, it } from 'vitest';
import { copyItem } from '#adapters/memory/copy-item.ts';

describe('copyItem', () => {
  it('copies JSON-like items deeply, as structuredClone does: equal, and sharing nothing', () => {
    const item = { pk: 'P#1', sk: 'T#a', n: 3, neg: -0, ok: true, none: null, gone: undefined, list: [1, 'two', { three: [3] }], nested: { a: { b: [] } } };
    const copy = copyItem(item);
    expect(copy).toStrictEqual(structuredClone(item));
    expect(Object.is(copy.neg, -0)).toBe(true);
    expect('gone' in copy).toBe(true);
    copy.list.push(4);
    (copy.list[2] as { three: number[] }).three.push(4);
    copy.nested.a.b.push(1 as never);
    expect(item.list).toEqual([1, 'two', { three: [3] }]);
    expect(item.nested).toEqual({ a: { b: [] } });
  });

  it('copies a prototype-less object into a plain one, as structuredClone does', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const copy = copyItem(bare);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy).toStrictEqual(structuredClone(bare));
  });

  it('hands anything not JSON-like to structuredClone: dates, bytes, maps, class instances, holes', () => {
    class Point {
      constructor(readonly x: number) {}
    }
    // eslint-disable-next-line no-sparse-arrays
    const item = { at: new Date(0), bytes: new Uint8Array([1, 2]), map: new Map([['k', 1]]), point: new Point(1), holes: [1, , 3] };
    const copy = copyItem(item);
    expect(copy).toStrictEqual(structuredClone(item));
    expect(copy.at).not.toBe(item.at);
    expect(copy.bytes).not.toBe(item.bytes);
    expect(Object.getPrototypeOf(copy.point)).toBe(Object.prototype);
    expect(1 in copy.holes).toBe(false);
  });

  it('refuses a function as structuredClone does', () => {
    expect(() => copyItem({ f: () => 1 })).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
  });
});
