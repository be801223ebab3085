import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';
import { isTributaryApiError } from '../../client/errors.ts';
import { NonRetryableTaskError, RetryAfterTaskError } from '../../client/task-failures.ts';

/**
 * Failure semantics (issue 7) on the in-memory engine with the virtual clock:
 * retries with backoff, non-retryable failures, leases dead on expiry, attempt
 * and process timeouts, skipDownstream, optional tasks, failure reasons and
 * the history. Every wait is virtual: nothing here depends on real time.
 */

async function setUp(yaml: string, input: unknown = null): Promise<{ engine: TestEngine; id: string }> {
  const engine = createTestEngine();
  await engine.client.putDefinition('wf', yaml);
  const { id } = (await engine.client.startProcess({ definition: 'wf', input })).process;
  return { engine, id };
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return isTributaryApiError(e) ? e.code : String(e);
  }
}

const taskOf = async (engine: TestEngine, id: string, name: string) => (await engine.client.getProcess(id)).tasks.find((t) => t.name === name)!;
const historyOf = async (engine: TestEngine, id: string) => (await engine.client.getHistory(id, { limit: 1000 })).items;

describe('retries', () => {
  it('fails twice, then succeeds: the process completes on attempt 3, and the history shows the 3 attempts', async () => {
    const { engine, id } = await setUp('defaults:\n  retry: { intervalSeconds: 2, backoffRate: 3, jitter: none }\ntasks:\n  - name: Flaky\n');
    let calls = 0;
    engine.worker({
      handler: async () => {
        calls += 1;
        if (calls < 3) throw new Error(`boom ${calls}`);
        return { ok: true };
      },
    });
    await engine.runUntilIdle();
    expect(await taskOf(engine, id, 'Flaky')).toMatchObject({ status: 'SCHEDULED', attempt: 2, maxAttempts: 3, lastError: { message: 'boom 1', code: 'Error' } });
    // Attempt 2 is due 2 s later, attempt 3 another 6 s later (backoffRate 3), exactly: jitter none.
    expect((await engine.advance(1999)).ran).toEqual([]);
    expect((await engine.advance(1)).ran.map((r) => r.attempt)).toEqual([2]);
    expect((await engine.advance(5999)).ran).toEqual([]);
    expect((await engine.advance(1)).ran.map((r) => [r.attempt, r.outcome])).toEqual([[3, 'completed']]);

    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('COMPLETED');
    expect(process.tasks[0]).toMatchObject({ status: 'COMPLETED', attempt: 3, output: { ok: true }, lastError: { message: 'boom 2' } });
    expect(process.tasks[0]?.nextAttemptAt).toBeUndefined();
    const history = await historyOf(engine, id);
    expect(history.map((e) => `${e.type}${e.attempt ? `#${e.attempt}` : ''}`)).toEqual([
      'ProcessStarted',
      'TaskScheduled#1',
      'TaskClaimed#1',
      'TaskFailed#1',
      'TaskScheduled#2',
      'TaskClaimed#2',
      'TaskFailed#2',
      'TaskScheduled#3',
      'TaskClaimed#3',
      'TaskCompleted#3',
      'ProcessCompleted',
    ]);
    const failed = history.filter((e) => e.type === 'TaskFailed');
    expect(failed.map((e) => e.details)).toEqual([
      { willRetry: true, nextAttemptAt: new Date(Date.parse(failed[0]!.at) + 2000).toISOString() },
      { willRetry: true, nextAttemptAt: new Date(Date.parse(failed[1]!.at) + 6000).toISOString() },
    ]);
    expect(failed.map((e) => e.workerId)).toEqual(['test-worker-1', 'test-worker-1']);
    // Times never go backwards.
    expect(history.map((e) => e.at)).toEqual([...history.map((e) => e.at)].sort());
  });

  it.each([
    ['a code listed in nonRetryable', () => Object.assign(new Error('declined'), { name: 'CardDeclined' }), 'CardDeclined'],
    ['retryable: false (NonRetryableTaskError)', () => new NonRetryableTaskError('no such order', { code: 'NoOrder' }), 'NoOrder'],
  ])('ends the task after 1 attempt for %s', async (_, error, code) => {
    const { engine, id } = await setUp('defaults:\n  retry: { maxAttempts: 5, nonRetryable: [CardDeclined] }\ntasks:\n  - name: Charge\n');
    engine.worker({
      handler: async () => {
        throw error();
      },
    });
    const { ran } = await engine.advance(600_000);
    expect(ran.map((r) => [r.attempt, r.outcome])).toEqual([[1, 'failed']]);
    expect(await engine.client.getProcess(id)).toMatchObject({
      status: 'FAILED',
      error: { code: 'TaskFailed', task: 'Charge' },
      tasks: [{ status: 'FAILED', attempt: 1, maxAttempts: 5, error: { code } }],
    });
  });

  it('ends a task with retryable: false sent through the API, on its first attempt', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n');
    const claim = await engine.client.claim(id, 'A', 'w1');
    expect(await engine.client.fail(id, 'A', { leaseToken: claim.leaseToken, error: { message: 'fatal', code: 'Fatal', retryable: false } })).toMatchObject({ status: 'FAILED' });
    expect(await engine.client.getProcess(id)).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed', task: 'A', message: "task 'A' failed: fatal" } });
  });

  it('keeps a retry off the queue until nextAttemptAt, and answers an early claim 409 naming the time', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    retry: { intervalSeconds: 30, jitter: none }\n');
    const claim = await engine.client.claim(id, 'A', 'w1');
    engine.queue.receive('default', 10); // the first message, spent
    const answer = await engine.client.fail(id, 'A', { leaseToken: claim.leaseToken, error: { message: 'try later' } });
    const due = new Date(engine.now() + 30_000).toISOString();
    expect(answer).toEqual({ processId: id, task: 'A', status: 'SCHEDULED', nextAttemptAt: due });
    expect(await taskOf(engine, id, 'A')).toMatchObject({ status: 'SCHEDULED', attempt: 2, nextAttemptAt: due });

    await engine.advance(29_999);
    expect(engine.queue.receive('default', 10)).toEqual([]);
    const early = await engine.client.claim(id, 'A', 'w2').catch((e: unknown) => e);
    expect(early).toMatchObject({ status: 409, code: 'TaskNotActive', details: { notBefore: due } });
    expect(String((early as Error).message)).toContain(due);

    await engine.advance(1);
    expect(engine.queue.receive('default', 10).map((m) => m.body.attempt)).toEqual([2]);
    expect((await engine.client.claim(id, 'A', 'w2')).attempt).toBe(2);
  });

  it('honours retryAfterSeconds (RetryAfterTaskError); past 15 minutes the sweeper sends the message when due', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n');
    let calls = 0;
    engine.worker({
      handler: async () => {
        calls += 1;
        if (calls === 1) throw new RetryAfterTaskError('rate limited', 3600);
        return 'done';
      },
    });
    await engine.runUntilIdle();
    expect((await taskOf(engine, id, 'A')).nextAttemptAt).toBe(new Date(engine.now() + 3_600_000).toISOString());
    expect(engine.queue.depth('default')).toBe(0); // beyond SQS's 15-minute delay: no message yet
    expect((await engine.advance(3_599_000)).ran).toEqual([]);
    expect((await engine.advance(1000)).ran.map((r) => [r.attempt, r.outcome])).toEqual([[2, 'completed']]);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });

  it('recovers a retry whose message was lost: the sweeper sends it a grace period after it is due', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    retry: { intervalSeconds: 10, jitter: none }\n');
    const claim = await engine.client.claim(id, 'A', 'w1');
    engine.queue.receive('default', 10); // the first message, spent
    engine.faults.dropMessages(1);
    await engine.client.fail(id, 'A', { leaseToken: claim.leaseToken, error: { message: 'blip' } });
    engine.worker({ handler: async () => 'ok' });
    expect((await engine.advance(10_000)).ran).toEqual([]); // due, but its message was lost
    const { ran, swept } = await engine.advance(engine.deps.settings.enqueueGraceMs);
    expect(swept.resent).toBe(1);
    expect(ran.map((r) => [r.attempt, r.outcome])).toEqual([[2, 'completed']]);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });

  it('keeps a task item within 400 KB whatever the errors and output at their size limits, over every attempt', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    retry: { intervalSeconds: 0 }\n');
    const big = (c: string) => ({ message: c.repeat(5000), details: c.repeat(240 * 1024) });
    for (const c of ['1', '2']) {
      const claim = await engine.client.claim(id, 'A', 'w');
      await engine.client.fail(id, 'A', { leaseToken: claim.leaseToken, error: big(c) });
    }
    const last = await engine.client.claim(id, 'A', 'w');
    await engine.client.complete(id, 'A', { leaseToken: last.leaseToken, output: 'o'.repeat(250 * 1024) });
    const view = await engine.client.getProcess(id);
    expect(view.tasks[0]).toMatchObject({ status: 'COMPLETED', attempt: 3 });
    expect(view.tasks[0]?.lastError?.message).toHaveLength(4096);
    const failed = (await historyOf(engine, id)).filter((e) => e.type === 'TaskFailed');
    expect(failed.map((e) => (e.error as { message: string }).message.length)).toEqual([512, 512]);
  });

  it('keeps a final error whole, beside a retried one, and shows it whole in the history', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    retry: { maxAttempts: 2, intervalSeconds: 0 }\n');
    const big = (c: string) => ({ message: c, details: c.repeat(240 * 1024) });
    for (const c of ['1', '2']) {
      const claim = await engine.client.claim(id, 'A', 'w');
      await engine.client.fail(id, 'A', { leaseToken: claim.leaseToken, error: big(c) });
    }
    const view = await engine.client.getProcess(id);
    expect(view).toMatchObject({ status: 'FAILED', tasks: [{ status: 'FAILED', error: big('2') }] });
    const failed = (await historyOf(engine, id)).filter((e) => e.type === 'TaskFailed');
    expect(failed.map((e) => e.error)).toEqual([{ message: '1' }, big('2')]);
  });

  it('retries a manual task failed through the API, with the same not-before rule', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: Approve\n    retry: { maxAttempts: 2, intervalSeconds: 60, jitter: none }\n');
    expect(await engine.client.fail(id, 'Approve', { error: { message: 'not yet' } })).toMatchObject({ status: 'SCHEDULED' });
    expect(await codeOf(engine.client.complete(id, 'Approve', { output: 'ok' }))).toBe('TaskNotActive');
    await engine.advance(60_000);
    expect(await engine.client.fail(id, 'Approve', { error: { message: 'still no' } })).toMatchObject({ status: 'FAILED' });
    expect(await engine.client.getProcess(id)).toMatchObject({ status: 'FAILED', tasks: [{ status: 'FAILED', attempt: 2 }] });
  });
});

describe('leases and attempt timeouts', () => {
  it('counts a lease expiry as an attempt: after maxAttempts expiries the task is FAILED with LeaseExpired', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    timeoutSeconds: 30\n    retry: { maxAttempts: 2, intervalSeconds: 0 }\n');
    const first = await engine.client.claim(id, 'A', 'w1');
    await engine.advance(30_000);
    expect(await taskOf(engine, id, 'A')).toMatchObject({ status: 'SCHEDULED', attempt: 2, lastError: { code: 'LeaseExpired' } });
    expect(await codeOf(engine.client.complete(id, 'A', { leaseToken: first.leaseToken, output: 'late' }))).toBe('LeaseMismatch');
    await engine.client.claim(id, 'A', 'w2');
    await engine.advance(30_000);
    const process = await engine.client.getProcess(id);
    expect(process).toMatchObject({ status: 'FAILED', error: { code: 'TaskFailed', task: 'A' }, tasks: [{ status: 'FAILED', attempt: 2, error: { code: 'LeaseExpired' } }] });
    const types = (await historyOf(engine, id)).map((e) => e.type);
    expect(types.filter((t) => t === 'TaskLeaseExpired')).toHaveLength(2);
    expect(types).toContain('StaleResultRejected');
  });

  it('kills a lease the moment it expires, before any sweep: heartbeat, complete and fail get 409', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    timeoutSeconds: 30\n');
    const claim = await engine.client.claim(id, 'A', 'w1');
    await engine.faults.expireLease(id, 'A'); // the lease runs out now; no sweep has run
    for (const call of [
      () => engine.client.heartbeat(id, 'A', claim.leaseToken),
      () => engine.client.complete(id, 'A', { leaseToken: claim.leaseToken, output: 1 }),
      () => engine.client.fail(id, 'A', { leaseToken: claim.leaseToken, error: { message: 'x' } }),
    ]) {
      expect(await codeOf(call())).toBe('LeaseMismatch');
    }
    expect((await taskOf(engine, id, 'A')).status).toBe('RUNNING'); // nothing written but the refusals
  });

  it('times out a heartbeating worker at attemptTimeoutSeconds (AttemptTimedOut)', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    timeoutSeconds: 30\n    attemptTimeoutSeconds: 70\n    retry: { maxAttempts: 1 }\n');
    const claim = await engine.client.claim(id, 'A', 'w1');
    expect(claim.leaseExpiresAt).toBe(new Date(engine.now() + 30_000).toISOString());
    await engine.advance(25_000);
    await engine.client.heartbeat(id, 'A', claim.leaseToken);
    await engine.advance(25_000);
    // The lease never outlives the attempt: the worker is told so.
    expect((await engine.client.heartbeat(id, 'A', claim.leaseToken)).leaseExpiresAt).toBe(new Date(engine.now() + 20_000).toISOString());
    await engine.advance(20_000);
    expect(await codeOf(engine.client.heartbeat(id, 'A', claim.leaseToken))).toBe('LeaseMismatch');
    expect(await codeOf(engine.client.complete(id, 'A', { leaseToken: claim.leaseToken, output: 'late' }))).toBe('LeaseMismatch');
    expect(await engine.client.getProcess(id)).toMatchObject({ status: 'FAILED', tasks: [{ status: 'FAILED', error: { code: 'AttemptTimedOut' } }] });
    expect((await historyOf(engine, id)).map((e) => e.type)).toContain('TaskAttemptTimedOut');
  });

  it('rejects a zombie complete after a retry, records it as StaleResultRejected, and keeps the output', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n    retry: { intervalSeconds: 0 }\n');
    const zombie = await engine.client.claim(id, 'A', 'zombie');
    await engine.client.fail(id, 'A', { leaseToken: zombie.leaseToken, error: { message: 'blip' } });
    const fresh = await engine.client.claim(id, 'A', 'fresh');
    await engine.client.complete(id, 'A', { leaseToken: fresh.leaseToken, output: 'right' });
    expect(await codeOf(engine.client.complete(id, 'A', { leaseToken: zombie.leaseToken, output: 'wrong' }))).toBe('LeaseMismatch');
    expect(await taskOf(engine, id, 'A')).toMatchObject({ status: 'COMPLETED', output: 'right', workerId: 'fresh', attempt: 2 });
    const stale = (await historyOf(engine, id)).filter((e) => e.type === 'StaleResultRejected');
    expect(stale).toEqual([expect.objectContaining({ task: 'A', attempt: 1, workerId: 'zombie', details: { call: 'complete' } })]);
    // A repeat of the zombie's own fail is answered as it was the first time (idempotent), not recorded again.
    expect(await engine.client.fail(id, 'A', { leaseToken: zombie.leaseToken, error: { message: 'blip' } })).toMatchObject({ status: 'FAILED' });
  });
});

describe('failure policies', () => {
  const branches = (extra: string) =>
    `${extra}tasks:\n  - name: A\n  - name: B\n    needs: [A]\n  - name: C\n    needs: [B]\n  - name: X\n  - name: Y\n    needs: [X]\n  - name: J\n    needs: [C, Y]\n  - name: Z\n    needs: [Y]\n`;

  it('skipDownstream: the failed branch is SKIPPED, the other branch completes, the process ends FAILED', async () => {
    const { engine, id } = await setUp(branches('onFailure: skipDownstream\n'));
    engine.worker({
      handler: async ({ task }) => {
        if (task === 'A') throw new NonRetryableTaskError('A broke');
        return task;
      },
    });
    const { ran } = await engine.runUntilIdle();
    expect(ran.map((r) => r.task).sort()).toEqual(['A', 'X', 'Y', 'Z']);
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('FAILED');
    expect(process.error).toEqual({ code: 'TaskFailed', task: 'A', message: "task 'A' failed: A broke" });
    expect(Object.fromEntries(process.tasks.map((t) => [t.name, [t.status, t.skippedBecause]]))).toEqual({
      A: ['FAILED', undefined],
      B: ['SKIPPED', 'A'],
      C: ['SKIPPED', 'A'],
      X: ['COMPLETED', undefined],
      Y: ['COMPLETED', undefined],
      J: ['SKIPPED', 'A'],
      Z: ['COMPLETED', undefined],
    });
    expect(process.progress).toEqual({ total: 7, completed: 3, failed: 1, skipped: 3, cancelled: 0, percent: 100 });
    expect((await historyOf(engine, id)).filter((e) => e.type === 'TaskSkipped').map((e) => e.task)).toEqual(['B', 'C', 'J']);
  });

  it('skipDownstream survives a failing call that crashes after any store call: the sweeper finishes the skips and the end', async () => {
    let crashed = 0;
    for (let n = 1; n <= 12; n++) {
      const { engine, id } = await setUp('onFailure: skipDownstream\ntasks:\n  - name: A\n    retry: { maxAttempts: 1 }\n  - name: B\n    needs: [A]\n  - name: C\n    needs: [B]\n  - name: X\n');
      const x = await engine.client.claim(id, 'X', 'w');
      await engine.client.complete(id, 'X', { leaseToken: x.leaseToken, output: 1 });
      const a = await engine.client.claim(id, 'A', 'w');
      engine.faults.crashAfterStoreCalls(n);
      const answer = await engine.client.fail(id, 'A', { leaseToken: a.leaseToken, error: { message: 'broke' } }).catch((e: unknown) => e);
      if (answer instanceof Error) {
        crashed += 1;
        // The worker retries its fail with the same token (the client does): answered as done, or done now.
        expect(await engine.client.fail(id, 'A', { leaseToken: a.leaseToken, error: { message: 'broke' } })).toMatchObject({ status: 'FAILED' });
      } else {
        engine.faults.crashAfterStoreCalls(Number.POSITIVE_INFINITY);
      }
      await engine.advance(engine.deps.settings.followUpGraceMs);
      const process = await engine.client.getProcess(id);
      expect(process.status, `crash after call ${n}`).toBe('FAILED');
      expect(process.tasks.map((t) => t.status), `crash after call ${n}`).toEqual(['FAILED', 'SKIPPED', 'SKIPPED', 'COMPLETED']);
    }
    expect(crashed).toBeGreaterThan(3);
  });

  it('failFast (the default): the process fails at once and the rest is cancelled', async () => {
    const { engine, id } = await setUp(branches(''));
    engine.worker({
      handler: async ({ task }) => {
        if (task === 'A') throw new NonRetryableTaskError('A broke');
        return task;
      },
    });
    await engine.runUntilIdle();
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('FAILED');
    expect(process.tasks.filter((t) => t.status === 'CANCELLED').length).toBeGreaterThan(0);
    expect(process.tasks.some((t) => t.status === 'SKIPPED')).toBe(false);
    expect(process.progress.percent).toBe(100);
  });

  it('an optional task that fails: its child runs with failedUpstream, and the process ends COMPLETED', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: Charge\n  - name: Receipt\n    needs: [Charge]\n    optional: true\n  - name: Archive\n    needs: [Receipt, Charge]\n');
    const inputs = new Map<string, unknown>();
    engine.worker({
      handler: async ({ task, input }) => {
        inputs.set(task, input);
        if (task === 'Receipt') throw new NonRetryableTaskError('mail server down', { code: 'MailDown' });
        return `${task} done`;
      },
    });
    await engine.runUntilIdle();
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('COMPLETED');
    expect(process.error).toBeUndefined();
    expect(process.tasks.map((t) => t.status)).toEqual(['COMPLETED', 'FAILED', 'COMPLETED']);
    expect(inputs.get('Archive')).toEqual({
      process: null,
      upstream: { Charge: 'Charge done' },
      failedUpstream: { Receipt: { message: 'mail server down', code: 'MailDown' } },
    });
  });

  it('a process timeout while tasks run: old tokens get 409, unfinished tasks are CANCELLED, the process FAILED with ProcessTimedOut', async () => {
    const { engine, id } = await setUp('timeoutSeconds: 120\ntasks:\n  - name: A\n    timeoutSeconds: 600\n  - name: B\n    needs: [A]\n  - name: C\n');
    const a = await engine.client.claim(id, 'A', 'w1');
    await engine.advance(119_999);
    expect((await engine.client.getProcess(id)).status).toBe('RUNNING');
    await engine.advance(1);
    const process = await engine.client.getProcess(id);
    expect(process).toMatchObject({ status: 'FAILED', error: { code: 'ProcessTimedOut' } });
    expect(process.tasks.map((t) => t.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
    expect(await codeOf(engine.client.complete(id, 'A', { leaseToken: a.leaseToken, output: 1 }))).toBe('ProcessNotRunning');
    expect(await codeOf(engine.client.heartbeat(id, 'A', a.leaseToken))).toBe('ProcessNotRunning');
    expect((await historyOf(engine, id)).map((e) => e.type).slice(-1)).toEqual(['ProcessFailed']);
  });

  it('a process that ends in time is not timed out later', async () => {
    const { engine, id } = await setUp('timeoutSeconds: 60\ntasks:\n  - name: A\n');
    await engine.client.complete(id, 'A', { output: 1 });
    await engine.advance(120_000);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });
});

describe('what users see', () => {
  it('cancel takes a reason, which becomes the error message', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n');
    const cancelled = await engine.client.cancelProcess(id, { reason: 'customer withdrew' });
    expect(cancelled).toMatchObject({ status: 'CANCELLED', error: { code: 'Cancelled', message: 'customer withdrew' } });
    expect(cancelled.progress).toMatchObject({ cancelled: 1, percent: 100 });
    const other = await setUp('tasks:\n  - name: A\n');
    expect((await other.engine.client.cancelProcess(other.id)).error).toEqual({ code: 'Cancelled', message: 'the process was cancelled' });
  });

  it('pages through the history with an opaque token, in the same order as one page', async () => {
    const { engine, id } = await setUp('tasks:\n  - name: A\n  - name: B\n    needs: [A]\n  - name: C\n    needs: [B]\n');
    engine.worker({ handler: async ({ task }) => task });
    await engine.runUntilIdle();
    const all = await historyOf(engine, id);
    expect(all).toHaveLength(11);
    const paged = [];
    let nextToken: string | undefined;
    do {
      const page = await engine.client.getHistory(id, { limit: 2, ...(nextToken ? { nextToken } : {}) });
      paged.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(paged).toEqual(all);
    expect(await codeOf(engine.client.getHistory(id, { nextToken: 'bm9wZQ' }))).toBe('ValidationError');
    expect(await codeOf(engine.client.getHistory('no-such-process'))).toBe('ProcessNotFound');
  });
});
