import { describe, expect, it } from 'vitest';
import { buildDag, findCycles } from '#domain/dag.ts';
import { validateDefinition, type DefinitionSpec, type TaskSpec } from '#domain/definition.ts';
import { InvalidDefinitionError } from '#domain/errors.ts';

const spec = (...tasks: [string, string[]][]): DefinitionSpec => ({
  tasks: tasks.map(([name, needs]): TaskSpec => ({ name, needs, queue: 'default', timeoutSeconds: 300 })),
});

/** A chain T0 <- T1 <- ... <- T(n-1), each task needing the one before. */
const chain = (n: number): [string, string[]][] => Array.from({ length: n }, (_, i) => [`T${i}`, i === 0 ? [] : [`T${i - 1}`]]);

describe('buildDag', () => {
  // Declared out of order: Notify joins Score and Review, which both need Open.
  const diamond = spec(['Notify', ['Review', 'Score']], ['Score', ['Open']], ['Review', ['Open']], ['Open', []], ['Audit', []]);

  it('orders tasks topologically, the earlier declared first among ready tasks', () => {
    expect(buildDag(diamond).order).toEqual(['Open', 'Score', 'Review', 'Notify', 'Audit']);
  });

  it('lists roots, sinks and children in declaration order', () => {
    const dag = buildDag(diamond);
    expect(dag.roots).toEqual(['Open', 'Audit']);
    expect(dag.sinks).toEqual(['Notify', 'Audit']);
    expect([...dag.children]).toEqual([
      ['Notify', []],
      ['Score', ['Notify']],
      ['Review', ['Notify']],
      ['Open', ['Score', 'Review']],
      ['Audit', []],
    ]);
    expect(dag.tasks.get('Notify')?.needs).toEqual(['Review', 'Score']);
  });

  it('handles a 5000-task chain without recursion', () => {
    const dag = buildDag(spec(...chain(5000)));
    expect(dag.order[4999]).toBe('T4999');
    expect(dag.roots).toEqual(['T0']);
    expect(dag.sinks).toEqual(['T4999']);
  });

  it('refuses a spec that skipped validation: duplicate name, unknown need, cycle', () => {
    expect(() => buildDag(spec(['A', []], ['A', []]))).toThrow(InvalidDefinitionError);
    expect(() => buildDag(spec(['A', ['Z']]))).toThrow(/unknown task 'Z'/);
    expect(() => buildDag(spec(['A', ['B']], ['B', ['A']]))).toThrow(/cycle: A -> B -> A/);
  });
});

describe('findCycles', () => {
  it('returns each cycle as the path it closes, the first task repeated at the end', () => {
    expect(findCycles(new Map([['A', ['B']], ['B', ['C']], ['C', ['A']]]))).toEqual([['A', 'B', 'C', 'A']]);
  });

  it('returns a self-loop as [A, A]', () => {
    expect(findCycles(new Map([['A', ['A']]]))).toEqual([['A', 'A']]);
  });

  it('returns one cycle per back edge, in search order, and counts a repeated edge once', () => {
    const edges = new Map([
      ['A', ['B', 'B']],
      ['B', ['A', 'A', 'C']],
      ['C', ['C', 'B']],
    ]);
    expect(findCycles(edges)).toEqual([
      ['A', 'B', 'A'],
      ['C', 'C'],
      ['B', 'C', 'B'],
    ]);
  });

  it('treats an edge to a task that is not a key as a dead end', () => {
    expect(findCycles(new Map([['A', ['Z']]]))).toEqual([]);
  });

  it('stops at the limit', () => {
    expect(findCycles(new Map([['A', ['A']], ['B', ['B']], ['C', ['C']]]), { limit: 2 })).toEqual([
      ['A', 'A'],
      ['B', 'B'],
    ]);
  });

  it('finds a 5000-task cycle without recursion', () => {
    const edges = new Map(chain(5000).map(([name, needs]) => [name, name === 'T0' ? ['T4999'] : needs]));
    const [cycle] = findCycles(edges);
    expect(cycle).toHaveLength(5001);
    expect(cycle?.[0]).toBe(cycle?.[5000]);
  });
});

describe('validation of long chains', () => {
  it('accepts a 5000-task chain declared in reverse', () => {
    const tasks = chain(5000)
      .reverse()
      .map(([name, needs]) => ({ name, needs }));
    expect(validateDefinition({ tasks }, { queues: ['default'], defaultQueue: 'default' }).tasks).toHaveLength(5000);
  });
});
