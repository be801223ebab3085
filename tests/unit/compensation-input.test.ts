import { describe, expect, it } from 'vitest';
import { canonicalDefinition, validateDefinition } from '#domain/definition.ts';
import { compensationInput } from '#domain/compensation.ts';
import { InvalidDefinitionError } from '#domain/errors.ts';
import { jsonPayloadProblem, MAX_JSON_BYTES } from '#schemas/json-depth.ts';

const ended = { id: 'p1', definition: 'loan', version: 2, input: { amount: 5 }, error: { code: 'TaskFailed', message: 'boom', task: 'B' } };
const nested = (levels: number): unknown => (levels === 0 ? 1 : [nested(levels - 1)]);
const options = { queues: ['default'], defaultQueue: 'default' };

describe('compensationInput', () => {
  it('is the ended process and the completed outputs, by task', () => {
    expect(compensationInput(ended, [['A', { a: 1 }], ['C', null]])).toEqual({ process: ended, completed: { A: { a: 1 }, C: null } });
  });

  it('leaves out the largest outputs until it fits the stored-input limit, and names them in omitted', () => {
    const big = 'x'.repeat(100 * 1024);
    const input = compensationInput(ended, [['small', 1], ['big1', big], ['big2', `${big}yy`], ['big3', `${big}y`]]);
    expect(input.omitted).toEqual(['big2']);
    expect(Object.keys(input.completed as object)).toEqual(['small', 'big1', 'big3']);
    expect(jsonPayloadProblem(input)).toBeUndefined();
  });

  it('leaves out an output too deep to nest in it, and the process input when it cannot fit even alone', () => {
    const input = compensationInput({ ...ended, input: 'z'.repeat(MAX_JSON_BYTES) }, [['deep', nested(63)], ['ok', nested(62)]]);
    expect(input).toMatchObject({ process: { id: 'p1', inputOmitted: true }, completed: { ok: nested(62) }, omitted: ['deep'] });
    expect(input.process).not.toHaveProperty('input');
    expect(jsonPayloadProblem(input)).toBeUndefined();
  });
});

describe('the compensation key', () => {
  const doc = (compensation: unknown) => ({ compensation, tasks: [{ name: 'A' }] });
  it('hashes a spelled-out default on like an omitted one; another on is other content', () => {
    const hash = (compensation: unknown) => canonicalDefinition(validateDefinition(doc(compensation), options));
    expect(hash({ definition: 'undo', on: ['FAILED'] })).toBe(hash({ definition: 'undo' }));
    expect(hash({ definition: 'undo', on: ['CANCELLED', 'FAILED', 'CANCELLED'] })).toBe(hash({ definition: 'undo', on: ['FAILED', 'CANCELLED'] }));
    expect(hash({ definition: 'undo', on: ['CANCELLED'] })).not.toBe(hash({ definition: 'undo' }));
    expect(hash({ definition: 'undo', version: 1 })).not.toBe(hash({ definition: 'undo' }));
  });

  it('reports its shape problems at their paths, with a hint for a mistyped key', () => {
    const problems = (compensation: unknown) => {
      try {
        validateDefinition(doc(compensation), options);
        return [];
      } catch (error) {
        return (error as InvalidDefinitionError).details.map((p) => [p.path, p.message]);
      }
    };
    expect(problems({ definiton: 'undo' })).toEqual([
      ['compensation.definition', 'compensation.definition must be the name of a definition (text)'],
      ['compensation.definiton', "unknown key 'definiton'; did you mean 'definition'?"],
    ]);
    expect(problems({ definition: 'undo', version: 0, on: [] })).toEqual([
      ['compensation.version', 'compensation.version must be a whole number, 1 or more'],
      ['compensation.on', "compensation.on must be a list of: FAILED, CANCELLED (at least one; leave 'on' out for the default [FAILED])"],
    ]);
    expect(problems('undo')).toEqual([['compensation', "compensation must be a mapping with a 'definition', e.g. { definition: undo-loan }"]]);
  });
});
