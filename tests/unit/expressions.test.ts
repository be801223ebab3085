import { describe, expect, it } from 'vitest';
import { ExpressionError } from '#domain/errors.ts';
import { evaluateExpression, expressionProblems, jsonKind, MAX_EXPRESSION_LENGTH, MAX_RESULT_ITEMS, type ExpressionContext } from '#domain/expressions.ts';

const UPSTREAM = { 'list-files': { bucket: 'b', files: [{ key: 'a.png', size: 10 }, { key: 'b.jpg', size: 2500 }, { key: 'c.png', size: 70 }] } };

function failure(source: string, context: ExpressionContext, vars = {}): ExpressionError {
  try {
    evaluateExpression(source, context, vars);
  } catch (error) {
    if (error instanceof ExpressionError) return error;
    throw error;
  }
  throw new Error(`expected ${source} to fail`);
}

describe('evaluateExpression', () => {
  it('does arithmetic on JSON numbers: whole numbers are ints, others doubles', () => {
    expect(evaluateExpression('input.n * 2 + 1', 'subProcessInput', { input: { n: 20 } })).toBe(41);
    expect(evaluateExpression('input.price * 2.0', 'subProcessInput', { input: { price: 10.25 } })).toBe(20.5);
    expect(evaluateExpression('7 / 2', 'subProcessInput', {})).toBe(3);
    expect(evaluateExpression('7 % 3 == 1', 'condition', {})).toBe(true);
    expect(evaluateExpression('input.amount > 10 && input.amount < 100.5', 'condition', { input: { amount: 42 } })).toBe(true);
  });

  it('reads upstream by name, and size() and has()', () => {
    expect(evaluateExpression("upstream['list-files'].files", 'mapItems', { upstream: UPSTREAM })).toEqual(UPSTREAM['list-files'].files);
    expect(evaluateExpression("size(upstream['list-files'].files)", 'subProcessInput', { upstream: UPSTREAM })).toBe(3);
    expect(evaluateExpression("upstream['list-files'].files.size() > 2", 'condition', { upstream: UPSTREAM })).toBe(true);
    expect(evaluateExpression('has(input.customer.email)', 'condition', { input: { customer: {} } })).toBe(false);
    expect(evaluateExpression('has(input.customer.email)', 'condition', { input: { customer: { email: 'a@b.c' } } })).toBe(true);
  });

  it('runs the macros map, filter, all and exists', () => {
    const vars = { upstream: UPSTREAM };
    expect(evaluateExpression("upstream['list-files'].files.map(f, f.key)", 'mapItems', vars)).toEqual(['a.png', 'b.jpg', 'c.png']);
    expect(evaluateExpression("upstream['list-files'].files.filter(f, f.size < 100).map(f, f.key)", 'mapItems', vars)).toEqual(['a.png', 'c.png']);
    expect(evaluateExpression("upstream['list-files'].files.all(f, f.size > 0)", 'condition', vars)).toBe(true);
    expect(evaluateExpression("upstream['list-files'].files.exists(f, f.size > 1000)", 'condition', vars)).toBe(true);
    expect(evaluateExpression("upstream['list-files'].files.exists(f, f.size > 10000)", 'condition', vars)).toBe(false);
  });

  it('has the string functions', () => {
    const vars = { input: { name: 'Ada Lovelace', key: 'in/photo.png' } };
    expect(evaluateExpression("input.key.endsWith('.png') && input.key.startsWith('in/')", 'condition', vars)).toBe(true);
    expect(evaluateExpression("input.name.contains('Love')", 'condition', vars)).toBe(true);
    expect(evaluateExpression("input.name.matches('^Ada')", 'condition', vars)).toBe(true);
    expect(evaluateExpression('input.name.substring(4)', 'concurrencyKey', vars)).toBe('Lovelace');
    expect(evaluateExpression("'tenant-' + string(input.id)", 'concurrencyKey', { input: { id: 7 } })).toBe('tenant-7');
  });

  it('builds JSON objects with mixed values', () => {
    const input = "{'customer': upstream['open-account'].customer, 'attempt': 1, 'tags': ['a', 'b']}";
    expect(evaluateExpression(input, 'subProcessInput', { upstream: { 'open-account': { customer: { id: 'c1' } } } })).toEqual({
      customer: { id: 'c1' },
      attempt: 1,
      tags: ['a', 'b'],
    });
  });

  it('answers plain JSON: ints as numbers, maps as objects, bytes as base64, timestamps and durations as strings', () => {
    const result = evaluateExpression("[1u, {1: [2]}, b'abc', timestamp('2024-01-01T00:00:00Z'), duration('90s'), duration('1.5s')]", 'subProcessInput', {});
    expect(result).toEqual([1, { 1: [2] }, 'YWJj', '2024-01-01T00:00:00.000Z', '90s', '1.5s']);
    expect(JSON.stringify(result)).toBe('[1,{"1":[2]},"YWJj","2024-01-01T00:00:00.000Z","90s","1.5s"]');
    expect(typeof evaluateExpression('9007199254740991', 'subProcessInput', {})).toBe('number');
  });

  it('refuses an integer beyond Number.MAX_SAFE_INTEGER rather than rounding it', () => {
    expect(failure('9007199254740992', 'subProcessInput').message).toBe(
      'expression "9007199254740992" failed: the integer 9007199254740992 is beyond ±9007199254740991, which a JSON number holds exactly',
    );
    expect(failure('[-9223372036854775807]', 'mapItems').reason).toMatch(/^the integer -9223372036854775807 is beyond/);
  });

  it('throws ExpressionError naming the expression and the error, terminal (not retryable)', () => {
    const error = failure('upstream.x.files', 'mapItems', { upstream: { x: {} } });
    expect(error.message).toBe('expression "upstream.x.files" failed: no such key: files');
    expect(error).toMatchObject({ name: 'ExpressionError', code: 'ExpressionFailed', retryable: false, source: 'upstream.x.files', reason: 'no such key: files' });
    expect(failure('1 / input.n', 'subProcessInput', { input: { n: 0 } }).reason).toBe('division by zero');
    expect(failure('1.0 / 0.0', 'subProcessInput').reason).toBe('the result holds Infinity, which JSON cannot carry');
    expect(failure('type(1)', 'subProcessInput').reason).toMatch(/no JSON form/);
    // An expression with problems fails with its first problem, located.
    expect(failure('now', 'condition').message).toBe(`expression "now" failed: unknown variable 'now': a condition may use input and upstream (line 1, column 1)`);
  });

  it('bounds the result: at most 100,000 list items in all, and 64 levels', () => {
    const l = Array.from({ length: 400 }, (_, i) => i);
    // 400 lists of 400 items: 160,400 items in all.
    expect(failure('input.l.map(x, input.l)', 'mapItems', { input: { l } }).reason).toBe(`the result holds more than ${MAX_RESULT_ITEMS} list items`);
    expect(evaluateExpression('input.l.map(x, input.l.filter(y, y < 200))', 'mapItems', { input: { l } })).toHaveLength(400);
    const deep = JSON.parse(`${'['.repeat(70)}${']'.repeat(70)}`) as unknown;
    expect(failure('input.d', 'subProcessInput', { input: { d: deep } }).reason).toBe('the result is nested deeper than 64 levels');
    const ok = JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`) as unknown;
    expect(evaluateExpression('input.d', 'subProcessInput', { input: { d: ok } })).toEqual(ok);
  });

  it('is deterministic: no clock, the same value for the same variables every time', () => {
    const source = "upstream['list-files'].files.filter(f, f.key.endsWith('.png')).map(f, {'key': f.key, 'big': f.size > 50})";
    const first = evaluateExpression(source, 'mapItems', { upstream: UPSTREAM });
    for (let i = 0; i < 5; i++) expect(evaluateExpression(source, 'mapItems', { upstream: UPSTREAM })).toEqual(first);
    expect(expressionProblems('now', 'condition')).toHaveLength(1);
    expect(expressionProblems('timestamp(now)', 'condition')).toHaveLength(1);
  });

  it('does not change the variables it is given', () => {
    const input = { n: 1, l: [1, 2] };
    evaluateExpression('input.l.map(x, x + input.n)', 'mapItems', { input });
    expect(input).toEqual({ n: 1, l: [1, 2] });
  });

  it('names the kind of a value for messages', () => {
    expect([[], {}, 'a', 1, true, null].map(jsonKind)).toEqual(['a list', 'an object', 'a string', 'a number', 'a bool', 'null']);
  });
});

describe('expressionProblems', () => {
  it('has none for a valid expression of each context', () => {
    expect(expressionProblems("upstream['list-files'].files", 'mapItems')).toEqual([]);
    expect(expressionProblems("upstream['list-files'].bucket", 'mapItemsFrom')).toEqual([]);
    expect(expressionProblems('input.amount > 1000', 'condition')).toEqual([]);
    expect(expressionProblems('input.tenantId', 'concurrencyKey')).toEqual([]);
    expect(expressionProblems("{'customer': upstream['open-account'].customer}", 'subProcessInput')).toEqual([]);
    expect(expressionProblems('input.items', 'mapItems', { needs: [] })).toEqual([]);
  });

  it('locates an unknown variable by line and column', () => {
    expect(expressionProblems('input.a +\n  nope', 'subProcessInput')).toEqual([
      { message: "unknown variable 'nope': a sub-process's input may use input and upstream", line: 2, column: 3 },
    ]);
    expect(expressionProblems('upstream.lookup.partnerId', 'concurrencyKey')).toEqual([
      { message: "unknown variable 'upstream': a concurrency key may use input", line: 1, column: 1 },
    ]);
    expect(expressionProblems('upstream.a.files', 'mapItems', { needs: [] })).toEqual([
      { message: "unknown variable 'upstream': this task has no needs, so upstream is always empty; use input", line: 1, column: 1 },
    ]);
  });

  it("refuses upstream names that are not the task's needs, located at the name", () => {
    const needs = ['list-files', 'lookup'];
    expect(expressionProblems("upstream['list-files'].files.filter(f, f.size < upstream.lookup.max)", 'mapItems', { needs })).toEqual([]);
    expect(expressionProblems("upstream['list_files'].files", 'mapItems', { needs })).toEqual([
      { message: "upstream has no 'list_files': it holds the outputs of this task's needs ('list-files', 'lookup')", line: 1, column: 10 },
    ]);
    expect(expressionProblems('input.ok &&\n  upstream.lokup.ok', 'condition', { needs })).toEqual([
      { message: "upstream has no 'lokup': it holds the outputs of this task's needs ('list-files', 'lookup')", line: 2, column: 12 },
    ]);
    // A computed name is only known when it runs; without needs given, nothing is checked.
    expect(expressionProblems('upstream[input.which].files', 'mapItems', { needs })).toEqual([]);
    expect(expressionProblems('upstream.anything', 'mapItems')).toEqual([]);
  });

  it('locates a syntax error by line and column on a multi-line expression', () => {
    expect(expressionProblems('upstream.a.(', 'mapItems')).toEqual([{ message: 'expected IDENTIFIER, got LPAREN', line: 1, column: 12 }]);
    expect(expressionProblems("upstream['a'].files\n  .filter(f,\n    f.size >)", 'mapItems')).toEqual([
      { message: expect.any(String) as string, line: 3, column: 13 },
    ]);
  });

  it('refuses a result that cannot be what its context needs, when the type is known without the values', () => {
    expect(expressionProblems("'files'", 'mapItems')[0]?.message).toBe("a map's items must be a list, but this expression is of type string");
    expect(expressionProblems('1 + 2', 'condition')[0]?.message).toBe('a condition must be true or false (a bool), but this expression is of type int');
    expect(expressionProblems('[1]', 'mapItemsFrom')[0]?.message).toMatch(/^a map's itemsFrom must be a string/);
    expect(expressionProblems("1 + 'a'", 'subProcessInput')[0]?.message).toBe('no such overload: int + string');
  });

  it('refuses an empty expression and one longer than 4,096 characters', () => {
    expect(expressionProblems('  ', 'condition')).toEqual([{ message: 'an expression must not be empty', line: 1, column: 1 }]);
    const long = `input.l.size() > ${'1'.repeat(MAX_EXPRESSION_LENGTH)}`;
    expect(expressionProblems(long, 'condition')).toEqual([
      { message: `an expression may be at most 4096 characters long; this one is ${long.length}`, line: 1, column: 1 },
    ]);
    expect(failure(long, 'condition').message.length).toBeLessThan(400);
  });
});
