import fc from 'fast-check';
import type { ParseOptions } from '#domain/definition.ts';

/**
 * Random acyclic definition documents for property tests. A task's needs only
 * point at tasks with a smaller index, so the graph is acyclic; the tasks are
 * then declared in a shuffled order, so that needs also point forward in the
 * file and the declaration order is not already a topological order.
 */

export const OPTIONS: ParseOptions = { queues: ['default', 'gpu'], defaultQueue: 'default' };

export interface TaskDoc {
  name: string;
  needs?: string[];
}

export interface RandomDefinition {
  /** The document, tasks in declaration order. */
  readonly doc: { tasks: TaskDoc[] };
  /** Task name to its needs. */
  readonly needsOf: ReadonlyMap<string, readonly string[]>;
}

/** Names from a small alphabet (with spaces and non-ASCII), never containing '->', so cycle messages split cleanly. */
const nameArb = fc.string({ unit: fc.constantFrom('a', 'B', 'c', ' ', '_', '1', 'é'), minLength: 1, maxLength: 6 });

export function definitionArb(maxTasks = 20): fc.Arbitrary<RandomDefinition> {
  return fc.integer({ min: 1, max: maxTasks }).chain((n) =>
    fc
      .record({
        names: fc.uniqueArray(nameArb, { minLength: n, maxLength: n }),
        rawNeeds: fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n }),
        declared: fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
        omitEmptyNeeds: fc.boolean(),
      })
      .map(({ names, rawNeeds, declared, omitEmptyNeeds }) => {
        const needsOf = new Map<string, string[]>();
        names.forEach((name, i) => {
          // Only indices below i: acyclic by construction.
          const needs = i === 0 ? [] : [...new Set((rawNeeds[i] ?? []).map((x) => x % i))].map((j) => names[j] ?? '');
          needsOf.set(name, needs);
        });
        const tasks = declared.map((i): TaskDoc => {
          const name = names[i] ?? '';
          const needs = needsOf.get(name) ?? [];
          return needs.length === 0 && omitEmptyNeeds ? { name } : { name, needs };
        });
        return { doc: { tasks }, needsOf };
      }),
  );
}

/** Every task reachable from `start` by following needs, `start` included. */
export function reachable(needsOf: ReadonlyMap<string, readonly string[]>, start: string): string[] {
  const seen = new Set([start]);
  const stack = [start];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    for (const need of needsOf.get(node) ?? []) {
      if (!seen.has(need)) {
        seen.add(need);
        stack.push(need);
      }
    }
  }
  return [...seen];
}
