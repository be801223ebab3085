import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';
import { handlers } from './worker.ts';

/**
 * The loan application, tested the way a user tests their own workflow: the
 * definition and the worker's handlers, on the in-process test engine. No
 * stack, no Java, no ports.
 */
const yaml = await readFile(new URL('./loan-application.yaml', import.meta.url), 'utf8');

async function startedLoan(amount: number) {
  const engine = createTestEngine();
  await engine.client.putDefinition('loan-application', yaml);
  const { id } = (await engine.client.startProcess({ definition: 'loan-application', input: { applicant: 'Ada' } })).process;
  engine.worker({ tasks: Object.keys(handlers), handler: (task) => handlers[task.task]!(task) });
  // The applicant opens the application: a manual task, completed through the API.
  await engine.client.complete(id, 'Open Loan Application', { output: { amount } });
  return { engine, id };
}

describe('the loan application', () => {
  it('approves a loan of 1,000,000 after both checks, at the rate for its credit score', async () => {
    const { engine, id } = await startedLoan(1_000_000);
    const first = await engine.runUntilIdle();
    // Check Identity fails once on purpose; its retry is due 1 s later.
    expect(first.ran.map((r) => [r.task, r.attempt, r.outcome])).toContainEqual(['Check Identity', 1, 'failed']);
    expect((await engine.client.getProcess(id)).tasks.find((t) => t.name === 'Check Identity')).toMatchObject({
      status: 'SCHEDULED',
      attempt: 2,
      maxAttempts: 3,
      nextAttemptAt: new Date(engine.now() + 1000).toISOString(),
      lastError: { code: 'IdentityServiceTimeout', message: 'identity service timed out' },
    });
    const then = await engine.advance(1000);

    expect([...first.ran, ...then.ran].map((r) => `${r.task}#${r.attempt}`).sort()).toEqual(['Check Identity#1', 'Check Identity#2', 'Decide#1', 'Review Credit#1']);
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('COMPLETED');
    expect(process.tasks.find((t) => t.name === 'Decide')?.output).toEqual({ approved: true, amount: 1_000_000, rate: 0.049 });
    // The history shows both attempts of Check Identity.
    const { items } = await engine.client.getHistory(id);
    expect(items.filter((e) => e.task === 'Check Identity').map((e) => `${e.type}#${e.attempt}`)).toEqual([
      'TaskScheduled#1',
      'TaskClaimed#1',
      'TaskFailed#1',
      'TaskScheduled#2',
      'TaskClaimed#2',
      'TaskCompleted#2',
    ]);
  });

  it('declines a loan over 2,000,000', async () => {
    const { engine, id } = await startedLoan(3_000_000);
    await engine.runUntilIdle();
    await engine.advance(1000);
    expect((await engine.client.getProcess(id)).tasks.find((t) => t.name === 'Decide')?.output).toMatchObject({ approved: false });
  });

  it('still decides once when a check message is delivered twice and a worker loses its lease', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('loan-application', yaml);
    const { id } = (await engine.client.startProcess({ definition: 'loan-application', input: { applicant: 'Ada' } })).process;
    engine.faults.duplicateMessages(2);
    await engine.client.complete(id, 'Open Loan Application', { output: { amount: 1_000_000 } });
    // A worker claims Review Credit, then dies without a word: its lease runs out.
    const [message] = engine.queue.receive('default', 1, (m) => m.task === 'Review Credit');
    const abandoned = await engine.client.claim(id, message!.body.task, 'crashed-worker');
    await engine.faults.expireLease(id, 'Review Credit');

    engine.worker({ tasks: Object.keys(handlers), handler: (task) => handlers[task.task]!(task) });
    const first = await engine.runUntilIdle();
    // The expired lease counts as attempt 1 (LeaseExpired); attempt 2 waits for its backoff (at most 1 s), as does Check Identity's retry.
    const then = await engine.advance(1000);
    const ran = [...first.ran, ...then.ran];

    expect(first.swept.reenqueued).toBe(1);
    expect(ran.filter((r) => r.task === 'Decide')).toHaveLength(1);
    expect(ran.find((r) => r.task === 'Review Credit')?.attempt).toBe(2);
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('COMPLETED');
    // The dead worker's lease is fenced: its late result is refused.
    await expect(engine.client.complete(id, 'Review Credit', { leaseToken: abandoned.leaseToken, output: { score: 1 } })).rejects.toMatchObject({ code: 'LeaseMismatch' });
  });
});
