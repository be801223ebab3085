import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';
import { loanApplication, quietLoanHandlers } from './code-first.ts';

/** The code-first twin of the loan application, tested on the in-process engine: the workflow object is the definition and the handlers. */
describe('the code-first loan application', () => {
  it('registers from the workflow object and runs its own handlers to an approval', async () => {
    quietLoanHandlers();
    const engine = createTestEngine();
    await engine.client.apply(loanApplication);
    engine.worker({ workflows: [loanApplication] });
    const { process } = await engine.client.startProcess({ definition: loanApplication.name, input: { applicant: 'Ada' } });
    await engine.client.complete(process.id, 'Open Loan Application', { output: { amount: 1_000_000 } });

    await engine.runUntilIdle();

    const view = await engine.client.getProcess(process.id);
    expect(view.status).toBe('COMPLETED');
    expect(view.tasks.find((t) => t.name === 'Decide')?.output).toEqual({ approved: true, amount: 1_000_000, rate: 0.049 });
  });

  it('refuses an input its schema rejects, before anything runs', async () => {
    const engine = createTestEngine();
    await engine.client.apply(loanApplication);
    await expect(engine.client.startProcess({ definition: loanApplication.name, input: { applicant: 42 } })).rejects.toMatchObject({ code: 'ValidationError' });
  });
});
