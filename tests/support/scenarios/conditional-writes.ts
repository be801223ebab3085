import { beforeAll, describe, expect, it } from 'vitest';
import { endProcess } from '#app/end-process.ts';
import { startProcess } from '#app/start-process.ts';
import { putYaml, type Engine } from '../engines.ts';

/** I1, the part that holds on any table: process changes are optimistically locked. */
export function optimisticLockScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;

  beforeAll(async () => {
    engine = await makeEngine();
  });

  describe('optimistic locking of process changes (I1)', () => {
    it('never overwrites a process changed concurrently: a stale version loses, and racing ends leave exactly one change', async () => {
      const { deps, clock } = engine;
      await putYaml(deps, 'race', 'tasks:\n  - name: A\n');
      const { process } = await startProcess(deps, { definition: 'race' });
      const stale = (await deps.processes.get({ id: process.id }))!;
      const at = { now: clock.now(), iso: new Date(clock.now()).toISOString(), expiresAt: 0 };
      const winners = await Promise.all([
        endProcess(engine.invocation(), process.id, 'complete'),
        endProcess(engine.invocation(), process.id, 'cancel'),
        endProcess(engine.invocation(), process.id, 'fail'),
      ]);
      const final = (await deps.processes.get({ id: process.id }))!;
      expect(final.ver).toBe(stale.ver + 1);
      // Every caller sees the one status that won.
      expect(new Set(winners.map((w) => w.status))).toEqual(new Set([final.status]));
      // Writing with the version read before the race loses, and nothing changes.
      expect(await deps.processes.end({ current: stale, event: 'cancel', at, owesCleanup: false })).toMatchObject({ ok: false, current: final });
      expect(await deps.processes.get({ id: process.id })).toEqual(final);
    });
  });
}
