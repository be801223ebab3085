import { expect } from 'vitest';
import type { DueEntry } from '#app/ports.ts';
import { visitEntry } from '#app/sweep.ts';
import { processIdOf, TASK_SK_PREFIX, taskNameOfKey } from '#adapters/stores/keys.ts';
import type { Deps, Engine } from './engines.ts';

/**
 * Asserts that a process's items owe the sweeper nothing: the sweeper's visit
 * of every entry of theirs that is due (as it would make it when its shard's
 * cursor reaches the entry) settles it and changes none of the process's
 * items, so it writes nothing there. What "left the sweep index" meant before
 * the index became a log: a done entry stays on it, and its visit is a read.
 */
export async function expectOwesNothing(engine: Engine, deps: Deps, processId: string, label = processId): Promise<void> {
  const before = await engine.itemsOf(processId);
  const now = engine.clock.now();
  for (const i of before) {
    if (typeof i.sweepAt !== 'number' || typeof i.sweepShard !== 'string' || i.sweepAt > now) continue;
    const pk = String(i.pk);
    const sk = String(i.sk);
    const item: DueEntry['item'] = sk.startsWith(TASK_SK_PREFIX)
      ? { kind: 'task', processId: processIdOf(pk), task: taskNameOfKey(pk, sk), sweepAt: i.sweepAt }
      : { kind: 'process', processId: processIdOf(pk), sweepAt: i.sweepAt };
    const visit = await visitEntry(deps, { item, shard: i.sweepShard, position: { sweepAt: i.sweepAt, pk, sk } }, now);
    expect(visit, `${label}: the sweeper's visit of ${sk}`).toEqual({ failed: false, passed: true });
  }
  expect(await engine.itemsOf(processId), `${label}: the sweeper's visits wrote nothing`).toEqual(before);
}
