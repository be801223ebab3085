import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWellFormedText, jsonDepth, jsonPayloadProblem, MAX_JSON_BYTES, MAX_JSON_DEPTH } from '#schemas/json-depth.ts';
import { CompleteBodySchema, FailBodySchema, StartProcessBodySchema } from '#schemas/api.ts';
import { errorResponse, jsonResponse } from '#http/error-response.ts';

/** `[[...[leaf]...]]` with `levels` arrays, built without recursion. */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

/** The same depth, the recursive way, for values small enough to recurse on. */
function recursiveDepth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(recursiveDepth));
}

describe('jsonDepth', () => {
  it('counts levels of arrays and objects, scalars being 0', () => {
    expect(jsonDepth(1)).toBe(0);
    expect(jsonDepth('x')).toBe(0);
    expect(jsonDepth(null)).toBe(0);
    expect(jsonDepth(undefined)).toBe(0);
    expect(jsonDepth([])).toBe(1);
    expect(jsonDepth({})).toBe(1);
    expect(jsonDepth({ a: [1, { b: null }] })).toBe(3);
    expect(jsonDepth([[], [[[]]], {}])).toBe(4);
  });

  it('agrees with a recursive count on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => {
        expect(jsonDepth(value)).toBe(recursiveDepth(value));
      }),
      { numRuns: 300 },
    );
  });

  it('measures 200,000 levels without overflowing the stack', () => {
    expect(jsonDepth(nested(200_000))).toBe(200_000);
  });

  it('stops at the cap, which also ends the walk of a cyclic value', () => {
    expect(jsonDepth(nested(1000), 10)).toBe(11);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(jsonDepth(cycle, MAX_JSON_DEPTH)).toBe(MAX_JSON_DEPTH + 1);
  });

  it('sees own __proto__ keys as JSON.parse makes them', () => {
    expect(jsonDepth(JSON.parse('{"__proto__":{"__proto__":[]}}'))).toBe(3);
  });

  it('handles very wide values', () => {
    const wide = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, [i]]));
    expect(jsonDepth(wide)).toBe(2);
  });
});

describe('jsonPayloadProblem', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels and names the limit past it`, () => {
    expect(jsonPayloadProblem(nested(MAX_JSON_DEPTH - 1))).toBeUndefined();
    expect(jsonPayloadProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonPayloadProblem(nested(MAX_JSON_DEPTH + 1))).toMatch(new RegExp(`limit is ${MAX_JSON_DEPTH}`));
    expect(jsonPayloadProblem(nested(5000))).toMatch(/nested more than 64 levels/);
  });

  it('refuses a value whose stored JSON outgrows the body it came in', () => {
    // "1e20," is 5 bytes in the request, 22 once stored.
    const grown = JSON.parse(`[${Array.from({ length: 20_000 }, () => '1e20').join(',')}]`) as unknown;
    expect(jsonPayloadProblem(grown)).toMatch(new RegExp(`limit is ${MAX_JSON_BYTES}`));
  });

  it('reports values JSON cannot hold instead of throwing', () => {
    expect(jsonPayloadProblem({ n: 1n })).toMatch(/cannot be stored as JSON/);
  });

  it('accepts any value fast-check calls JSON within the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        expect(jsonPayloadProblem(value)).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

describe('request schemas', () => {
  it('name the field and the limit for input, output and error.details', () => {
    const tooDeep = nested(MAX_JSON_DEPTH + 1);
    const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
      r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(paths(StartProcessBodySchema.safeParse({ definition: 'd', input: tooDeep }))).toEqual([expect.stringMatching(/^input: input is nested more than 64/)]);
    expect(paths(CompleteBodySchema.safeParse({ output: tooDeep }))).toEqual([expect.stringMatching(/^output: output is nested more than 64/)]);
    expect(paths(FailBodySchema.safeParse({ error: { message: 'm', details: tooDeep } }))).toEqual([
      expect.stringMatching(/^error\.details: error\.details is nested more than 64/),
    ]);
    expect(CompleteBodySchema.safeParse({ output: nested(MAX_JSON_DEPTH) }).success).toBe(true);
    expect(FailBodySchema.safeParse({ error: { message: 'm', details: nested(MAX_JSON_DEPTH) } }).success).toBe(true);
  });

  it('size a failure whole: message and details share one stored item', () => {
    const details = JSON.parse(`[${Array.from({ length: 10_000 }, () => '1e20').join(',')}]`) as unknown;
    const result = FailBodySchema.safeParse({ error: { message: 'x'.repeat(100_000), details } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^error is \d+ bytes once stored as JSON; the limit is 262144$/);
  });
});

describe('isWellFormedText', () => {
  it('refuses lone surrogates only', () => {
    expect(isWellFormedText('plain é 🚀')).toBe(true);
    expect(isWellFormedText('\ud83d\ude80')).toBe(true);
    expect(isWellFormedText('a\ud800')).toBe(false);
    expect(isWellFormedText('\udc00b')).toBe(false);
    expect(isWellFormedText('\ude80\ud83d')).toBe(false);
  });
});

describe('jsonResponse', () => {
  it('never throws: a body JSON.stringify cannot handle is logged and answered with a 500', () => {
    const logged: string[] = [];
    const log = (msg: string) => void logged.push(msg);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const body of [nested(20_000), cycle, { n: 1n }]) {
      const res = jsonResponse(200, body, { 'x-extra': '1' }, log);
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body!)).toEqual({ error: { code: 'InternalError', message: 'internal error' } });
    }
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatch(/could not be serialised/);
  });

  it('answers a serialisable body as before', () => {
    expect(jsonResponse(201, { a: [1] })).toEqual({ statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{"a":[1]}\n' });
  });

  it('errorResponse survives a logger that throws', () => {
    const res = errorResponse(new Error('boom'), () => {
      throw new Error('logger down');
    });
    expect(res.statusCode).toBe(500);
  });
});
