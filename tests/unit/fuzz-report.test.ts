import { serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_SEED, fuzzAssert } from '../support/fuzz.ts';

/**
 * Why a fuzz failure must not carry its values (tests/support/fuzz.ts): the
 * forks pool sends each test's result and errors to the main process with
 * V8's serializer, which recurses per level of nesting.
 */
const DEPTH = 100_000;
const deepText = '['.repeat(DEPTH) + 'null' + ']'.repeat(DEPTH);
/** A property that fails on a 100,000-deep value, as an assertion on a parsed payload would. */
const failingOnDeepValue = fc.property(fc.constant(deepText), (text) => {
  throw Object.assign(new Error('expected the payload to be refused'), { actual: JSON.parse(text) as unknown, expected: 400 });
});

async function thrownBy(run: () => unknown): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('nothing was thrown');
}

describe('a fuzz failure crossing the fork boundary', () => {
  it("cannot be sent as fast-check reports it: its cause holds the deep value, and V8's serializer overflows on it", async () => {
    const error = await thrownBy(() => fc.assert(failingOnDeepValue, { numRuns: 1, seed: 1 }));
    // Only booleans reach expect(): the deep value itself must not.
    const carried = (error.cause as { actual?: unknown } | undefined)?.actual;
    expect(Array.isArray(carried)).toBe(true);
    expect(() => serialize({ cause: { actual: carried } })).toThrow(RangeError);
  });

  it('is reported by fuzzAssert as strings only: the seed to replay, the reason, the counterexample clipped with its depth', async () => {
    const error = await thrownBy(() => fuzzAssert(failingOnDeepValue, 1));
    expect(Object.getOwnPropertyNames(error).sort()).toEqual(['message', 'stack']);
    expect(error.cause).toBeUndefined();
    expect(error.message.length).toBeLessThan(5000);
    expect(error.message).toContain(`FUZZ_SEED=${FUZZ_SEED}`);
    expect(error.message).toContain('Error: expected the payload to be refused');
    expect(error.message).toContain(`(${deepText.length} chars, ${DEPTH} levels deep)`);
    expect(() => serialize({ message: error.message, stack: error.stack })).not.toThrow();
  });

  it('draws the same values on every run (a fixed seed)', async () => {
    const draws = async () => {
      const seen: number[] = [];
      await fuzzAssert(
        fc.property(fc.integer(), (n) => {
          seen.push(n);
        }),
        5,
      );
      return seen;
    };
    expect(await draws()).toEqual(await draws());
  });
});
