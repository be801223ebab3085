import { describe, expect, it } from 'vitest';
import { canonicalDefinition, parseDefinition, validateDefinition, type DefinitionSpec } from '#domain/definition.ts';
import { OPTIONS, problemsOfText } from './definition-problems.ts';

const LOAN_YAML = `
description: Loan approval
tasks:
  - name: Open Loan Application   # a root
    queue: default
    timeoutSeconds: 600
  - name: Review Credit
    needs: [Open Loan Application]
`;

const LOAN_SPEC: DefinitionSpec = {
  description: 'Loan approval',
  tasks: [
    { name: 'Open Loan Application', needs: [], queue: 'default', timeoutSeconds: 600 },
    { name: 'Review Credit', needs: ['Open Loan Application'], queue: 'default', timeoutSeconds: 300 },
  ],
};

describe('parseDefinition: YAML', () => {
  it('reads a YAML document into a normalised spec', () => {
    expect(parseDefinition(LOAN_YAML, OPTIONS)).toEqual(LOAN_SPEC);
  });

  it('reports YAML that does not parse, with a 1-based line and column', () => {
    const problems = problemsOfText('tasks:\n  - name: A\n    needs: [A\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatchObject({ line: 4, column: 1 });
    expect(problems[0]?.message).toMatch(/^invalid YAML: .*\]/);
    // The source excerpt that prettyErrors adds is left out: line and column already locate it.
    expect(problems[0]?.message).not.toContain('\n');
  });

  it('reports a duplicate key with its position', () => {
    expect(problemsOfText('tasks:\n  - name: A\n    name: B\n')).toEqual([
      { message: 'duplicate key: keys of a mapping must be unique', line: 3, column: 5 },
    ]);
  });

  it('reports a second YAML document', () => {
    expect(problemsOfText('tasks:\n  - name: A\n---\ntasks:\n  - name: B\n')).toEqual([
      { message: 'a definition must be a single YAML document, but another one starts here', line: 3, column: 1 },
    ]);
  });

  it('reports an empty document', () => {
    expect(problemsOfText('# nothing but a comment\n')).toEqual([{ message: "a definition must be a mapping with a 'tasks' list, not an empty document" }]);
  });

  it('reports a top level that is a list, at its position', () => {
    expect(problemsOfText('- name: A\n')).toEqual([{ message: "a definition must be a mapping with a 'tasks' list, not a list", line: 1, column: 1 }]);
  });

  it('locates validation problems in the source: the key of a mapping entry, the item of a list', () => {
    const text = 'tasks:\n  - name: A\n    need: [B]\n  - name: B\n    needs: [A, Z]\n';
    expect(problemsOfText(text)).toEqual([
      { path: 'tasks[0].need', message: "unknown key 'need'; did you mean 'needs'?", line: 3, column: 5 },
      { path: 'tasks[1].needs[1]', message: "task 'B' needs 'Z', which is not a task in this definition", line: 5, column: 16 },
    ]);
  });

  it('locates a missing key at the task that lacks it', () => {
    expect(problemsOfText('tasks:\n  - name: A\n  - needs: [A]\n')).toEqual([
      { path: 'tasks[1].name', message: "a task needs a 'name'", line: 3, column: 5 },
    ]);
  });

  it('rejects a document that expands aliases without bound', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'tasks: [{name: A}]'];
    const [problem] = problemsOfText(bomb.join('\n'));
    expect(problem?.message).toMatch(/^YAML could not be read: .*alias/);
  });

  it('does not read YAML 1.1 booleans or numbers into names', () => {
    // In YAML 1.1 `no` is false, which would be a type error; YAML 1.2 (the default) keeps it text.
    expect(parseDefinition('tasks:\n  - name: no\n  - name: on\n    needs: [no]\n', OPTIONS).tasks.map((t) => t.name)).toEqual(['no', 'on']);
  });
});

describe('parseDefinition: JSON', () => {
  const LOAN_JSON = JSON.stringify({
    description: 'Loan approval',
    tasks: [{ name: 'Open Loan Application', queue: 'default', timeoutSeconds: 600 }, { name: 'Review Credit', needs: ['Open Loan Application'] }],
  });

  it('reads JSON text exactly as the same document in YAML', () => {
    expect(parseDefinition(LOAN_JSON, OPTIONS)).toEqual(LOAN_SPEC);
    expect(parseDefinition(LOAN_JSON, OPTIONS)).toEqual(validateDefinition(JSON.parse(LOAN_JSON), OPTIONS));
  });

  it('reports a JSON syntax error as JSON, located from the offset JSON.parse gives', () => {
    const problems = problemsOfText('{\n  "tasks": [\n    {"name": "A"}\n    {"name": "B"}\n  ]\n}');
    expect(problems).toHaveLength(1);
    // The wording is V8's and may change between Node versions; the position is ours.
    expect(problems[0]).toMatchObject({ message: expect.stringMatching(/^invalid JSON: .*position 37/), line: 4, column: 5 });
  });

  it('reports a JSON syntax error JSON.parse does not locate at the YAML parser’s position', () => {
    const [problem] = problemsOfText('{"tasks": [}');
    expect(problem?.message).toMatch(/^invalid JSON: /);
    expect(problem).toMatchObject({ line: 1, column: 12 });
  });

  it('reports duplicate keys in JSON rather than silently keeping the last', () => {
    expect(problemsOfText('{"tasks": [{"name": "A"}], "tasks": [{"name": "B"}]}')).toEqual([
      { message: 'duplicate key: keys of a mapping must be unique', line: 1, column: 28 },
    ]);
  });

  it('locates validation problems in JSON text too', () => {
    expect(problemsOfText('{\n  "tasks": [\n    {"name": "A", "need": []}\n  ]\n}')).toEqual([
      { path: 'tasks[0].need', message: "unknown key 'need'; did you mean 'needs'?", line: 3, column: 19 },
    ]);
  });
});

describe('canonicalDefinition', () => {
  it('does not depend on the order of keys in the spec', () => {
    const reordered: DefinitionSpec = {
      tasks: LOAN_SPEC.tasks.map((t) => ({ timeoutSeconds: t.timeoutSeconds, queue: t.queue, needs: t.needs, name: t.name })),
      description: 'Loan approval',
    };
    expect(canonicalDefinition(reordered)).toBe(canonicalDefinition(LOAN_SPEC));
    expect(canonicalDefinition(LOAN_SPEC)).toBe(
      '{"description":"Loan approval","tasks":[' +
        '{"name":"Open Loan Application","needs":[],"queue":"default","timeoutSeconds":600},' +
        '{"name":"Review Credit","needs":["Open Loan Application"],"queue":"default","timeoutSeconds":300}]}',
    );
  });

  it('is the same for documents that differ only in formatting, comments, key order and spelled-out defaults', () => {
    const other = `tasks: [{needs: [Open Loan Application], name: Review Credit, queue: default, timeoutSeconds: 300},
  {timeoutSeconds: 600, name: Open Loan Application}]
description: "Loan approval"`;
    // Declaration order is part of the definition (it breaks ties in the topological order), so swap it back.
    const swapped = parseDefinition(other, OPTIONS);
    const spec = { ...swapped, tasks: [...swapped.tasks].reverse() };
    expect(canonicalDefinition(spec)).toBe(canonicalDefinition(parseDefinition(LOAN_YAML, OPTIONS)));
  });

  it('differs when the task order, a value or the description differs', () => {
    const base = canonicalDefinition(LOAN_SPEC);
    expect(canonicalDefinition({ ...LOAN_SPEC, tasks: [...LOAN_SPEC.tasks].reverse() })).not.toBe(base);
    expect(canonicalDefinition({ tasks: LOAN_SPEC.tasks })).not.toBe(base);
    expect(canonicalDefinition({ ...LOAN_SPEC, tasks: LOAN_SPEC.tasks.map((t) => ({ ...t, timeoutSeconds: 301 })) })).not.toBe(base);
  });
});
