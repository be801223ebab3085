import { describe, expect, it } from 'vitest';
import { canonicalDefinition, validateDefinition } from '#domain/definition.ts';
import { joinDecision } from '#domain/branch-decision.ts';
import { OPTIONS, problemsOf, problemsOfText } from './definition-problems.ts';

/** The branch keys at PUT: `when` compiled as a condition (located by path, line and column), `join` one of three rules. */

const diamond = (when: string, join?: string) => ({
  tasks: [{ name: 'intake' }, { name: 'approve', needs: ['intake'], when }, { name: 'notify', needs: ['intake', 'approve'], ...(join ? { join } : {}) }],
});

describe('when and join in a definition', () => {
  it('keeps a condition as written, and a join rule unless it is the default', () => {
    const spec = validateDefinition(diamond('upstream.intake.amount < 1000', 'anyCompleted'), OPTIONS);
    expect(spec.tasks[1]).toMatchObject({ name: 'approve', when: 'upstream.intake.amount < 1000' });
    expect(spec.tasks[2]).toMatchObject({ name: 'notify', join: 'anyCompleted' });
    const spelledOut = validateDefinition(diamond('true', 'allSettled'), OPTIONS);
    expect(spelledOut.tasks[2]?.join).toBeUndefined();
    // A spelled-out default hashes like an omitted one.
    expect(canonicalDefinition(spelledOut)).toBe(canonicalDefinition(validateDefinition(diamond('true'), OPTIONS)));
  });

  it('a step may have a condition over the step before it', () => {
    const spec = validateDefinition({ steps: ['a', { name: 'b', when: "upstream.a.ok && input.go" }] }, OPTIONS);
    expect(spec.tasks[1]).toMatchObject({ needs: ['a'], when: 'upstream.a.ok && input.go' });
  });

  it.each([
    ['a syntax error', 'upstream.intake.amount <', 'tasks[1].when'],
    ['an unknown variable', 'now > 1', 'tasks[1].when'],
    ['a result that is not a bool', "'yes'", 'tasks[1].when'],
    ['an upstream that is not a need', 'upstream.billing.ok', 'tasks[1].when'],
  ])('rejects %s at its path', (_, when, path) => {
    const problems = problemsOf(diamond(when));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(path);
  });

  it('names a condition on a root that reads upstream', () => {
    expect(problemsOf({ tasks: [{ name: 'a', when: 'upstream.x' }] })[0]).toMatchObject({ path: 'tasks[0].when', message: expect.stringContaining("unknown variable 'upstream'") as string });
  });

  it('rejects a condition that is not text, and an unknown join rule', () => {
    expect(problemsOf({ tasks: [{ name: 'a', when: true }] })[0]).toMatchObject({ path: 'tasks[0].when', message: expect.stringContaining('when must be a CEL expression') as string });
    expect(problemsOf(diamond('true', 'firstCompleted'))[0]).toEqual({ path: 'tasks[2].join', message: 'join must be one of: allSettled, allCompleted, anyCompleted' });
  });

  it('locates a problem in YAML by line and column within the expression', () => {
    const text = ['tasks:', '  - name: intake', '  - name: approve', '    needs: [intake]', '    when: "upstream.intake.amount < )"', ''].join('\n');
    const [problem] = problemsOfText(text);
    expect(problem).toMatchObject({ path: 'tasks[1].when', line: 5 });
    // The column points at the offending token inside the quoted expression.
    expect(text.split('\n')[4]?.[(problem?.column ?? 0) - 1]).toBe(')');
  });
});

describe('joinDecision', () => {
  it.each([
    ['allSettled', 2, 1, 0, 'wait'],
    ['allSettled', 2, 2, 1, 'run'],
    ['allSettled', 2, 2, 2, 'skip'],
    ['allCompleted', 2, 2, 0, 'run'],
    ['allCompleted', 2, 2, 1, 'skip'],
    ['allCompleted', 2, 1, 1, 'wait'],
    ['anyCompleted', 3, 1, 0, 'run'],
    ['anyCompleted', 3, 2, 2, 'wait'],
    ['anyCompleted', 3, 3, 3, 'skip'],
  ] as const)('%s with %i parents, %i settled of which %i skipped: %s', (rule, expected, settled, skipped, decision) => {
    expect(joinDecision(rule, { expected, settled, skipped })).toBe(decision);
  });
});
