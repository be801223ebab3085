import { expect } from 'vitest';
import { parseDefinition, validateDefinition, type ParseOptions } from '#domain/definition.ts';
import { InvalidDefinitionError, type ProblemDetail } from '#domain/errors.ts';

/** The deployment the definition tests validate against: two queues, `default` the default. */
export const OPTIONS: ParseOptions = { queues: ['default', 'gpu'], defaultQueue: 'default' };

/** The problems a decoded document is rejected with; fails the test if it is accepted. */
export function problemsOf(doc: unknown, options: ParseOptions = OPTIONS): readonly ProblemDetail[] {
  return rejection(() => validateDefinition(doc, options));
}

/** The problems YAML or JSON text is rejected with; fails the test if it is accepted. */
export function problemsOfText(text: string, options: ParseOptions = OPTIONS): readonly ProblemDetail[] {
  return rejection(() => parseDefinition(text, options));
}

function rejection(check: () => unknown): readonly ProblemDetail[] {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDefinitionError);
    return (error as InvalidDefinitionError).details;
  }
  throw new Error('expected the definition to be rejected');
}
