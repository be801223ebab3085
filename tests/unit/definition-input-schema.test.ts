import { describe, expect, it } from 'vitest';
import { canonicalDefinition, parseDefinition, validateDefinition, type ParseOptions } from '#domain/definition.ts';
import { InvalidDefinitionError, ValidationError, type ProblemDetail } from '#domain/errors.ts';
import { compileInputSchema, MAX_INPUT_PROBLEMS, MAX_INPUT_SCHEMA_DEPTH } from '#domain/input-schema.ts';
import { definitionVersionAttributes, DefinitionVersionItemSchema } from '#schemas/items.ts';
import { checkProcessInput } from '#app/input-validation.ts';
import { problemsOf as problemsWith } from './definition-problems.ts';

const OPTIONS: ParseOptions = { queues: ['default'], defaultQueue: 'default' };
const problemsOf = (doc: unknown) => problemsWith(doc, OPTIONS);

const application = {
  type: 'object',
  properties: { applicant: { type: 'string', minLength: 1 }, amount: { type: 'number', exclusiveMinimum: 0 }, email: { type: 'string', format: 'email' } },
  required: ['applicant', 'amount'],
  additionalProperties: false,
};

describe('inputSchema at PUT', () => {
  it('is kept, as given, in the normalised spec', () => {
    expect(validateDefinition({ inputSchema: application, tasks: [{ name: 'A' }] }, OPTIONS).inputSchema).toEqual(application);
  });

  it('accepts the 2020-12 dialect named in $schema, as z.toJSONSchema writes it', () => {
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' };
    expect(validateDefinition({ inputSchema: schema, tasks: [{ name: 'A' }] }, OPTIONS).inputSchema).toEqual(schema);
  });

  it('reports every invalid keyword value, each at its path and YAML position', () => {
    const yaml = `inputSchema:
  type: object
  properties:
    amount:
      type: numbr
    applicant:
      minLength: -1
tasks:
  - name: A
`;
    let problems: readonly ProblemDetail[] = [];
    try {
      parseDefinition(yaml, OPTIONS);
    } catch (error) {
      problems = (error as InvalidDefinitionError).details;
    }
    expect(problems).toEqual([
      {
        path: 'inputSchema.properties.amount.type',
        message: 'inputSchema is not a valid JSON Schema: must be equal to one of the allowed values: array, boolean, integer, null, number, object, string',
        line: 5,
        column: 7,
      },
      { path: 'inputSchema.properties.applicant.minLength', message: 'inputSchema is not a valid JSON Schema: must be >= 0', line: 7, column: 7 },
    ]);
  });

  it('reports a schema of another draft', () => {
    expect(problemsOf({ inputSchema: { $schema: 'http://json-schema.org/draft-07/schema#' }, tasks: [{ name: 'A' }] })).toEqual([
      { path: 'inputSchema.$schema', message: "inputSchema must be JSON Schema draft 2020-12: $schema must be 'https://json-schema.org/draft/2020-12/schema' or absent" },
    ]);
  });

  it('reports a $ref that does not resolve', () => {
    const [problem] = problemsOf({ inputSchema: { $ref: '#/$defs/missing' }, tasks: [{ name: 'A' }] });
    expect(problem?.path).toBe('inputSchema');
    expect(problem?.message).toMatch(/^inputSchema does not compile: .*missing/);
  });

  it('reports an inputSchema that is not a mapping', () => {
    expect(problemsOf({ inputSchema: ['object'], tasks: [{ name: 'A' }] })).toEqual([
      { path: 'inputSchema', message: 'inputSchema must be a mapping: a JSON Schema (draft 2020-12) object' },
    ]);
  });

  it('reports a schema nested deeper than the limit', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < MAX_INPUT_SCHEMA_DEPTH; i++) schema = { type: 'object', properties: { x: schema } };
    expect(problemsOf({ inputSchema: schema, tasks: [{ name: 'A' }] })).toEqual([
      { path: 'inputSchema', message: `inputSchema is nested more than ${MAX_INPUT_SCHEMA_DEPTH} levels deep` },
    ]);
  });

  it('is reported together with the other problems of the document', () => {
    const problems = problemsOf({ inputSchema: { type: 'objekt' }, tasks: [{ name: 'A', needs: ['B'] }] });
    expect(problems.map((p) => p.path)).toEqual(['inputSchema.type', 'tasks[0].needs[0]']);
  });
});

describe('inputSchema at start', () => {
  const check = compileInputSchema(application);

  it('accepts a matching input', () => {
    expect(check({ applicant: 'Ada', amount: 10, email: 'ada@example.com' })).toEqual([]);
  });

  it('lists every violation, each at its JSON pointer in the request body, sorted by pointer', () => {
    expect(check({ amount: -5, email: 'not an email', extra: true })).toEqual([
      { path: '/input/amount', message: 'must be > 0' },
      { path: '/input/applicant', message: "must have required property 'applicant'" },
      { path: '/input/email', message: 'must match format "email"' },
      { path: '/input/extra', message: 'must NOT have additional properties' },
    ]);
  });

  it('escapes property names in pointers', () => {
    const escaped = compileInputSchema({ type: 'object', required: ['a/b~c'] });
    expect(escaped({})).toEqual([{ path: '/input/a~1b~0c', message: "must have required property 'a/b~c'" }]);
  });

  it(`lists at most ${MAX_INPUT_PROBLEMS} violations, then says how many more there are`, () => {
    const many = compileInputSchema({ type: 'array', items: { type: 'string' } });
    const problems = many(Array.from({ length: MAX_INPUT_PROBLEMS + 7 }, (_, i) => i));
    expect(problems).toHaveLength(MAX_INPUT_PROBLEMS + 1);
    expect(problems.at(-1)).toEqual({ message: '7 more violations are not listed' });
  });

  it('checks a missing input as null', () => {
    expect(check(null)).toEqual([{ path: '/input', message: 'must be object' }]);
  });

  it('throws a ValidationError listing the violations', () => {
    const def = { name: 'loan', version: 1, inputSchema: application, tasks: [], contentHash: 'h', createdAt: '2026-01-01T00:00:00.000Z' };
    expect(() => checkProcessInput(def, { applicant: 'Ada', amount: 1 })).not.toThrow();
    let error: unknown;
    try {
      checkProcessInput(def, { applicant: '' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual([
      { path: '/input/amount', message: "must have required property 'amount'" },
      { path: '/input/applicant', message: 'must NOT have fewer than 1 characters' },
    ]);
  });

  it('lets anything through when the definition has no inputSchema', () => {
    const def = { name: 'free', version: 1, tasks: [], contentHash: 'h', createdAt: '2026-01-01T00:00:00.000Z' };
    expect(() => checkProcessInput(def, 'anything')).not.toThrow();
  });
});

describe('canonicalDefinition covers every field of the spec', () => {
  const base = { tasks: [{ name: 'A', needs: [], queue: 'default', timeoutSeconds: 300 }] };

  it('is unchanged for a definition stored before inputSchema existed (no new version on re-PUT)', () => {
    expect(canonicalDefinition({ description: 'd', ...base })).toBe(
      '{"description":"d","tasks":[{"name":"A","needs":[],"queue":"default","timeoutSeconds":300}]}',
    );
  });

  it('changes when an inputSchema is added or changed', () => {
    const without = canonicalDefinition(base);
    const withSchema = canonicalDefinition({ ...base, inputSchema: { type: 'object' } });
    const changed = canonicalDefinition({ ...base, inputSchema: { type: 'array' } });
    expect(new Set([without, withSchema, changed]).size).toBe(3);
  });

  it('does not depend on the key order inside the inputSchema', () => {
    const a = canonicalDefinition({ ...base, inputSchema: { type: 'object', required: ['x'] } });
    const b = canonicalDefinition({ ...base, inputSchema: { required: ['x'], type: 'object' } });
    expect(a).toBe(b);
  });
});

describe('the stored version item', () => {
  it('keeps the inputSchema as JSON text and reads it back as given', () => {
    const def = { name: 'loan', version: 2, inputSchema: { type: 'object', properties: { '': { maximum: 1e300 } } }, tasks: [], contentHash: 'h', createdAt: 't' };
    const attributes = definitionVersionAttributes(def);
    expect(attributes).toEqual({ name: 'loan', version: 2, inputSchemaJson: JSON.stringify(def.inputSchema), tasks: [], contentHash: 'h', createdAt: 't' });
    expect(DefinitionVersionItemSchema.parse(attributes)).toEqual(def);
  });

  it('has no inputSchema when none was stored', () => {
    const def = { name: 'loan', version: 1, tasks: [], contentHash: 'h', createdAt: 't' };
    expect(DefinitionVersionItemSchema.parse(definitionVersionAttributes(def))).toEqual(def);
  });
});
