import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinDecision, type JoinDecision } from '#domain/branch-decision.ts';
import { filledJoinDecision } from '#domain/filled-join.ts';
import { JOIN_RULES } from '#schemas/definition-schema.ts';

/** The decision of the one parent that turned a small join (issue 19): exactly one count acts, and on the final decision. */
describe('filledJoinDecision', () => {
  it.each([
    ['allSettled', 3, 3, 0, 'run'],
    ['allSettled', 3, 2, 0, 'wait'],
    ['allSettled', 2, 2, 1, 'run'],
    ['allCompleted', 2, 2, 1, 'skip'],
    ['allCompleted', 2, 1, 0, 'wait'],
    ['anyCompleted', 3, 1, 0, 'run'],
    ['anyCompleted', 3, 2, 0, 'wait'],
    ['anyCompleted', 3, 2, 1, 'run'],
    ['anyCompleted', 3, 3, 2, 'run'],
  ] as const)('%s with %i parents, %i settled of which %i skipped, the last count a completion: %s', (rule, expected, settled, skipped, decision) => {
    expect(filledJoinDecision(rule, { expected, settled, skipped })).toBe(decision);
  });

  it('over every order of completions and skips, exactly the one count that decides the join acts, on its final decision', () => {
    const endings = fc.array(fc.boolean(), { minLength: 2, maxLength: 50 }); // true: a completion, false: a skip
    fc.assert(
      fc.property(fc.constantFrom(...JOIN_RULES), endings, (rule, completed) => {
        const expected = completed.length;
        let count = { expected, settled: 0, skipped: 0 };
        const acted: JoinDecision[] = [];
        for (const c of completed) {
          const before = joinDecision(rule, count);
          count = { expected, settled: count.settled + 1, skipped: count.skipped + (c ? 0 : 1) };
          // A completion's count is decided from the counter it left; a skip, counted in its own write, by its follow-up's read.
          const decided = c ? filledJoinDecision(rule, count) : before === 'wait' ? joinDecision(rule, count) : 'wait';
          if (decided !== 'wait') acted.push(decided);
        }
        expect(acted).toEqual([joinDecision(rule, count)]);
      }),
      { seed: 19, numRuns: 500 },
    );
  });
});
