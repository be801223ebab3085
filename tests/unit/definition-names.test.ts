import { describe, expect, it } from 'vitest';
import { validateDefinition, type ParseOptions } from '#domain/definition.ts';
import { DefinitionNameSchema } from '#schemas/api.ts';
import { defaultQueueOf } from '#config/queues.ts';
import { OPTIONS, problemsOf } from './definition-problems.ts';

describe('task names travel through URLs, DynamoDB and SQS', () => {
  it.each([
    ['a slash', 'a/b', "must not contain '/', '?', '#' or '%'"],
    ['a question mark', 'why?', "must not contain '/', '?', '#' or '%'"],
    ['a hash', '#1', "must not contain '/', '?', '#' or '%'"],
    ['a percent sign', '100%', "must not contain '/', '?', '#' or '%'"],
    ['a line break', 'a\nb', 'must not contain control characters'],
    ['a tab', 'a\tb', 'must not contain control characters'],
    ['a NUL', 'a\u0000', 'must not contain control characters'],
    ['a C1 control character', 'a\u0085', 'must not contain control characters'],
    ['a lone high surrogate', 's\ud800', 'must be well-formed Unicode'],
    ['a lone low surrogate', '\udc00s', 'must be well-formed Unicode'],
    ['U+FFFF, which SQS rejects', 'a\uffff', 'characters SQS rejects'],
    ['U+FFFE, which SQS rejects', 'a\ufffe', 'characters SQS rejects'],
    ['an opening bracket, which addresses a child of a map', 'resize[41', "must not contain '[' or ']': the children of a map are addressed as name[index]"],
    ['a closing bracket', 'a]', "must not contain '[' or ']'"],
  ])('rejects a name with %s', (_, name, message) => {
    const problems = problemsOf({ tasks: [{ name }] });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('tasks[0].name');
    expect(problems[0]?.message).toContain(message);
  });

  it('reports each rule a name breaks as its own entry', () => {
    expect(problemsOf({ tasks: [{ name: 'a/b\n' }] }).map((p) => p.message)).toEqual([
      "a task name must not contain '/', '?', '#' or '%': it is a segment of the API's URLs",
      'a task name must not contain control characters (tabs, line breaks and the like)',
    ]);
  });

  it('accepts spaces, punctuation, accents, CJK and characters outside the BMP', () => {
    const names = ['Open Loan Application', 'fetch-user_2 (v2.1)', 'Prüfung', '審査', 'rocket 🚀', 'a&b=c+d'];
    expect(validateDefinition({ tasks: names.map((name) => ({ name })) }, OPTIONS).tasks.map((t) => t.name)).toEqual(names);
  });
});

describe('definition names', () => {
  it.each(['.', '..'])("rejects '%s', which a URL path would normalise away", (name) => {
    const result = DefinitionNameSchema.safeParse(name);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toContain("definition name must not be '.' or '..'");
  });

  it('accepts names that merely contain dots', () => {
    expect(DefinitionNameSchema.parse('...')).toBe('...');
    expect(DefinitionNameSchema.parse('loan.v2')).toBe('loan.v2');
  });
});

describe('the default queue', () => {
  it("is the queue named 'default' when one is configured", () => {
    expect(defaultQueueOf(['default', 'gpu'], undefined)).toBe('default');
  });

  it('is the configured one when the configuration names it', () => {
    expect(defaultQueueOf(['fast', 'gpu'], 'fast')).toBe('fast');
  });

  it("is undefined when no queue is named 'default' and none is configured, or the configured one is not deployed", () => {
    expect(defaultQueueOf(['fast', 'gpu'], undefined)).toBeUndefined();
    expect(defaultQueueOf(['default'], 'gpu')).toBeUndefined();
  });

  it('without one, every task that names no queue is a problem of its own', () => {
    const options: ParseOptions = { queues: ['fast', 'gpu'] };
    expect(problemsOf({ tasks: [{ name: 'A' }, { name: 'B', queue: 'gpu' }, { name: 'C' }] }, options)).toEqual([
      { path: 'tasks[0]', message: "task 'A' names no queue, and this deployment has no default queue; name one of: fast, gpu" },
      { path: 'tasks[2]', message: "task 'C' names no queue, and this deployment has no default queue; name one of: fast, gpu" },
    ]);
    expect(problemsOf({ steps: ['A'] }, options)).toEqual([
      { path: 'steps[0]', message: "task 'A' names no queue, and this deployment has no default queue; name one of: fast, gpu" },
    ]);
  });

  it('without one, a definition whose tasks all name their queue is accepted', () => {
    expect(validateDefinition({ tasks: [{ name: 'A', queue: 'fast' }] }, { queues: ['fast'] }).tasks[0]?.queue).toBe('fast');
  });
});
