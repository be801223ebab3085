import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, START_CURSOR } from '#domain/pass-cursor.ts';

describe('pass cursor', () => {
  it('reads back what it stored, for each phase, a position in a 100,000-task order and a tally as large', () => {
    for (const cursor of [
      { phase: 0, position: 0, tally: 0 },
      { phase: 1, position: 300, tally: 7 },
      { phase: 3, position: 99_999, tally: 100_000 },
    ]) {
      expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
      expect(Number.isSafeInteger(encodeCursor(cursor))).toBe(true);
    }
  });

  it('stores a plain position as itself, so a one-phase pass records what a roots pass records', () => {
    expect(encodeCursor({ phase: 0, position: 42, tally: 0 })).toBe(42);
    expect(decodeCursor(42)).toEqual({ phase: 0, position: 42, tally: 0 });
  });

  it('starts from the beginning without a stored cursor, and refuses one it cannot store', () => {
    expect(decodeCursor(undefined)).toEqual(START_CURSOR);
    expect(() => encodeCursor({ phase: 4, position: 0, tally: 0 })).toThrow(RangeError);
    expect(() => encodeCursor({ phase: 0, position: 2 ** 24, tally: 0 })).toThrow(RangeError);
  });
});
