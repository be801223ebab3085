import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDag, type Dag } from '#domain/dag.ts';
import type { TaskSpec } from '#domain/definition.ts';
import { TASK_STATUSES, type TaskStatus } from '#domain/lifecycle.ts';
import { planRerun, planRerunChunk, versionDifferences, type TaskState } from '#domain/rerun-plan.ts';

/**
 * A budgeted rerun plans a chunk of the order at a time, from what earlier
 * chunks decided, and checks versions from the differing tasks only: on random
 * graphs, random version changes, random states and random chunk sizes it must
 * answer exactly what planning the whole process at once answers. fast-check
 * prints the seed of a failing run (replay with `{ seed, path }`).
 */
const RUN = 3;

const dagOf = (needs: ReadonlyMap<string, readonly string[]>): Dag =>
  buildDag({ tasks: [...needs].map(([name, n]): TaskSpec => ({ name, needs: [...n], queue: 'default', timeoutSeconds: 300 })) });

interface Case {
  readonly from: Dag;
  readonly to: Dag;
  readonly states: Map<string, TaskState>;
  readonly fromTasks: string[];
  readonly chunk: number;
}

const caseArb: fc.Arbitrary<Case> = fc.integer({ min: 1, max: 14 }).chain((n) =>
  fc
    .record({
      needs: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
      // Per task of `to`: 0 same needs, 1 other needs, 2 removed; then up to 3 new tasks.
      change: fc.array(fc.constantFrom(0, 0, 0, 0, 1, 2), { minLength: n, maxLength: n }),
      otherNeeds: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: n, maxLength: n }),
      added: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { maxLength: 3 }),
      states: fc.array(fc.option(fc.record({ status: fc.constantFrom<TaskStatus>(...TASK_STATUSES, 'COMPLETED', 'COMPLETED', 'COMPLETED'), run: fc.integer({ min: 1, max: RUN }) })), {
        minLength: n,
        maxLength: n,
      }),
      forced: fc.array(fc.nat(), { maxLength: 2 }),
      chunk: fc.integer({ min: 1, max: 5 }),
    })
    .map(({ needs, change, otherNeeds, added, states, forced, chunk }) => {
      const name = (i: number) => `t${i}`;
      const earlier = (i: number, picks: readonly number[]) => (i === 0 ? [] : [...new Set(picks.map((p) => p % i))].map(name));
      const fromNeeds = new Map(needs.map((picks, i) => [name(i), earlier(i, picks)]));
      const kept = (i: number) => change[i] !== 2;
      const toNeeds = new Map<string, string[]>();
      for (let i = 0; i < n; i++) {
        if (!kept(i)) continue;
        const picks = change[i] === 1 ? (otherNeeds[i] ?? []) : (needs[i] ?? []);
        toNeeds.set(name(i), earlier(i, picks).filter((t) => kept(Number(t.slice(1)))));
      }
      added.forEach((picks, j) => toNeeds.set(`new${j}`, earlier(n, picks).filter((t) => toNeeds.has(t))));
      const stateMap = new Map<string, TaskState>();
      states.forEach((s, i) => {
        if (s) stateMap.set(name(i), s);
      });
      return { from: dagOf(fromNeeds), to: dagOf(toNeeds), states: stateMap, fromTasks: [...new Set(forced.map((f) => name(f % n)))].filter((t) => toNeeds.has(t)), chunk };
    }),
);

describe('planRerunChunk and versionDifferences', () => {
  it('plan, chunk by chunk, what planRerun plans whole, and find the same version differences', () => {
    fc.assert(
      fc.property(caseArb, ({ from, to, states, fromTasks, chunk }) => {
        const whole = planRerun(from, to, states, fromTasks, RUN);
        expect(versionDifferences(from, to, states, fromTasks, RUN)).toEqual(whole.differences);
        if (whole.differences.length > 0) return;
        const decided = new Map<string, boolean>();
        const reset: string[] = [];
        const kept: string[] = [];
        for (let at = 0; at < to.order.length; at += chunk) {
          const part = planRerunChunk(from, to, to.order.slice(at, at + chunk), states, fromTasks, RUN, (n) => decided.get(n) ?? true);
          part.reset.forEach((t) => decided.set(t, true));
          part.kept.forEach((t) => decided.set(t, false));
          reset.push(...part.reset);
          kept.push(...part.kept);
        }
        expect({ reset, kept }).toEqual({ reset: whole.reset, kept: whole.kept });
      }),
      { numRuns: 1000 },
    );
  });
});
