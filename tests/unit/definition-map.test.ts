import { describe, expect, it } from 'vitest';
import { canonicalDefinition, parseDefinition, validateDefinition } from '#domain/definition.ts';
import { DEFAULT_MAP_CONCURRENCY, MAX_MAP_CONCURRENCY, MAX_MAP_ITEMS, type MapSpec } from '#schemas/definition-schema.ts';
import { OPTIONS, problemsOf, problemsOfText } from './definition-problems.ts';

/** A definition whose second task maps over the first's output, with the given `map:`. */
function withMap(map: unknown) {
  return { tasks: [{ name: 'list-files' }, { name: 'resize', needs: ['list-files'], map }] };
}

function mapOf(doc: unknown): MapSpec | undefined {
  return validateDefinition(doc, OPTIONS).tasks.find((t) => t.name === 'resize')?.map;
}

describe('the map key: valid maps and their defaults', () => {
  it('applies the defaults: maxConcurrency 100, maxItems 100,000, toleratedFailureCount 0', () => {
    expect(mapOf(withMap({ items: "upstream['list-files'].files" }))).toEqual({
      items: "upstream['list-files'].files",
      maxConcurrency: DEFAULT_MAP_CONCURRENCY,
      toleratedFailureCount: 0,
      maxItems: MAX_MAP_ITEMS,
    });
    expect([DEFAULT_MAP_CONCURRENCY, MAX_MAP_CONCURRENCY, MAX_MAP_ITEMS]).toEqual([100, 10_000, 100_000]);
  });

  it('keeps the values given, and takes format json by default for itemsFrom', () => {
    const itemsFrom = { bucket: "upstream['list-files'].bucket", key: "upstream['list-files'].key" };
    expect(mapOf(withMap({ itemsFrom, maxConcurrency: 50, toleratedFailurePercent: 5, maxItems: 1000 }))).toEqual({
      itemsFrom: { ...itemsFrom, format: 'json' },
      maxConcurrency: 50,
      toleratedFailurePercent: 5,
      maxItems: 1000,
    });
    expect(mapOf(withMap({ itemsFrom: { ...itemsFrom, format: 'jsonl' }, toleratedFailureCount: 3 }))).toMatchObject({
      itemsFrom: { format: 'jsonl' },
      toleratedFailureCount: 3,
    });
  });

  it('accepts the limits themselves', () => {
    expect(mapOf(withMap({ items: 'input.l', maxConcurrency: 1, maxItems: 1, toleratedFailurePercent: 0 }))).toMatchObject({ maxConcurrency: 1, maxItems: 1 });
    expect(mapOf(withMap({ items: 'input.l', maxConcurrency: 10_000, maxItems: 100_000, toleratedFailurePercent: 100 }))).toMatchObject({ maxConcurrency: 10_000 });
  });

  it('leaves a task without map without the key, and lets a map be needed like any task', () => {
    const spec = validateDefinition({ tasks: [{ name: 'm', map: { items: 'input.files' } }, { name: 'report', needs: ['m'] }] }, OPTIONS);
    expect(spec.tasks[0]?.map?.items).toBe('input.files');
    expect(spec.tasks[1]).toEqual({ name: 'report', needs: ['m'], queue: 'default', timeoutSeconds: 300 });
  });

  it('takes a map in a steps: entry, where every step but the first has upstream', () => {
    const spec = validateDefinition({ steps: ['list', { name: 'resize', map: { items: 'upstream.list.files' } }] }, OPTIONS);
    expect(spec.tasks[1]).toMatchObject({ needs: ['list'], map: { items: 'upstream.list.files', maxConcurrency: 100 } });
    expect(problemsOf({ steps: [{ name: 'first', map: { items: 'upstream.x' } }] })).toEqual([
      { path: 'steps[0].map.items', message: "unknown variable 'upstream': this task has no needs, so upstream is always empty; use input" },
    ]);
  });
});

describe('the map key: bad values', () => {
  it.each([
    [{ items: 1 }, 'resize.map.items', 'items must be a CEL expression (text)'],
    [{ items: 'input.l', maxConcurrency: 0 }, 'map.maxConcurrency', 'maxConcurrency must be a whole number from 1 to 10000'],
    [{ items: 'input.l', maxConcurrency: 10_001 }, 'map.maxConcurrency', 'maxConcurrency must be a whole number from 1 to 10000'],
    [{ items: 'input.l', maxConcurrency: 2.5 }, 'map.maxConcurrency', 'maxConcurrency must be a whole number from 1 to 10000'],
    [{ items: 'input.l', maxItems: 100_001 }, 'map.maxItems', 'maxItems must be a whole number from 1 to 100000'],
    [{ items: 'input.l', maxItems: 0 }, 'map.maxItems', 'maxItems must be a whole number from 1 to 100000'],
    [{ items: 'input.l', toleratedFailurePercent: 101 }, 'map.toleratedFailurePercent', 'toleratedFailurePercent must be a number from 0 to 100'],
    [{ items: 'input.l', toleratedFailurePercent: -1 }, 'map.toleratedFailurePercent', 'toleratedFailurePercent must be a number from 0 to 100'],
    [{ items: 'input.l', toleratedFailureCount: -1 }, 'map.toleratedFailureCount', 'toleratedFailureCount must be a whole number, 0 or more'],
    [{ items: 'input.l', toleratedFailureCount: 1.5 }, 'map.toleratedFailureCount', 'toleratedFailureCount must be a whole number, 0 or more'],
    [{ itemsFrom: { bucket: 'input.b', key: 'input.k', format: 'csv' } }, 'map.itemsFrom.format', 'itemsFrom.format must be one of: json, jsonl'],
    [{ itemsFrom: { bucket: 'input.b' } }, 'map.itemsFrom.key', 'itemsFrom.key must be a CEL expression (text)'],
    [{ itemsFrom: 's3://b/k' }, 'map.itemsFrom', 'itemsFrom must be a mapping'],
    ['input.l', 'resize.map', "map must be a mapping with 'items' or 'itemsFrom'"],
    [{ items: 'input.l', itemz: 1 }, 'map.itemz', "unknown key 'itemz'; did you mean 'items'?"],
    [{ itemsFrom: { bucket: 'input.b', key: 'input.k', fromat: 'json' } }, 'map.itemsFrom.fromat', "unknown key 'fromat'; did you mean 'format'?"],
  ])('reports %j', (map, _where, message) => {
    const problems = problemsOf(withMap(map));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain(message);
    expect(problems[0]?.path).toMatch(/^tasks\[1\]\.map/);
  });

  it('requires exactly one of items and itemsFrom', () => {
    expect(problemsOf(withMap({ maxConcurrency: 5 }))).toEqual([
      { path: 'tasks[1].map', message: "a map needs 'items' (a CEL expression that yields a list) or 'itemsFrom' (an S3 object of items)" },
    ]);
    expect(problemsOf(withMap({ items: 'input.l', itemsFrom: { bucket: 'input.b', key: 'input.k' } }))).toEqual([
      { path: 'tasks[1].map.itemsFrom', message: "a map takes its items from 'items' or from 'itemsFrom', not both" },
    ]);
  });

  it('refuses both tolerance keys', () => {
    expect(problemsOf(withMap({ items: 'input.l', toleratedFailurePercent: 5, toleratedFailureCount: 2 }))).toEqual([
      { path: 'tasks[1].map.toleratedFailureCount', message: "a map takes 'toleratedFailurePercent' or 'toleratedFailureCount', not both" },
    ]);
  });

  it('checks every expression, with its path', () => {
    expect(problemsOf(withMap({ items: "'not a list'" }))).toEqual([
      { path: 'tasks[1].map.items', message: "a map's items must be a list, but this expression is of type string" },
    ]);
    expect(problemsOf(withMap({ itemsFrom: { bucket: 'now', key: 'upstream.x.(' } }))).toEqual([
      { path: 'tasks[1].map.itemsFrom.bucket', message: "unknown variable 'now': a map's itemsFrom may use input and upstream" },
      { path: 'tasks[1].map.itemsFrom.key', message: 'expected IDENTIFIER, got LPAREN' },
    ]);
  });

  it("refuses an upstream name that is not one of the task's needs", () => {
    expect(problemsOf(withMap({ items: 'upstream.list_files.files' }))).toEqual([
      { path: 'tasks[1].map.items', message: "upstream has no 'list_files': it holds the outputs of this task's needs ('list-files')" },
    ]);
    expect(problemsOf({ steps: ['list', { name: 'resize', map: { items: "upstream['lsit'].files" } }] })).toEqual([
      { path: 'steps[1].map.items', message: "upstream has no 'lsit': it holds the outputs of this task's needs ('list')" },
    ]);
  });

  it('lets a map task with no needs use only input', () => {
    expect(mapOf({ tasks: [{ name: 'resize', map: { items: 'input.files' } }] })?.items).toBe('input.files');
    expect(problemsOf({ tasks: [{ name: 'resize', map: { items: "upstream['list-files'].files" } }] })).toEqual([
      { path: 'tasks[0].map.items', message: "unknown variable 'upstream': this task has no needs, so upstream is always empty; use input" },
    ]);
  });
});

describe('the map key: where a bad expression is in YAML', () => {
  const yaml = (items: string) => `description: resize the files
tasks:
  - name: list-files
  - name: resize
    needs: [list-files]
    map:
      items: ${items}
      maxConcurrency: 50
`;

  it.each([
    ['plain', 'upstream.a.(', 7, 25],
    ['double-quoted', '"upstream.a.("', 7, 26],
    ['single-quoted', "'upstream.a.('", 7, 26],
    ['double-quoted with escapes before the error', '"input.s == \\"x\\" && upstream.a.("', 7, 46],
    ['single-quoted with a doubled quote before the error', "'input.s == ''x'' && upstream.a.('", 7, 46],
  ])('points at the ( of a %s scalar: line 7, the scalar start plus the offset', (_, items, line, column) => {
    const problems = problemsOfText(yaml(items));
    expect(problems).toEqual([{ path: 'tasks[1].map.items', message: 'expected IDENTIFIER, got LPAREN', line, column }]);
    expect(yaml(items).split('\n')[line - 1]?.[column - 1]).toBe('(');
  });

  it('points into a literal block scalar, on the line of the error', () => {
    const text = yaml("|\n        upstream['list-files'].files\n          .filter(f, f.size >)");
    expect(problemsOfText(text)).toEqual([{ path: 'tasks[1].map.items', message: 'unexpected token: RPAREN', line: 9, column: 30 }]);
    expect(text.split('\n')[8]?.[29]).toBe(')');
  });

  it("falls back to the scalar's start where the offset cannot be computed: a folded block past its first line", () => {
    const text = yaml(">-\n        upstream['list-files'].files\n          .filter(f,\n          f.size >)");
    expect(problemsOfText(text)).toEqual([{ path: 'tasks[1].map.items', message: expect.any(String) as string, line: 7, column: 14 }]);
  });

  it('locates an itemsFrom expression in a flow mapping, and a problem of JSON text', () => {
    const text = 'tasks:\n  - name: resize\n    map: { itemsFrom: { bucket: input.b, key: "upstream.k" } }\n';
    expect(problemsOfText(text)).toEqual([
      { path: 'tasks[0].map.itemsFrom.key', message: "unknown variable 'upstream': this task has no needs, so upstream is always empty; use input", line: 3, column: 48 },
    ]);
    expect(text.split('\n')[2]?.slice(47)).toMatch(/^upstream\.k"/);
    const json = '{"tasks": [{"name": "a"}, {"name": "b", "needs": ["a"], "map": {"items": "upstream.a.("}}]}';
    expect(problemsOfText(json)).toEqual([{ path: 'tasks[1].map.items', message: 'expected IDENTIFIER, got LPAREN', line: 1, column: 86 }]);
    expect(json[85]).toBe('(');
  });
});

describe('map children are addressed as name[index]', () => {
  it('refuses a need naming a child of a map, and says why', () => {
    const problems = problemsOf({ tasks: [{ name: 'resize', map: { items: 'input.l' } }, { name: 'first', needs: ['resize[0]'] }] });
    expect(problems).toEqual([
      {
        path: 'tasks[1].needs[0]',
        message: "task 'first' needs 'resize[0]', but a task cannot need one child of a map (children are addressed as name[index]); need the whole map, 'resize'",
      },
    ]);
  });
});

describe('the canonical form includes map as normalised', () => {
  const hash = (doc: unknown) => canonicalDefinition(validateDefinition(doc, OPTIONS));

  it('hashes a spelled-out default like an omitted one', () => {
    const omitted = hash(withMap({ items: "upstream['list-files'].files" }));
    const spelled = hash(withMap({ items: "upstream['list-files'].files", maxConcurrency: 100, maxItems: 100_000, toleratedFailureCount: 0 }));
    expect(spelled).toBe(omitted);
    const from = { bucket: 'input.b', key: 'input.k' };
    expect(hash(withMap({ itemsFrom: { ...from, format: 'json' } }))).toBe(hash(withMap({ itemsFrom: from })));
  });

  it('makes a new version for any real change of the map, and for adding one', () => {
    const base = hash(withMap({ items: 'input.l' }));
    expect(hash(withMap({ items: 'input.l', maxConcurrency: 99 }))).not.toBe(base);
    expect(hash(withMap({ items: 'input.l', toleratedFailurePercent: 0 }))).not.toBe(base);
    expect(hash(withMap({ items: 'input.m' }))).not.toBe(base);
    expect(hash({ tasks: [{ name: 'list-files' }, { name: 'resize', needs: ['list-files'] }] })).not.toBe(base);
    expect(base).toContain('"map":{"items":"input.l","maxConcurrency":100,"maxItems":100000,"toleratedFailureCount":0}');
  });

  it('parses the same map from YAML and from a decoded document', () => {
    const text = "tasks:\n  - name: list-files\n  - name: resize\n    needs: [list-files]\n    map:\n      items: \"upstream['list-files'].files\"\n";
    expect(parseDefinition(text, OPTIONS)).toEqual(validateDefinition(withMap({ items: "upstream['list-files'].files" }), OPTIONS));
  });
});
