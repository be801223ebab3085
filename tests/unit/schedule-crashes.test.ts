import { describe, expect, it } from 'vitest';
import { runScheduler } from '#app/run-scheduler.ts';
import { backfillSchedule, getSchedule, putSchedule } from '#app/schedules.ts';
import { isRunningProcess } from '#domain/status-predicates.ts';
import { memoryEngine, putYaml, type Engine } from '../support/engines.ts';

/**
 * A fire crashed at every call boundary (store calls and queue sends), then
 * finished by a clean scheduler run: each scheduled time starts exactly one
 * process, and its fire record names it. The crash is caught by the run like
 * any failed step, as on Lambda the next tick redoes it.
 */

async function setUp(overlap: string, paused = false): Promise<Engine> {
  const engine = await memoryEngine();
  await putYaml(engine.deps, 'job', 'tasks:\n  - name: Work\n');
  // On a minute boundary, so that every 1m times are whole minutes of the clock.
  engine.clock.t = Date.UTC(2026, 0, 1, 0, 0, 0);
  await putSchedule(engine.deps, 'c', { definition: 'job', every: '1m', overlap, paused });
  return engine;
}

async function processIds(engine: Engine): Promise<string[]> {
  return (await engine.deps.processes.list({ limit: 100 })).items.map((p) => p.id).sort();
}

/**
 * Crashes `act` after call k, for every k from 0 (before the first call) to one past its last call (a clean run),
 * each time on a fresh engine, then lets a clean scheduler run finish and checks with `check`. Answers how many
 * boundaries were tried.
 */
async function everyBoundary(
  setup: () => Promise<Engine>,
  act: (engine: Engine, crashing: Engine['deps']) => Promise<unknown>,
  check: (engine: Engine) => Promise<void>,
): Promise<number> {
  const clean = await setup();
  const counting = clean.countingDeps();
  await act(clean, counting.deps);
  const calls = counting.calls();
  for (let k = 0; k <= calls + 1; k++) {
    const engine = await setup();
    await act(engine, engine.crashingDeps(k));
    await runScheduler(engine.deps);
    await check(engine);
  }
  return calls + 2;
}

describe('a fire crashed at every call boundary starts exactly one process per time', () => {
  it('three due times at once (allowAll): three processes, each recorded', async () => {
    const tried = await everyBoundary(
      () => setUp('allowAll'),
      async (engine, deps) => {
        engine.clock.t = Date.UTC(2026, 0, 1, 0, 3, 0);
        await runScheduler(deps).catch(() => undefined);
      },
      async (engine) => {
        const ids = await processIds(engine);
        expect(ids).toHaveLength(3);
        const fires = (await getSchedule(engine.deps, 'c')).fires;
        expect(fires.map((f) => f.outcome)).toEqual(['started', 'started', 'started']);
        expect(fires.map((f) => f.processId).sort()).toEqual(ids);
      },
    );
    expect(tried).toBeGreaterThan(10);
  });

  it('cancelOther: one cancelled, one running, whatever the crash', async () => {
    await everyBoundary(
      () => setUp('cancelOther'),
      async (engine, deps) => {
        if (engine.clock.t < Date.UTC(2026, 0, 1, 0, 1, 0)) {
          engine.clock.t = Date.UTC(2026, 0, 1, 0, 1, 0);
          await runScheduler(engine.deps);
        }
        engine.clock.t = Date.UTC(2026, 0, 1, 0, 2, 0);
        await runScheduler(deps).catch(() => undefined);
      },
      async (engine) => {
        const ids = await processIds(engine);
        expect(ids).toHaveLength(2);
        const [second, first] = (await getSchedule(engine.deps, 'c')).fires;
        expect(second).toMatchObject({ outcome: 'cancelledOther', cancelled: first!.processId });
        const running = await Promise.all(ids.map(async (id) => isRunningProcess((await engine.deps.processes.get({ id }))?.status)));
        expect(running.filter(Boolean)).toHaveLength(1);
        expect(isRunningProcess((await engine.deps.processes.get({ id: second!.processId! }))?.status)).toBe(true);
      },
    );
  });

  it('a backfill crashed anywhere and repeated fires each time once', async () => {
    await everyBoundary(
      () => setUp('skip', true),
      async (engine, deps) => {
        engine.clock.t = Date.UTC(2026, 0, 1, 1, 0, 0);
        await backfillSchedule(deps, 'c', { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:03:00Z', overlap: 'allowAll' }).catch(() => undefined);
        // A crashed backfill call is repeated by its client.
        await backfillSchedule(engine.deps, 'c', { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:03:00Z', overlap: 'allowAll' }).catch(() => undefined);
      },
      async (engine) => {
        const backfilled = (await getSchedule(engine.deps, 'c', { limit: 100 })).fires.filter((f) => f.source === 'backfill');
        expect(backfilled.map((f) => f.outcome)).toEqual(['started', 'started', 'started']);
        expect(new Set(backfilled.map((f) => f.processId)).size).toBe(3);
      },
    );
  });
});
