import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';
import { isTributaryApiError } from '../../client/errors.ts';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import type { AppDeps } from '#app/deps.ts';

/**
 * Issue 18, part 3: a claim refused for want of a free concurrency slot waits
 * on its key's wait list, and the call that frees a slot sends the first
 * waiter's message again at once. Without it, the waiter's message comes back
 * only at `notBefore`, the first holder's lease expiry: here 10 minutes.
 */

const LIMITED = `
tasks:
  - name: call-partner
    timeoutSeconds: 600
    retry: { maxAttempts: 2, intervalSeconds: 1 }
    concurrency: { limit: 1, key: "input.partner" }
`;
const TASK = 'call-partner';

/** Starts n processes one second apart (so their tasks are scheduled in that order), and empties the queue. */
async function start(engine: TestEngine, n: number): Promise<string[]> {
  await engine.client.putDefinition('limited', LIMITED);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    ids.push((await engine.client.startProcess({ definition: 'limited', input: { partner: 'acme' } })).process.id);
    await engine.advance(1_000);
  }
  drain(engine);
  return ids;
}

/** The processes whose task messages are visible now (and takes them off the queue). */
function drain(engine: TestEngine): string[] {
  const messages = engine.queue.receive('default', 10);
  for (const m of messages) engine.queue.delete('default', m.receiptHandle);
  return messages.map((m) => m.body.processId);
}

async function claim(engine: TestEngine, id: string): Promise<string> {
  return (await engine.client.claim(id, TASK, `w-${id}`)).leaseToken;
}

async function refusal(engine: TestEngine, id: string): Promise<{ code: string; notBefore?: string }> {
  try {
    await engine.client.claim(id, TASK, `w-${id}`);
  } catch (error) {
    if (!isTributaryApiError(error)) throw error;
    return { code: error.code, notBefore: (error.details as { notBefore?: string } | undefined)?.notBefore };
  }
  throw new Error(`the claim of ${id} was not refused`);
}

/** The wait-list entries in the table, of every pool. */
function waitEntries(engine: TestEngine): unknown[] {
  return engine.table.snapshot().filter((i) => String(i.pk).startsWith('POOL#') && String(i.sk).startsWith('W#'));
}

describe('the wait list of a task concurrency key', () => {
  it("sends a waiter's message as soon as the holder completes, not at the holder's lease expiry", async () => {
    const engine = createTestEngine();
    const [a, b] = await start(engine, 2);
    const token = await claim(engine, a!);
    const refused = await refusal(engine, b!);
    expect(refused).toEqual({ code: 'ConcurrencyLimited', notBefore: new Date(engine.now() + 600_000).toISOString() });
    expect(drain(engine)).toEqual([]);

    await engine.client.complete(a!, TASK, { leaseToken: token, output: {} });
    // The virtual clock has not moved: the message is visible now, and the claim takes the freed slot.
    expect(drain(engine)).toEqual([b]);
    await claim(engine, b!);
    // Its claim took it off the list.
    expect(waitEntries(engine)).toEqual([]);
  });

  it.each([
    ['fail, with an attempt left', (e: TestEngine, id: string, leaseToken: string) => e.client.fail(id, TASK, { leaseToken, error: { code: 'Flaky', message: 'try again' } })],
    ['fail, for good', (e: TestEngine, id: string, leaseToken: string) => e.client.fail(id, TASK, { leaseToken, error: { code: 'Broken', message: 'no', retryable: false } })],
    ['release', (e: TestEngine, id: string, leaseToken: string) => e.client.release(id, TASK, { leaseToken, delaySeconds: 60 })],
    ['cancel of its process', (e: TestEngine, id: string) => e.client.cancelProcess(id)],
  ])('hands the slot on after %s', async (_, free) => {
    const engine = createTestEngine();
    const [a, b] = await start(engine, 2);
    const token = await claim(engine, a!);
    await refusal(engine, b!);
    await free(engine, a!, token);
    expect(drain(engine)).toContain(b);
    await claim(engine, b!);
  });

  it('hands slots on in the order the waiting tasks were scheduled, not the order they were refused', async () => {
    const engine = createTestEngine();
    const [a, b, c] = await start(engine, 3);
    const tokenA = await claim(engine, a!);
    await refusal(engine, c!);
    await refusal(engine, b!);

    await engine.client.complete(a!, TASK, { leaseToken: tokenA, output: {} });
    expect(drain(engine)).toEqual([b]);
    const tokenB = await claim(engine, b!);
    await engine.client.complete(b!, TASK, { leaseToken: tokenB, output: {} });
    expect(drain(engine)).toEqual([c]);
  });

  it('skips a waiter that no longer waits (its process was cancelled), and hands the slot to the next', async () => {
    const engine = createTestEngine();
    const [a, b, c] = await start(engine, 3);
    const tokenA = await claim(engine, a!);
    await refusal(engine, b!);
    await refusal(engine, c!);
    await engine.client.cancelProcess(b!);
    drain(engine);

    await engine.client.complete(a!, TASK, { leaseToken: tokenA, output: {} });
    expect(drain(engine)).toEqual([c]);
    await claim(engine, c!);
    expect(waitEntries(engine)).toEqual([]);
  });

  it('skips a waiter whose process is paused, and serves it in its place after the resume', async () => {
    const engine = createTestEngine();
    const [a, b, c] = await start(engine, 3);
    const tokenA = await claim(engine, a!);
    await refusal(engine, b!);
    await refusal(engine, c!);
    await engine.client.pause(b!);
    // The pause marks b's waiting task held (its sweep pass).
    await engine.runUntilIdle();
    expect((await engine.deps.tasks.get({ processId: b!, task: TASK }))?.held).toBe(true);
    drain(engine);

    await engine.client.complete(a!, TASK, { leaseToken: tokenA, output: {} });
    expect(drain(engine)).toEqual([c]);
    const tokenC = await claim(engine, c!);
    await engine.client.resume(b!);
    expect(drain(engine)).toEqual([b]);
    await refusal(engine, b!);
    await engine.client.complete(c!, TASK, { leaseToken: tokenC, output: {} });
    expect(drain(engine)).toEqual([b]);
    await claim(engine, b!);
  });

  it('a waiter whose holder died is claimed at the lease expiry, from its delayed message, and leaves the list', async () => {
    const engine = createTestEngine();
    const [a, b] = await start(engine, 2);
    await claim(engine, a!);
    await refusal(engine, b!);
    expect(waitEntries(engine)).toHaveLength(1);
    await engine.advance(600_000);
    await claim(engine, b!);
    expect(waitEntries(engine)).toEqual([]);
  });

  it('a slot freed between the claim reading the slots and joining the list is taken by that claim, not lost', async () => {
    const engine = createTestEngine();
    const [a, b] = await start(engine, 2);
    const tokenA = await claim(engine, a!);
    // The holder completes while b's claim is between its read of the slots (all held) and its wait-list entry:
    // the completion finds no waiter to hand the slot to, so b's claim must see the free slot itself.
    let completed = false;
    const racing: AppDeps = {
      ...engine.deps,
      taskLimits: Object.assign(Object.create(engine.deps.taskLimits) as AppDeps['taskLimits'], {
        wait: async (args: Parameters<AppDeps['taskLimits']['wait']>[0]) => {
          if (!completed) {
            completed = true;
            await completeTask(engine.deps, a!, TASK, { leaseToken: tokenA, output: {} });
          }
          return engine.deps.taskLimits.wait(args);
        },
      }),
    };
    const claimed = await claimTask(racing, b!, TASK, 'w-b');
    expect(completed).toBe(true);
    expect(claimed.leaseToken).toBeTruthy();
    expect((await engine.deps.tasks.get({ processId: b!, task: TASK }))?.status).toBe('RUNNING');
    expect(waitEntries(engine)).toEqual([]);
  });
});
