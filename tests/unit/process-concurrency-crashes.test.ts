import { describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { rerunProcess } from '#app/rerun-process.ts';
import { poolIdOf } from '#app/process-pools.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { isEndedProcess, isRunningProcess } from '#domain/status-predicates.ts';
import { InjectedCrash, memoryEngine, putYaml, type Deps, type Engine } from '../support/engines.ts';

/**
 * Process concurrency under crashes (issue 18): a crash at every call boundary
 * of a start that takes a slot, a start that queues (and its own dequeue
 * attempt), and the end of a holder (the slot freed, then handed to the head
 * of the queue). After each, workers and the sweeper carry on: the limit is
 * never exceeded, every slot comes back, and every queued process starts.
 */
const LIMIT = 1;
const ONE_TASK = `concurrency:\n  limit: ${LIMIT}\ntasks:\n  - name: work\n`;

let scenario = 0;

async function freshDefinition(engine: Engine): Promise<string> {
  scenario += 1;
  const name = `pool-${scenario}`;
  await putYaml(engine.deps, name, ONE_TASK);
  return name;
}

async function start(deps: Deps, definition: string, idempotencyKey: string): Promise<string> {
  return (await startProcess(deps, { definition, input: {}, idempotencyKey })).process.id;
}

/** The slots held and the RUNNING processes never exceed the limit; answers the slots held now. */
async function checkLimit(engine: Engine, definition: string, ids: readonly string[], label: string): Promise<number> {
  const pool = await engine.deps.pools.get({ pool: poolIdOf(definition, undefined) });
  const held = pool?.slotsHeld ?? 0;
  expect(held, `${label}: slots held`).toBeLessThanOrEqual(LIMIT);
  const running = (await Promise.all(ids.map((id) => engine.deps.processes.get({ id })))).filter((p) => isRunningProcess(p?.status));
  expect(running.length, `${label}: RUNNING`).toBeLessThanOrEqual(LIMIT);
  return held;
}

/** Workers and the sweeper until every process ended, checking the limit after every step. */
async function runAll(engine: Engine, definition: string, ids: readonly string[], label: string): Promise<void> {
  for (let round = 0; round < 100; round++) {
    const processes = await Promise.all(ids.map((id) => engine.deps.processes.get({ id })));
    if (processes.every((p) => isEndedProcess(p?.status))) return;
    const messages = (await engine.drain()).filter((m) => ids.includes(m.body.processId));
    for (const m of messages) {
      try {
        const claim = await claimTask(engine.deps, m.body.processId, m.body.task, 'w');
        await completeTask(engine.deps, m.body.processId, m.body.task, { leaseToken: claim.leaseToken, output: {} });
      } catch (error) {
        if (!['TaskNotActive', 'TaskAlreadyClaimed', 'ProcessNotRunning'].includes((error as { code?: string }).code ?? '')) throw error;
      }
      await checkLimit(engine, definition, ids, label);
    }
    if (messages.length === 0) {
      engine.clock.advance(10 * 60_000);
      await sweep(engine.deps);
      await checkLimit(engine, definition, ids, label);
    }
  }
  throw new Error(`${label}: the processes did not end`);
}

async function expectAllCompleted(engine: Engine, definition: string, ids: readonly string[], label: string): Promise<void> {
  const statuses = await Promise.all(ids.map(async (id) => (await engine.deps.processes.get({ id }))?.status));
  expect(statuses, label).toEqual(ids.map(() => 'COMPLETED'));
  expect(await checkLimit(engine, definition, ids, label), `${label}: every slot came back`).toBe(0);
}

/** Calls one step makes when nothing fails. */
async function callsOf(engine: Engine, step: (deps: Deps, definition: string) => Promise<unknown>, prepare: (definition: string) => Promise<void>): Promise<number> {
  const definition = await freshDefinition(engine);
  await prepare(definition);
  const counting = engine.countingDeps();
  await step(counting.deps, definition);
  return counting.calls();
}

describe('process concurrency under crashes', () => {
  it('a start that takes a slot, and one that queues, crashed at every call boundary: retried, both run, one at a time', async () => {
    const engine = await memoryEngine();
    for (const queued of [false, true]) {
      // With `queued`, a holder runs first, so the crashed start queues.
      const prepare = async (definition: string) => {
        if (queued) await start(engine.deps, definition, `${definition}-holder`);
      };
      const calls = await callsOf(engine, (d, definition) => start(d, definition, `${definition}-new`), prepare);
      expect(calls).toBeGreaterThan(1);
      for (let k = 0; k <= calls; k++) {
        const label = `${queued ? 'queued' : 'slot'} start, crash after call ${k} of ${calls}`;
        const definition = await freshDefinition(engine);
        await prepare(definition);
        await expect(start(engine.crashingDeps(k), definition, `${definition}-new`), label).rejects.toBeInstanceOf(InjectedCrash);
        await checkLimit(engine, definition, [], label);
        // The client retries the start whose answer it never got, with the same idempotency key.
        const id = await start(engine.deps, definition, `${definition}-new`);
        const ids = queued ? [await start(engine.deps, definition, `${definition}-holder`), id] : [id];
        await runAll(engine, definition, ids, label);
        await expectAllCompleted(engine, definition, ids, label);
      }
    }
  }, 300_000);

  it('the end of a holder, crashed at every call boundary (its slot freed, the queue dequeued): the queued one still starts', async () => {
    const engine = await memoryEngine();
    const setup = async (definition: string) => {
      const holder = await start(engine.deps, definition, `${definition}-holder`);
      const waiting = await start(engine.deps, definition, `${definition}-waiting`);
      const message = (await engine.drain()).find((m) => m.body.processId === holder);
      const claim = await claimTask(engine.deps, holder, message!.body.task, 'w');
      return { holder, waiting, lease: claim.leaseToken };
    };
    let prepared: { holder: string; waiting: string; lease: string } | undefined;
    const calls = await callsOf(
      engine,
      (d) => completeTask(d, prepared!.holder, 'work', { leaseToken: prepared!.lease, output: {} }),
      async (definition) => {
        prepared = await setup(definition);
      },
    );
    expect(calls).toBeGreaterThan(2);
    for (let k = 0; k <= calls; k++) {
      const label = `end of a holder, crash after call ${k} of ${calls}`;
      const definition = await freshDefinition(engine);
      const { holder, waiting, lease } = await setup(definition);
      await expect(completeTask(engine.crashingDeps(k), holder, 'work', { leaseToken: lease, output: {} }), label).rejects.toBeInstanceOf(InjectedCrash);
      await checkLimit(engine, definition, [holder, waiting], label);
      // No retry: the lease expires, or the sweeper finishes the end and its dequeue.
      await runAll(engine, definition, [holder, waiting], label);
      await expectAllCompleted(engine, definition, [holder, waiting], label);
    }
  }, 300_000);

  it('the cancel of a holder, crashed at every call boundary (its slot handed to the head of the queue): the queued one still starts', async () => {
    const engine = await memoryEngine();
    const setup = async (definition: string) => ({
      holder: await start(engine.deps, definition, `${definition}-holder`),
      waiting: await start(engine.deps, definition, `${definition}-waiting`),
    });
    let prepared: { holder: string; waiting: string } | undefined;
    const calls = await callsOf(
      engine,
      (d) => cancelProcess(d, prepared!.holder),
      async (definition) => {
        prepared = await setup(definition);
      },
    );
    expect(calls).toBeGreaterThan(2);
    for (let k = 0; k <= calls; k++) {
      const label = `cancel of a holder, crash after call ${k} of ${calls}`;
      const definition = await freshDefinition(engine);
      const { holder, waiting } = await setup(definition);
      await expect(cancelProcess(engine.crashingDeps(k), holder), label).rejects.toBeInstanceOf(InjectedCrash);
      await checkLimit(engine, definition, [holder, waiting], label);
      // No retry of the cancel: either it did not happen (the holder runs to its end) or the sweeper finishes it.
      await runAll(engine, definition, [holder, waiting], label);
      const statuses = await Promise.all([holder, waiting].map(async (id) => (await engine.deps.processes.get({ id }))?.status));
      expect(statuses[1], label).toBe('COMPLETED');
      expect(['CANCELLED', 'COMPLETED'], label).toContain(statuses[0]);
      expect(await checkLimit(engine, definition, [holder, waiting], label), `${label}: every slot came back`).toBe(0);
    }
  }, 300_000);

  it('a rerun that queues over a full pool, crashed at every call boundary: retried if it did not happen, it runs its pass once handed the slot', async () => {
    const engine = await memoryEngine();
    const setup = async (definition: string) => {
      const ended = await start(engine.deps, definition, `${definition}-ended`);
      await cancelProcess(engine.deps, ended);
      return { ended, holder: await start(engine.deps, definition, `${definition}-holder`) };
    };
    let prepared: { ended: string; holder: string } | undefined;
    const calls = await callsOf(
      engine,
      (d) => rerunProcess(d, prepared!.ended, {}),
      async (definition) => {
        prepared = await setup(definition);
      },
    );
    expect(calls).toBeGreaterThan(2);
    for (let k = 0; k <= calls; k++) {
      const label = `queued rerun, crash after call ${k} of ${calls}`;
      const definition = await freshDefinition(engine);
      const { ended, holder } = await setup(definition);
      await expect(rerunProcess(engine.crashingDeps(k), ended, {}), label).rejects.toBeInstanceOf(InjectedCrash);
      await checkLimit(engine, definition, [holder, ended], label);
      // The client retries a rerun whose answer it never got, unless the process already left its ended state.
      if ((await engine.deps.processes.get({ id: ended }))?.run === 1) await rerunProcess(engine.deps, ended, {});
      await runAll(engine, definition, [holder, ended], label);
      await expectAllCompleted(engine, definition, [holder, ended], label);
      expect((await engine.deps.processes.get({ id: ended }))?.run, label).toBe(2);
    }
  }, 300_000);
});
