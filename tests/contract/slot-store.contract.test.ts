import { describe, expect, it } from 'vitest';
import { poolKey } from '#adapters/stores/item-slot-store.ts';
import { poolPk, slotKey, slottedToken } from '#adapters/stores/slot-keys.ts';
import { claimArgs, EXPIRES_AT, endTask, schedule } from './fixtures.ts';
import { scenariosOnBothAdapters } from './adapters.ts';

/**
 * The slot pool of `maxParallel` (issue 18, part 2) on both adapters: a take
 * never passes the capacity and rides on the task's own write, an ending gives
 * the slot back once, and the wait list is read in order and deleted from.
 * Each scenario's answers must be the same on DynamoDB Local and in memory.
 */
const answers = scenariosOnBothAdapters('slots', (name) => `slot store on the ${name} adapter`, (scenario, name) => {
  scenario('takes at most the capacity, refuses a task already scheduled, and gives a slot back with an ending', async ({ stores, table }) => {
    const p = `pool-${name}`;
    const take = (task: string) => stores.slots.scheduleHolding({ kind: 'new', schedule: schedule(p, task), capacity: 2, expiresAt: EXPIRES_AT });
    const outcomes = [await take('A'), await take('B'), await take('C'), await take('A')];
    const full = await stores.slots.used({ processId: p, run: 1 });
    const c = await stores.tasks.get({ processId: p, task: 'C' });
    await stores.tasks.claim(claimArgs({ processId: p, task: 'A' }, 'lease-a'));
    const ended = await stores.tasks.complete({ end: { ...endTask({ processId: p, task: 'A' }, 'lease-a'), pooled: true }, output: 1, settles: [] });
    const repeat = await stores.tasks.complete({ end: { ...endTask({ processId: p, task: 'A' }, 'lease-a'), pooled: true }, output: 1, settles: [] });
    const after = await stores.slots.used({ processId: p, run: 1 });
    const third = await take('C');
    const pool = await table.get(poolKey(p, 1));
    expect(outcomes).toEqual(['scheduled', 'scheduled', 'full', 'refused']);
    expect([full, c, ended.ok, repeat.ok, after, third, pool?.used]).toEqual([2, undefined, true, false, 1, 'scheduled', 2]);
    return { outcomes, full, after, third };
  });

  scenario('keeps waiters in wait order, once each, and deletes them (a repeat deletes nothing)', async ({ stores }) => {
    const p = `wait-${name}`;
    const wait = (order: string, task: string) => stores.slots.wait({ processId: p, run: 1, order, task, kind: 'new', expiresAt: EXPIRES_AT });
    await wait('000007', 'G');
    await wait('000002', 'B');
    await wait('000004#000003', 'resize[3]');
    await wait('000002', 'B');
    const first = await stores.slots.waiters({ processId: p, run: 1, limit: 10 });
    await stores.slots.leave({ processId: p, run: 1, order: '000002' });
    await stores.slots.leave({ processId: p, run: 1, order: '000002' });
    const second = await stores.slots.waiters({ processId: p, run: 1, limit: 1 });
    const otherRun = await stores.slots.waiters({ processId: p, run: 2, limit: 10 });
    expect(first.map((w) => w.task)).toEqual(['B', 'resize[3]', 'G']);
    expect(second).toEqual([{ order: '000004#000003', task: 'resize[3]', kind: 'new' }]);
    expect(otherRun).toEqual([]);
    return { first, second };
  });

  scenario("keeps a task concurrency key's waiters in scheduling order, once each; one caller takes each off", async ({ stores }) => {
    const p = `limit-${name}`;
    const wait = (processId: string, key: string, second: number) =>
      stores.taskLimits.wait({ processId, task: 'call', definition: 'partner', key, scheduledAt: `2026-01-01T00:00:0${second}.000Z`, expiresAt: EXPIRES_AT });
    await wait(`${p}-b`, 'acme', 2);
    await wait(`${p}-a`, 'acme', 1);
    await wait(`${p}-b`, 'acme', 2);
    await wait(`${p}-c`, 'globex', 0);
    // The token of a holder of acme's slot 0 names the list its ending hands on from.
    const token = slottedToken('lease', slotKey(poolPk('partner', 'call'), 'concurrency', 'acme', 0));
    const first = await stores.taskLimits.waitersOf({ leaseToken: token, limit: 10 });
    const taken = [await stores.taskLimits.leave({ waiter: first[0]! }), await stores.taskLimits.leave({ waiter: first[0]! })];
    const second = await stores.taskLimits.waitersOf({ leaseToken: token, limit: 10 });
    const unslotted = await stores.taskLimits.waitersOf({ leaseToken: 'lease', limit: 10 });
    const view = (ws: typeof first) => ws.map((w) => [w.processId, w.scheduledAt]);
    expect(view(first)).toEqual([[`${p}-a`, '2026-01-01T00:00:01.000Z'], [`${p}-b`, '2026-01-01T00:00:02.000Z']]);
    expect(taken).toEqual([true, false]);
    expect(view(second)).toEqual([[`${p}-b`, '2026-01-01T00:00:02.000Z']]);
    expect(unslotted).toEqual([]);
    return { first: view(first).map(([id]) => id?.replace(name, '')), taken };
  });
});

describe('the two adapters', () => {
  it('answered every slot store scenario alike', () => {
    expect(answers.size).toBeGreaterThan(0);
    for (const [title, byAdapter] of answers) expect(byAdapter.get('memory'), title).toEqual(byAdapter.get('dynamodb'));
  });
});
