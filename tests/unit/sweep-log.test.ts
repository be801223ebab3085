import { describe, expect, it } from 'vitest';
import type { Item, ItemWrite } from '#adapters/item-table.ts';
import type { MemoryItemTable } from '#adapters/memory/memory-item-table.ts';
import { sweepCursorKey } from '#adapters/stores/item-sweep-index.ts';
import { createMemoryDeps } from '#app/create-deps.ts';
import { sweep } from '#app/sweep.ts';
import { createTestEngine } from '../../testing/index.ts';

/**
 * The sweep index walked as a log, with a cursor per shard (`shared/app/sweep-log.ts`): an entry written while a sweep
 * is under way is not skipped, a done entry is read once, and an entry whose duty fails does not hold up the others.
 * The entries here are CANCELLED tasks still on the index (their duty: leave it), in one shard, so that their order
 * is the shard's; the cursor's item is read back to see where the sweeper stopped.
 */

const PROCESS = 'p-1';
const keyOf = (task: string) => ({ pk: `PROC#${PROCESS}`, sk: `TASK#${task}` });

function setUp(start: number) {
  let time = start;
  const base = createMemoryDeps({ now: () => time, sweepShards: 1 });
  const deps = { ...base, log: { warn: () => undefined, error: () => undefined } };
  const table = base.table;
  const put = (task: string, sweepAt: number) =>
    table.write({ type: 'put', key: keyOf(task), item: { ...keyOf(task), name: task, status: 'CANCELLED', sweepShard: 'S#0', sweepAt, sweepReason: 'enqueue' }, guards: [] });
  const sweepAtOf = async (task: string) => (await table.get(keyOf(task)))?.sweepAt;
  const cursor = async () => (await table.get(sweepCursorKey('S#0')))?.cursorSk;
  return { deps, table, put, sweepAtOf, cursor, setTime: (t: number) => (time = t) };
}

/** Makes `fail(write)` decide, per write, whether the table refuses it (a throttled or dead DynamoDB call). */
function failingWrites(table: MemoryItemTable, fail: (write: ItemWrite) => boolean): void {
  const original = table.write.bind(table);
  table.write = async (write: ItemWrite) => {
    if (fail(write)) throw new Error('injected: the write failed');
    return original(write);
  };
}

describe('the sweep log and its cursors', () => {
  it('never skips an entry written at now while a sweep is under way, even beside one it just handled', async () => {
    const { deps, table, put, sweepAtOf, cursor, setTime } = setUp(1_000);
    await put('m', 1_000);
    // While the sweeper handles `m` (due at now), another writer puts `a`, due now too, whose key sorts before `m`:
    // a cursor moved past `m` would leave `a` behind it for good.
    const original = table.write.bind(table);
    let injected = false;
    table.write = async (write: ItemWrite) => {
      if (!injected) {
        injected = true;
        await put('a', 1_000);
      }
      return original(write);
    };
    await sweep(deps);
    expect(await sweepAtOf('m'), 'm is done: it left the index').toBeUndefined();
    expect(await sweepAtOf('a'), 'a was written during the sweep').toBe(1_000);
    expect(await cursor(), 'the cursor does not pass an entry due at the present moment').toBeUndefined();

    setTime(1_001);
    await sweep(deps);
    expect(await sweepAtOf('a'), 'the next sweep finds a').toBeUndefined();
    expect(await cursor()).toBe('TASK#a');
  });

  it('an entry whose duty fails is moved later, and the entries after it are handled and passed', async () => {
    const { deps, table, put, sweepAtOf, cursor, setTime } = setUp(1_000);
    await put('f', 100);
    await put('g', 200);
    let failures = 0;
    // The first write to `f` (its duty: leave the index) fails; the sweeper's revisit then moves it to now.
    failingWrites(table, (w) => w.key.sk === 'TASK#f' && failures++ === 0);
    const stats = await sweep(deps);
    expect(stats.errors).toBe(1);
    expect(await sweepAtOf('g'), 'g was handled past the failing f').toBeUndefined();
    expect(await sweepAtOf('f'), 'f moved ahead of the cursor, to now').toBe(1_000);
    expect(await cursor(), 'the cursor passed both old positions').toBe('TASK#g');

    setTime(1_001);
    await sweep(deps);
    expect(await sweepAtOf('f'), 'f is retried once it is due again').toBeUndefined();
  });

  it('an entry that cannot even be moved stops its shard before it, and nothing after it is lost', async () => {
    const { deps, table, put, sweepAtOf, cursor, setTime } = setUp(1_000);
    await put('f', 100);
    await put('g', 200);
    let broken = true;
    failingWrites(table, (w) => broken && w.key.sk === 'TASK#f');
    const stats = await sweep(deps);
    expect(stats.errors).toBe(1);
    expect(await sweepAtOf('g'), 'g was still handled').toBeUndefined();
    expect(await sweepAtOf('f'), 'f stays where it was').toBe(100);
    expect(await cursor(), 'the cursor stays before f').toBeUndefined();

    broken = false;
    setTime(1_001);
    await sweep(deps);
    expect(await sweepAtOf('f')).toBeUndefined();
    expect(await cursor(), 'the cursor passed f (g had left the index)').toBe('TASK#f');
  });

  it('reads a done entry once: a completed chain owes nothing, and later sweeps read none of its tasks again', async () => {
    const engine = createTestEngine();
    const table = engine.table as MemoryItemTable;
    await engine.client.putDefinition('chain', JSON.stringify({ tasks: [{ name: 'A' }, { name: 'B', needs: ['A'] }, { name: 'C', needs: ['B'] }] }));
    engine.worker({ handler: async () => ({ ok: true }) });
    const { process } = await engine.client.startProcess({ definition: 'chain' });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(process.id)).status).toBe('COMPLETED');
    const taskKeys = new Set(['A', 'B', 'C'].map((t) => `PROC#${process.id}|TASK#${t}`));
    const entries = table.snapshot().filter((i) => taskKeys.has(`${String(i.pk)}|${String(i.sk)}`));
    expect(entries.map((i) => typeof i.sweepAt), 'each completion keeps its entry on the log').toEqual(['number', 'number', 'number']);

    const reads = new Map<string, number>();
    const get = table.get.bind(table);
    table.get = async (key) => {
      const k = `${key.pk}|${key.sk}`;
      if (taskKeys.has(k)) reads.set(k, (reads.get(k) ?? 0) + 1);
      return get(key);
    };
    const written: string[] = [];
    const write = table.write.bind(table);
    table.write = async (w: ItemWrite) => {
      written.push(w.key.pk);
      return write(w);
    };
    const before = processItems(table, process.id);
    await engine.advance(3_600_000);
    expect([...reads.values()], 'the sweeper read each task once').toEqual([1, 1, 1]);
    expect(processItems(table, process.id), 'and wrote nothing to the process').toEqual(before);
    expect(new Set(written), 'its only writes were its cursors').toEqual(new Set(['SWEEP#CURSOR']));

    await engine.advance(3_600_000);
    await engine.advance(86_400_000);
    expect([...reads.values()], 'later sweeps never read them again').toEqual([1, 1, 1]);
  });
});

function processItems(table: MemoryItemTable, processId: string): Item[] {
  return table.snapshot().filter((i) => String(i.pk).startsWith(`PROC#${processId}`));
}
