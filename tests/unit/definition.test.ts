import { describe, expect, it } from 'vitest';
import { buildDag } from '#domain/dag.ts';
import { validateDefinition } from '#domain/definition.ts';
import { OPTIONS, problemsOf } from './definition-problems.ts';

const task = (name: string, needs?: string[]) => (needs === undefined ? { name } : { name, needs });

describe('validateDefinition: graph rules', () => {
  it('makes a task without needs a root, never chained to the task before it', () => {
    const spec = validateDefinition({ tasks: [task('A'), task('B'), task('C', ['A'])] }, OPTIONS);
    expect(spec.tasks.map((t) => t.needs)).toEqual([[], [], ['A']]);
    expect(buildDag(spec).roots).toEqual(['A', 'B']);
  });

  it('accepts a need naming a task declared later in the file', () => {
    const spec = validateDefinition({ tasks: [task('Review', ['Open']), task('Open')] }, OPTIONS);
    expect(spec.tasks[0]?.needs).toEqual(['Open']);
    expect(buildDag(spec).order).toEqual(['Open', 'Review']);
  });

  it('reports an unknown need naming both the task and the missing name', () => {
    expect(problemsOf({ tasks: [task('A'), task('B', ['A', 'Nope'])] })).toEqual([
      { path: 'tasks[1].needs[1]', message: "task 'B' needs 'Nope', which is not a task in this definition" },
    ]);
  });

  it('suggests the intended task when an unknown need differs only in case or spacing', () => {
    const [problem] = problemsOf({ tasks: [task('Open Loan'), task('B', ['open  loan'])] });
    expect(problem?.message).toContain("did you mean 'Open Loan'?");
  });

  it('reports each duplicate task name at the later declaration', () => {
    expect(problemsOf({ tasks: [task('A'), task('B'), task('A'), task('A')] })).toEqual([
      { path: 'tasks[2].name', message: "duplicate task name 'A' (first declared at tasks[0])" },
      { path: 'tasks[3].name', message: "duplicate task name 'A' (first declared at tasks[0])" },
    ]);
  });

  it('reports a need listed twice in one task', () => {
    expect(problemsOf({ tasks: [task('A'), task('B', ['A', 'A'])] })).toEqual([
      { path: 'tasks[1].needs[1]', message: "task 'B' lists need 'A' more than once" },
    ]);
  });

  it('reports a cycle with its path, located at the need that closes it', () => {
    expect(problemsOf({ tasks: [task('A', ['B']), task('B', ['C']), task('C', ['A'])] })).toEqual([
      { path: 'tasks[2].needs[0]', message: 'cycle: A -> B -> C -> A' },
    ]);
  });

  it('reports a self-loop as a cycle', () => {
    expect(problemsOf({ tasks: [task('A', ['A'])] })).toEqual([{ path: 'tasks[0].needs[0]', message: 'cycle: A -> A' }]);
  });

  it('reports each distinct cycle once, in a deterministic order', () => {
    const doc = { tasks: [task('A', ['B']), task('B', ['A', 'A']), task('C', ['D']), task('D', ['C', 'D'])] };
    const expected = [
      { path: 'tasks[1].needs[1]', message: "task 'B' lists need 'A' more than once" },
      { path: 'tasks[1].needs[0]', message: 'cycle: A -> B -> A' },
      { path: 'tasks[3].needs[0]', message: 'cycle: C -> D -> C' },
      { path: 'tasks[3].needs[1]', message: 'cycle: D -> D' },
    ];
    expect(problemsOf(doc)).toEqual(expected);
    expect(problemsOf(doc)).toEqual(expected);
  });

  it('caps the cycles listed, so that a small document cannot produce a huge report', () => {
    // T0 needs T1, ..., T98 needs T99, and T99 needs every other task: 99 back edges, cycles of up to 100 tasks.
    const names = Array.from({ length: 100 }, (_, i) => `T${i}`);
    const tasks = names.map((name, i) => (i === 99 ? task(name, names.slice(0, 99)) : task(name, [names[i + 1] ?? ''])));
    const problems = problemsOf({ tasks });
    expect(problems.filter((p) => p.message.startsWith('cycle: '))).toHaveLength(50);
    expect(problems.at(-1)).toEqual({ message: 'more cycles exist; only the first 50 are listed' });
  });

  it('reports a queue that is not configured', () => {
    expect(problemsOf({ tasks: [{ name: 'A', queue: 'fast' }] })).toEqual([
      { path: 'tasks[0].queue', message: "task 'A' uses queue 'fast', which is not configured; configured queues: default, gpu" },
    ]);
  });

  it('reports every problem at once, not just the first', () => {
    const doc = { tasks: [{ name: 'A', need: ['B'] }, { name: 'B', needs: ['X'], queue: 'nope', timeoutSeconds: 0 }, task('A')] };
    expect(problemsOf(doc).map((p) => p.path)).toEqual([
      'tasks[0].need',
      'tasks[1].timeoutSeconds',
      'tasks[2].name',
      'tasks[1].queue',
      'tasks[1].needs[0]',
    ]);
  });
});

describe('validateDefinition: document shape', () => {
  it('reports an unknown task key, naming it and suggesting needs for need', () => {
    expect(problemsOf({ tasks: [task('A'), { name: 'B', need: ['A'] }] })).toEqual([
      { path: 'tasks[1].need', message: "unknown key 'need'; did you mean 'needs'?" },
    ]);
  });

  it('reports an unknown top-level key, with a suggestion when one is close', () => {
    expect(problemsOf({ descripton: 'x', tasks: [task('A')] })).toEqual([
      { path: 'descripton', message: "unknown key 'descripton'; did you mean 'description'?" },
    ]);
  });

  it('lists the allowed keys when no known key is close', () => {
    expect(problemsOf({ tasks: [{ name: 'A', color: 3 }] })).toEqual([
      { path: 'tasks[0].color', message: "unknown key 'color'; allowed keys: name, needs, queue, timeoutSeconds, retry, optional, attemptTimeoutSeconds, map, process, concurrency, rateLimit, when, join" },
    ]);
  });

  it('reports an empty task list', () => {
    expect(problemsOf({ tasks: [] })).toEqual([{ path: 'tasks', message: 'a definition needs at least one task' }]);
  });

  it('reports a missing task list', () => {
    expect(problemsOf({ description: 'x' })).toEqual([{ path: 'tasks', message: "a definition needs a 'tasks' list (or a 'steps' list for a routine)" }]);
  });

  it('reports more than 5000 tasks, and accepts exactly 5000', () => {
    const tasks = (n: number) => Array.from({ length: n }, (_, i) => task(`T${i}`, i === 0 ? [] : [`T${i - 1}`]));
    expect(problemsOf({ tasks: tasks(5001) })).toEqual([{ path: 'tasks', message: 'a definition may declare at most 5000 tasks' }]);
    expect(validateDefinition({ tasks: tasks(5000) }, OPTIONS).tasks).toHaveLength(5000);
  });

  it.each([
    ['null', null, 'an empty document'],
    ['a list', [task('A')], 'a list'],
    ['text', 'tasks', 'a string'],
  ])('reports a top level that is %s', (_, doc, kind) => {
    expect(problemsOf(doc)).toEqual([{ message: `a definition must be a mapping with a 'tasks' list, not ${kind}` }]);
  });

  it.each([
    ['needs that is not a list', { name: 'A', needs: 'B' }, 'tasks[0].needs', 'needs must be a list of task names'],
    ['a need that is not text', { name: 'A', needs: [3] }, 'tasks[0].needs[0]', 'each need must be a task name'],
    ['an empty name', { name: '' }, 'tasks[0].name', 'a task name must be text of 1 to 128 characters'],
    ['a name of 129 characters', { name: 'n'.repeat(129) }, 'tasks[0].name', 'a task name must be text of 1 to 128 characters'],
    ['a name that is not text', { name: 7 }, 'tasks[0].name', 'a task name must be text'],
    ['a missing name', { needs: [] }, 'tasks[0].name', "a task needs a 'name'"],
    ['a fractional timeout', { name: 'A', timeoutSeconds: 1.5 }, 'tasks[0].timeoutSeconds', 'whole number of seconds from 1 to 43200'],
    ['a zero timeout', { name: 'A', timeoutSeconds: 0 }, 'tasks[0].timeoutSeconds', 'whole number of seconds from 1 to 43200'],
    ['a timeout over 12 hours', { name: 'A', timeoutSeconds: 43_201 }, 'tasks[0].timeoutSeconds', 'from 1 to 43200'],
    ['a timeout given as text', { name: 'A', timeoutSeconds: '300' }, 'tasks[0].timeoutSeconds', 'from 1 to 43200'],
    ['a queue that is not text', { name: 'A', queue: 1 }, 'tasks[0].queue', 'queue must be the name of a configured queue'],
    ['a task that is not a mapping', 'A', 'tasks[0]', "each task must be a mapping with at least a 'name'"],
  ])('reports %s', (_, raw, path, message) => {
    const problems = problemsOf({ tasks: [raw] });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe(path);
    expect(problems[0]?.message).toContain(message);
  });

  it('reports a description that is not text', () => {
    expect(problemsOf({ description: 3, tasks: [task('A')] })).toEqual([{ path: 'description', message: 'description must be text' }]);
  });

  it('accepts the limits themselves: a 128-character name and timeouts of 1 and 43200 seconds', () => {
    const spec = validateDefinition({ tasks: [{ name: 'n'.repeat(128), timeoutSeconds: 1 }, { name: 'B', timeoutSeconds: 43_200 }] }, OPTIONS);
    expect(spec.tasks.map((t) => t.timeoutSeconds)).toEqual([1, 43_200]);
  });

  it('throws a non-retryable InvalidDefinitionError whose message lists the problems', () => {
    let error: unknown;
    try {
      validateDefinition({ tasks: [] }, OPTIONS);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'InvalidDefinitionError', code: 'InvalidDefinition', retryable: false });
    expect((error as Error).message).toContain('a definition needs at least one task');
  });
});

describe('validateDefinition: normalisation', () => {
  it('fills in needs, the default queue and the 300-second timeout', () => {
    expect(validateDefinition({ tasks: [task('A')] }, OPTIONS)).toEqual({
      tasks: [{ name: 'A', needs: [], queue: 'default', timeoutSeconds: 300 }],
    });
  });

  it('keeps values that are given, and the description', () => {
    const doc = { description: 'Loans', tasks: [{ name: 'A', needs: [], queue: 'gpu', timeoutSeconds: 60 }] };
    expect(validateDefinition(doc, OPTIONS)).toEqual(doc);
  });

  it('takes the default queue and timeout from the options', () => {
    const spec = validateDefinition({ tasks: [task('A')] }, { queues: ['gpu'], defaultQueue: 'gpu', defaultTimeoutSeconds: 30 });
    expect(spec.tasks[0]).toEqual({ name: 'A', needs: [], queue: 'gpu', timeoutSeconds: 30 });
  });

  it('has no description key when the document has none', () => {
    expect('description' in validateDefinition({ tasks: [task('A')] }, OPTIONS)).toBe(false);
  });
});
