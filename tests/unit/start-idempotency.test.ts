import { describe, expect, it } from 'vitest';
import { isTributaryApiError } from '../../client/errors.ts';
import { createTestEngine } from '../../testing/index.ts';

const FLOW = 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n';

/** What a call threw, as the client reports it. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (isTributaryApiError(error)) return { status: error.status, code: error.code, message: error.message };
    throw error;
  }
  throw new Error('the call was not refused');
}

describe('the test engine, through the client: starts with an idempotency key, and page limits', () => {
  it('answers the first process to the same request, and 409 IdempotencyKeyReused to another request with the key', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('flow', FLOW);
    await engine.client.putDefinition('other', FLOW);
    const first = await engine.client.startProcess({ definition: 'flow', input: { order: 7, lines: [1, 2] }, idempotencyKey: 'order-7' });
    expect(first.created).toBe(true);
    const again = await engine.client.startProcess({ definition: 'flow', input: { lines: [1, 2], order: 7 }, idempotencyKey: 'order-7' });
    expect(again).toEqual({ created: false, process: first.process });
    for (const other of [
      { definition: 'flow', input: { order: 8, lines: [1, 2] } },
      { definition: 'flow', version: 1, input: { order: 7, lines: [1, 2] } },
      { definition: 'other', input: { order: 7, lines: [1, 2] } },
    ]) {
      expect(await refusal(engine.client.startProcess({ ...other, idempotencyKey: 'order-7' })), JSON.stringify(other)).toEqual({
        status: 409,
        code: 'IdempotencyKeyReused',
        message: expect.stringContaining(first.process.id),
      });
    }
    // The refused starts wrote nothing: one process, which still runs to its end.
    expect((await engine.client.listProcesses()).items.map((p) => p.id)).toEqual([first.process.id]);
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(first.process.id)).status).toBe('COMPLETED');
  });

  it('names the valid range of limit on every refusal, 0 and 101 alike', async () => {
    const engine = createTestEngine();
    for (const limit of [0, 101, 2.5]) {
      const refused = await refusal(engine.client.listProcesses({ limit }));
      expect(refused, String(limit)).toMatchObject({ status: 400, code: 'ValidationError', message: expect.stringContaining('limit must be an integer from 1 to 100') });
    }
    const history = await refusal(engine.client.getHistory('any-process', { limit: 0 }));
    expect(history.message).toContain('limit must be an integer from 1 to 1000');
  });
});
