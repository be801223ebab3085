import { describe, expect, it, vi } from 'vitest';
import { TaskAlreadyClaimedError } from '#domain/errors.ts';
import { runBatchItems } from '#http/batch-items.ts';
import { logger } from '#observability/powertools.ts';

describe('runBatchItems', () => {
  it('answers in order; a typed refusal is its error body, an unexpected error its InternalError, and neither fails the rest', async () => {
    const items = [
      { processId: 'p', task: 'ok' },
      { processId: 'p', task: 'taken' },
      { processId: 'p', task: 'boom' },
      { processId: 'q', task: 'ok' },
    ];
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const outcomes = await runBatchItems(items, async ({ processId, task }) => {
      if (task === 'taken') throw new TaskAlreadyClaimedError(task);
      if (task === 'boom') throw new Error('the table is on fire');
      return `${processId}/${task}`;
    });
    expect(outcomes).toEqual([
      { result: 'p/ok', status: 200 },
      { result: { error: { code: 'TaskAlreadyClaimed', message: expect.any(String) } }, status: 409 },
      { result: { error: { code: 'InternalError', message: 'internal error' } }, status: 500 },
      { result: 'q/ok', status: 200 },
    ]);
    // The unexpected error is logged, with its task; the answer tells nothing of it.
    expect(logged).toHaveBeenCalledWith('unhandled error in a batch item', expect.objectContaining({ processId: 'p', task: 'boom' }));
    logged.mockRestore();
  });

  it('runs items of different tasks concurrently, and items of the same task one after another in order', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const items = [
      { processId: 'p', task: 'A', n: 1 },
      { processId: 'p', task: 'B', n: 2 },
      { processId: 'p', task: 'A', n: 3 },
    ];
    const done = runBatchItems(items, async ({ task, n }) => {
      log.push(`start ${task}${n}`);
      if (n === 1) await gate;
      log.push(`end ${task}${n}`);
      return n;
    });
    // B started and ended while A1 waits; A3 has not started, since A1 has not ended.
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['start A1', 'start B2', 'end B2']);
    release();
    expect((await done).map((o) => o.result)).toEqual([1, 2, 3]);
    expect(log).toEqual(['start A1', 'start B2', 'end B2', 'end A1', 'start A3', 'end A3']);
  });
});
