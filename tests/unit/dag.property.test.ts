import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildDag, findCycles } from '#domain/dag.ts';
import { parseDefinition, validateDefinition } from '#domain/definition.ts';
import { InvalidDefinitionError } from '#domain/errors.ts';
import { definitionArb, OPTIONS, reachable } from './dag-arbitraries.ts';

const RUNS = { numRuns: 150 };

/** The reference order: repeatedly take the earliest-declared task whose needs are all placed. Quadratic, obviously right. */
function referenceOrder(tasks: readonly { name: string; needs?: string[] }[]): string[] {
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < tasks.length) {
    const next = tasks.find((t) => !placed.has(t.name) && (t.needs ?? []).every((n) => placed.has(n)));
    if (next === undefined) throw new Error('not acyclic');
    placed.add(next.name);
    order.push(next.name);
  }
  return order;
}

describe('buildDag on random acyclic definitions', () => {
  it('accepts them, and orders every task after all of its needs, declaration order breaking ties', () => {
    fc.assert(
      fc.property(definitionArb(), ({ doc, needsOf }) => {
        const dag = buildDag(validateDefinition(doc, OPTIONS));
        const position = new Map(dag.order.map((name, i) => [name, i]));
        expect(dag.order).toHaveLength(doc.tasks.length);
        expect(position.size).toBe(doc.tasks.length);
        for (const [task, needs] of needsOf) {
          for (const need of needs) assert.ok((position.get(need) ?? Infinity) < (position.get(task) ?? -1), `${need} after ${task}`);
        }
        expect(dag.order).toEqual(referenceOrder(doc.tasks));
      }),
      RUNS,
    );
  });

  it('lists roots, sinks and children in declaration order', () => {
    fc.assert(
      fc.property(definitionArb(), ({ doc, needsOf }) => {
        const dag = buildDag(validateDefinition(doc, OPTIONS));
        const declared = doc.tasks.map((t) => t.name);
        const neededBy = (name: string) => declared.filter((t) => needsOf.get(t)?.includes(name));
        expect(dag.roots).toEqual(declared.filter((t) => needsOf.get(t)?.length === 0));
        expect(dag.sinks).toEqual(declared.filter((t) => neededBy(t).length === 0));
        for (const name of declared) assert.deepEqual(dag.children.get(name), neededBy(name), `children of ${name}`);
      }),
      RUNS,
    );
  });

  it('reads the same spec from the document, its YAML and its JSON', () => {
    fc.assert(
      fc.property(definitionArb(12), ({ doc }) => {
        const spec = validateDefinition(doc, OPTIONS);
        expect(parseDefinition(stringify(doc), OPTIONS)).toEqual(spec);
        expect(parseDefinition(JSON.stringify(doc, null, 2), OPTIONS)).toEqual(spec);
      }),
      { numRuns: 100 },
    );
  });

  it('finds no cycle', () => {
    fc.assert(
      fc.property(definitionArb(), ({ needsOf }) => {
        expect(findCycles(needsOf)).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe('validation with a random back edge', () => {
  /** An acyclic definition plus a need from `from` to `to`, where `from` is reachable from `to`: a cycle. */
  const cyclicArb = definitionArb().chain((def) =>
    fc.record({ toIndex: fc.nat({ max: def.doc.tasks.length - 1 }), fromPick: fc.nat() }).map(({ toIndex, fromPick }) => {
      const to = def.doc.tasks[toIndex]?.name ?? '';
      const candidates = reachable(def.needsOf, to);
      const from = candidates[fromPick % candidates.length] ?? to;
      const tasks = def.doc.tasks.map((t) => (t.name === from ? { name: t.name, needs: [...(t.needs ?? []), to] } : t));
      const needsOf = new Map(tasks.map((t) => [t.name, t.needs ?? []]));
      return { doc: { tasks }, needsOf, from, to };
    }),
  );

  it('reports only real cycles, each through the added need and located at the need that closes it', () => {
    fc.assert(
      fc.property(cyclicArb, ({ doc, needsOf, from, to }) => {
        let error: unknown;
        try {
          validateDefinition(doc, OPTIONS);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(InvalidDefinitionError);
        const problems = (error as InvalidDefinitionError).details;
        const cycles = problems.filter((p) => p.message.startsWith('cycle: '));
        expect(cycles.length).toBeGreaterThan(0);
        expect(cycles).toHaveLength(problems.length);
        for (const problem of cycles) {
          const path = problem.message.slice('cycle: '.length).split(' -> ');
          expect(path.length).toBeGreaterThanOrEqual(2);
          expect(path.at(-1)).toBe(path[0]);
          const steps = path.slice(0, -1).map((name, i) => [name, path[i + 1] ?? ''] as const);
          for (const [a, b] of steps) expect(needsOf.get(a)).toContain(b);
          // The graph was acyclic before, so every cycle uses the added need.
          expect(steps.some(([a, b]) => a === from && b === to)).toBe(true);
          const closingTask = doc.tasks.findIndex((t) => t.name === path.at(-2));
          const closingNeed = doc.tasks[closingTask]?.needs?.indexOf(path.at(-1) ?? '');
          expect(problem.path).toBe(`tasks[${closingTask}].needs[${closingNeed}]`);
        }
        expect(new Set(cycles.map((p) => p.message)).size).toBe(cycles.length);
      }),
      RUNS,
    );
  });
});
