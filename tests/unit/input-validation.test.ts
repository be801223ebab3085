import { describe, expect, it, vi } from 'vitest';
import { checkProcessInput } from '#app/input-validation.ts';
import { compileInputSchema } from '#domain/input-schema.ts';

vi.mock('#domain/input-schema.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('#domain/input-schema.ts')>();
  return { ...original, compileInputSchema: vi.fn(original.compileInputSchema) };
});

const version = (name: string, v: number) => ({
  name,
  version: v,
  inputSchema: { type: 'object', required: ['amount'] },
  tasks: [],
  contentHash: 'h',
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('checkProcessInput', () => {
  it('compiles each definition version once per container, keyed by name@version', () => {
    const compile = vi.mocked(compileInputSchema);
    const loan1 = version('loan', 1);
    checkProcessInput(loan1, { amount: 1 });
    checkProcessInput(loan1, { amount: 2 });
    // The same version read again (a new object from the store) reuses the compiled check.
    checkProcessInput(version('loan', 1), { amount: 3 });
    expect(compile).toHaveBeenCalledTimes(1);
    checkProcessInput(version('loan', 2), { amount: 1 });
    checkProcessInput(version('other', 1), { amount: 1 });
    expect(compile).toHaveBeenCalledTimes(3);
  });
});
