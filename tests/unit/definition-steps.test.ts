import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDefinition, parseDefinition, validateDefinition } from '#domain/definition.ts';
import { OPTIONS, problemsOfText } from './definition-problems.ts';

describe('steps: a routine of ordered steps', () => {
  it('becomes the equivalent tasks form, each step needing the one before it', () => {
    const spec = parseDefinition(
      `description: nightly export
steps:
  - Extract
  - Transform
  - name: Load
    queue: gpu
    timeoutSeconds: 600
`,
      OPTIONS,
    );
    expect(spec).toEqual({
      description: 'nightly export',
      tasks: [
        { name: 'Extract', needs: [], queue: 'default', timeoutSeconds: 300 },
        { name: 'Transform', needs: ['Extract'], queue: 'default', timeoutSeconds: 300 },
        { name: 'Load', needs: ['Transform'], queue: 'gpu', timeoutSeconds: 600 },
      ],
    });
  });

  it('hashes the same as the tasks form it stands for, so re-putting either one is a no-op', () => {
    const steps = validateDefinition({ steps: ['A', { name: 'B' }] }, OPTIONS);
    const tasks = validateDefinition({ tasks: [{ name: 'A' }, { name: 'B', needs: ['A'] }] }, OPTIONS);
    expect(canonicalDefinition(steps)).toBe(canonicalDefinition(tasks));
  });

  it('accepts a single step, which is a root', () => {
    expect(validateDefinition({ steps: ['Only'] }, OPTIONS).tasks).toEqual([{ name: 'Only', needs: [], queue: 'default', timeoutSeconds: 300 }]);
  });

  it('reports steps and tasks together, located at steps', () => {
    expect(problemsOfText('tasks:\n  - name: A\nsteps:\n  - B\n')).toEqual([
      { path: 'steps', message: "a definition has either 'tasks' (a graph) or 'steps' (a routine), not both", line: 3, column: 1 },
    ]);
  });

  it('reports needs inside a step with a message of its own, at the key', () => {
    expect(problemsOfText('steps:\n  - A\n  - name: B\n    needs: [A]\n')).toEqual([
      {
        path: 'steps[1].needs',
        message: "a step cannot have 'needs': each step needs the step before it (write 'tasks' instead of 'steps' for any other graph)",
        line: 4,
        column: 5,
      },
    ]);
  });

  it('reports every problem of a routine at once, each with its own entry and position', () => {
    const problems = problemsOfText(`steps:
  - A
  - name: B
    needs: [A]
    timeout: 5
  - 7
  - name: A
    queue: fast
`);
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['steps[1].needs', 4],
      ['steps[1].timeout', 5],
      ['steps[2]', 6],
      ['steps[3].name', 7],
      ['steps[3].queue', 8],
    ]);
    expect(problems[1]?.message).toBe("unknown key 'timeout'; did you mean 'timeoutSeconds'?");
    expect(problems[2]?.message).toBe("each step must be a task name or a mapping with at least a 'name'");
    expect(problems[3]?.message).toBe("duplicate task name 'A' (first declared at steps[0])");
    expect(problems[4]?.message).toContain("uses queue 'fast', which is not configured");
  });

  it('applies the task name rules to a step written as a bare name', () => {
    expect(problemsOfText('steps:\n  - a/b\n')).toEqual([
      { path: 'steps[0].name', message: "a task name must not contain '/', '?', '#' or '%': it is a segment of the API's URLs", line: 2, column: 5 },
    ]);
  });

  it('reports an empty list of steps', () => {
    expect(problemsOfText('steps: []\n')).toEqual([{ path: 'steps', message: 'a definition needs at least one step', line: 1, column: 1 }]);
  });
});

describe('steps: property', () => {
  it('any routine is the chain of its steps, in order, and hashes as that chain written as tasks', () => {
    const name = fc.string({ unit: fc.constantFrom('a', 'B', ' ', '_', '1', 'é'), minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 30 }), fc.boolean(), (names, asObjects) => {
        const steps = names.map((n) => (asObjects ? { name: n } : n));
        const spec = validateDefinition({ steps }, OPTIONS);
        expect(spec.tasks.map((t) => t.name)).toEqual(names);
        spec.tasks.forEach((t, i) => expect(t.needs).toEqual(i === 0 ? [] : [names[i - 1]]));
        const chain = names.map((n, i) => (i === 0 ? { name: n } : { name: n, needs: [names[i - 1]] }));
        expect(canonicalDefinition(spec)).toBe(canonicalDefinition(validateDefinition({ tasks: chain }, OPTIONS)));
      }),
    );
  });
});
