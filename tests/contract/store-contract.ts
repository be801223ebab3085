import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ItemTooLargeError, MAX_ITEM_BYTES, type ItemTable, type ItemWrite, type Key } from '#adapters/item-table.ts';
import { storesOn } from '#adapters/stores/stores-on.ts';
import { keys, sweepShardOf } from '#adapters/stores/keys.ts';
import { DEFAULT_SWEEP_SHARDS, PROCESS_INDEX_SHARDS, SWEEP_INDEX } from '#config/table.ts';
import { ValidationError } from '#domain/errors.ts';
import { KEPT_ATTEMPT_RECORDS, taskGuards, type Guard } from '#domain/lifecycle.ts';
import type { Adapter, AdapterFactory } from './adapters.ts';
import type { RunRecord } from '#schemas/items.ts';
import { claimArgs, definitionVersion, endTask, EXPIRES_AT, iso, newProcess, schedule, scheduledItem, T0, TIMEOUT_SECONDS } from './fixtures.ts';
import { refusal, type Observations } from './observations.ts';

type Scenario = (title: string, run: (adapter: Adapter) => Promise<unknown>) => void;

const ABSENT: Guard = { kind: 'absent' };

/**
 * The store contract: what every adapter of the store ports (and of the
 * item table under them) must do, written once. Each scenario asserts the
 * behaviour and returns what it observed, so that the file running the
 * contract on both adapters can also check that they answered alike.
 *
 * Each group gets a fresh table from `factory`, so listings and the sweep
 * index see only the group's own items.
 */
export function defineStoreContract(name: 'dynamodb' | 'memory', factory: AdapterFactory, seen: Observations): void {
  const group = (title: string, body: (scenario: Scenario) => void): void => {
    describe(title, () => {
      let adapter: Adapter | undefined;
      beforeAll(async () => {
        adapter = await factory();
      });
      afterAll(() => adapter?.close());
      body((scenario, run) => {
        const key = `${title} › ${scenario}`;
        seen.declare(key);
        it(scenario, async () => {
          if (!adapter) throw new Error('no adapter');
          seen.record(name, key, await run(adapter));
        });
      });
    });
  };

  describe(`store contract on the ${name} adapter`, () => {
    group('TaskStore', (scenario) => {
      scenario('schedules a new task exactly once: a second schedule answers false and changes nothing', async ({ stores: { tasks } }) => {
        const first = await tasks.scheduleNew({ schedule: schedule('sched', 'A') });
        const second = await tasks.scheduleNew({ schedule: schedule('sched', 'A', { attempt: 2, sweepAt: T0 + 1 }) });
        const item = await tasks.get({ processId: 'sched', task: 'A' });
        expect([first, second]).toEqual([true, false]);
        expect(item).toEqual(scheduledItem('A'));
        return { first, second, item };
      });

      scenario('schedules a join only once every parent has settled, and only once', async ({ stores: { tasks } }) => {
        const p = 'join';
        await tasks.scheduleNew({ schedule: schedule(p, 'A') });
        await tasks.scheduleNew({ schedule: schedule(p, 'B') });
        await tasks.claim(claimArgs({ processId: p, task: 'A' }, 'lease-a'));
        await tasks.claim(claimArgs({ processId: p, task: 'B' }, 'lease-b'));
        const settles = [{ task: 'J', expected: 2 }];
        await tasks.complete({ end: endTask({ processId: p, task: 'A' }, 'lease-a'), output: 'a', settles });
        const early = await tasks.scheduleJoin({ schedule: schedule(p, 'J'), expected: 2 });
        const counted = await tasks.getCounters({ processId: p, tasks: ['J', 'missing'] });
        await tasks.complete({ end: endTask({ processId: p, task: 'B' }, 'lease-b'), output: 'b', settles });
        const won = await tasks.scheduleJoin({ schedule: schedule(p, 'J'), expected: 2 });
        const again = await tasks.scheduleJoin({ schedule: schedule(p, 'J'), expected: 2 });
        const join = await tasks.get({ processId: p, task: 'J' });
        expect([early, won, again]).toEqual([false, true, false]);
        expect([...counted]).toEqual([['J', { status: 'PENDING', settled: 1 }]]);
        expect(join).toEqual(scheduledItem('J', { settled: 2, expected: 2 }));
        return { early, won, again, counted: [...counted], join };
      });

      scenario("counts a parent in a small join once, answering the counter its own write left; refuses a repeat and a reset join's earlier run", async ({ stores: { tasks } }) => {
        const p = 'settle-once';
        const count = (position: number, run = 1, join = 'J') => tasks.settleOnce({ processId: p, join, expected: 3, position, run });
        const answers = {
          first: await count(0),
          repeat: await count(0),
          second: await count(2),
          third: await count(1),
          scheduled: await tasks.scheduleJoin({ schedule: schedule(p, 'J'), expected: 3 }),
          reset: await tasks.reopen({ processId: p, task: 'K', run: 2, records: [], counter: { settled: 1, expected: 3 } }),
          earlierRun: await count(0, 1, 'K'),
          itsRun: await count(1, 2, 'K'),
        };
        expect(answers).toEqual({
          first: { status: 'PENDING', settled: 1 },
          repeat: false,
          second: { status: 'PENDING', settled: 2 },
          third: { status: 'PENDING', settled: 3 },
          scheduled: true,
          reset: true,
          earlierRun: false,
          itsRun: { status: 'PENDING', settled: 2, run: 2 },
        });
        // A count into a join already started (an anyCompleted rule) still counts, and answers its status.
        const late = await tasks.settleOnce({ processId: p, join: 'S', expected: 2, position: 0, run: 1 });
        await tasks.scheduleAnyJoin({ schedule: schedule(p, 'S') });
        const afterStart = await tasks.settleOnce({ processId: p, join: 'S', expected: 2, position: 1, run: 1 });
        expect([late, afterStart]).toEqual([{ status: 'PENDING', settled: 1 }, { status: 'SCHEDULED', settled: 2, run: 1 }]);
        return { ...answers, late, afterStart };
      });

      scenario('claims a SCHEDULED task: RUNNING, with a lease that runs for the timeout from now', async ({ stores: { tasks } }) => {
        await tasks.scheduleNew({ schedule: schedule('claim', 'A') });
        const claimed = await tasks.claim(claimArgs({ processId: 'claim', task: 'A' }, 'lease-1', T0 + 5));
        expect(claimed).toEqual({ ok: true, item: running('A', 'lease-1', T0 + 5) });
        return claimed;
      });

      scenario('answers a lost claim with the current item, parsed', async ({ stores: { tasks } }) => {
        const ref = { processId: 'lost-claim', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        await tasks.claim(claimArgs(ref, 'lease-1'));
        const lost = await tasks.claim(claimArgs(ref, 'lease-2', T0 + 9));
        const missing = await tasks.claim(claimArgs({ processId: 'lost-claim', task: 'nobody' }, 'lease-3'));
        expect(lost).toEqual({ ok: false, current: running('A', 'lease-1') });
        expect(missing).toEqual({ ok: false, current: undefined });
        return { lost, missing };
      });

      scenario('answers a claim of an ended or cancelled task with the item, whatever it lacks', async ({ stores: { tasks } }) => {
        const p = 'claim-ended';
        await tasks.cancel({ processId: p, task: 'T', run: 1, iso: iso(T0), expiresAt: EXPIRES_AT });
        await tasks.scheduleNew({ schedule: schedule(p, 'C') });
        await tasks.complete({ end: endTask({ processId: p, task: 'C' }, undefined), output: null, settles: [] });
        // The tombstone has no timeoutMs for the lease sum: the condition is evaluated first, on both.
        const tombstone = await tasks.claim(claimArgs({ processId: p, task: 'T' }, 'lease-1'));
        const completed = await tasks.claim(claimArgs({ processId: p, task: 'C' }, 'lease-2'));
        expect(tombstone).toEqual({ ok: false, current: { name: 'T', status: 'CANCELLED', endedAt: iso(T0) } });
        expect(completed.ok).toBe(false);
        expect(completed.ok ? undefined : completed.current?.status).toBe('COMPLETED');
        return { tombstone, completed };
      });

      scenario('extends a lease for its holder only; a stale token gets the current item', async ({ stores: { tasks } }) => {
        const ref = { processId: 'heartbeat', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        await tasks.claim(claimArgs(ref, 'lease-1'));
        const extended = await tasks.heartbeat({ ...ref, leaseToken: 'lease-1', now: T0 + 60_000 });
        const stale = await tasks.heartbeat({ ...ref, leaseToken: 'lease-0', now: T0 + 90_000 });
        const unknown = await tasks.heartbeat({ processId: 'heartbeat', task: 'nobody', leaseToken: 'lease-1', now: T0 });
        expect(extended).toEqual({ ok: true, item: { ...running('A', 'lease-1'), leaseExpiresAt: T0 + 60_000 + TIMEOUT_SECONDS * 1000 } });
        expect(stale).toEqual({ ok: false, current: extended.ok ? extended.item : undefined });
        expect(unknown).toEqual({ ok: false, current: undefined });
        return { extended, stale, unknown };
      });

      scenario('completes a RUNNING task for the lease holder only', async ({ stores: { tasks } }) => {
        const ref = { processId: 'complete', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        await tasks.claim(claimArgs(ref, 'lease-1'));
        const stale = await tasks.complete({ end: endTask(ref, 'lease-0'), output: { n: 1 }, settles: [] });
        const done = await tasks.complete({ end: endTask(ref, 'lease-1'), output: { n: 2 }, settles: [] });
        const twice = await tasks.complete({ end: endTask(ref, 'lease-1'), output: { n: 3 }, settles: [] });
        const item = await tasks.get(ref);
        const { leaseExpiresAt: _, ...held } = running('A', 'lease-1');
        const completed = { ...held, status: 'COMPLETED', output: { n: 2 }, endedAt: iso(T0 + 1_000), sweepReason: 'followUp' };
        expect(stale).toEqual({ ok: false, current: running('A', 'lease-1') });
        expect(done).toEqual({ ok: true, item: undefined });
        expect(item).toEqual(completed);
        expect(twice).toEqual({ ok: false, current: completed });
        return { stale, done, twice, item };
      });

      scenario('ends a task marked held only when the ending says so; unhold takes the mark off, whatever the status', async ({ stores: { tasks } }) => {
        const ref = { processId: 'held', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        await tasks.claim(claimArgs(ref, 'lease-1'));
        const marked = await tasks.hold(ref);
        const notHeld = await tasks.complete({ end: endTask(ref, 'lease-1'), output: 1, settles: [] });
        const asHeld = await tasks.complete({ end: { ...endTask(ref, 'lease-1'), held: true }, output: 1, settles: [] });
        const ended = await tasks.get(ref);
        const markEnded = await tasks.hold(ref);
        await tasks.unhold(ref);
        const after = await tasks.get(ref);
        expect(marked).toBe(true);
        expect(notHeld).toMatchObject({ ok: false, current: { status: 'RUNNING', held: true } });
        expect(asHeld).toEqual({ ok: true, item: undefined });
        expect(ended).toMatchObject({ status: 'COMPLETED', held: true, sweepReason: 'followUp' });
        expect(markEnded).toBe(false);
        expect(after).toMatchObject({ status: 'COMPLETED' });
        expect(after).not.toHaveProperty('held');
        return { marked, notHeld, asHeld, ended, markEnded, after };
      });

      scenario('fails a RUNNING task for the lease holder only', async ({ stores: { tasks } }) => {
        const ref = { processId: 'fail', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        await tasks.claim(claimArgs(ref, 'lease-1'));
        const error = { message: 'no', code: 'E1', details: { deep: [1, { two: null }] } };
        const stale = await tasks.fail({ end: endTask(ref, 'lease-0'), error });
        const failed = await tasks.fail({ end: endTask(ref, 'lease-1'), error });
        const item = await tasks.get(ref);
        expect(stale).toEqual({ ok: false, current: running('A', 'lease-1') });
        expect(failed).toEqual({ ok: true, item: undefined });
        expect(item).toMatchObject({ status: 'FAILED', error, endedAt: iso(T0 + 1_000), sweepReason: 'followUp' });
        expect(item?.leaseExpiresAt).toBeUndefined();
        return { stale, failed, item };
      });

      scenario('completes or fails an unclaimed SCHEDULED task by hand, but never a RUNNING or missing one', async ({ stores: { tasks } }) => {
        const p = 'manual';
        for (const t of ['S1', 'S2', 'R']) await tasks.scheduleNew({ schedule: schedule(p, t) });
        await tasks.claim(claimArgs({ processId: p, task: 'R' }, 'lease-r'));
        const completed = await tasks.complete({ end: endTask({ processId: p, task: 'S1' }, undefined), output: 'by hand', settles: [] });
        const failed = await tasks.fail({ end: endTask({ processId: p, task: 'S2' }, undefined), error: { message: 'by hand' } });
        const running1 = await tasks.complete({ end: endTask({ processId: p, task: 'R' }, undefined), output: 'x', settles: [] });
        const running2 = await tasks.fail({ end: endTask({ processId: p, task: 'R' }, undefined), error: { message: 'x' } });
        const missing = await tasks.complete({ end: endTask({ processId: p, task: 'nobody' }, undefined), output: 'x', settles: [] });
        const items = await tasks.listAll({ processId: p });
        expect([completed, failed]).toEqual([
          { ok: true, item: undefined },
          { ok: true, item: undefined },
        ]);
        expect(running1).toEqual({ ok: false, current: running('R', 'lease-r') });
        expect(running2).toEqual(running1);
        expect(missing).toEqual({ ok: false, current: undefined });
        expect(items.map((i) => [i.name, i.status])).toEqual([
          ['R', 'RUNNING'],
          ['S1', 'COMPLETED'],
          ['S2', 'FAILED'],
        ]);
        return { completed, failed, running1, running2, missing, items };
      });

      scenario('cancels an unfinished task, leaves a tombstone for one without an item, and never cancels an ended one', async ({ stores: { tasks } }) => {
        const p = 'cancel';
        const at = { iso: iso(T0 + 7), expiresAt: EXPIRES_AT, run: 1 };
        await tasks.scheduleNew({ schedule: schedule(p, 'S') });
        await tasks.scheduleNew({ schedule: schedule(p, 'R') });
        await tasks.scheduleNew({ schedule: schedule(p, 'C') });
        await tasks.claim(claimArgs({ processId: p, task: 'R' }, 'lease-r'));
        await tasks.complete({ end: endTask({ processId: p, task: 'C' }, undefined), output: 1, settles: [] });
        const answers = {
          missing: await tasks.cancel({ processId: p, task: 'M', ...at }),
          scheduled: await tasks.cancel({ processId: p, task: 'S', ...at }),
          running: await tasks.cancel({ processId: p, task: 'R', ...at }),
          completed: await tasks.cancel({ processId: p, task: 'C', ...at }),
          tombstoneAgain: await tasks.cancel({ processId: p, task: 'M', ...at }),
        };
        const items = await tasks.listAll({ processId: p });
        expect(answers).toEqual({ missing: true, scheduled: true, running: true, completed: false, tombstoneAgain: false });
        expect(items.find((i) => i.name === 'M')).toEqual({ name: 'M', status: 'CANCELLED', endedAt: at.iso });
        const { sweepAt: _a, sweepReason: _r, ...unswept } = scheduledItem('S');
        expect(items.find((i) => i.name === 'S')).toEqual({ ...unswept, status: 'CANCELLED', endedAt: at.iso });
        const cancelledRunning = items.find((i) => i.name === 'R');
        expect(cancelledRunning).toMatchObject({ status: 'CANCELLED', leaseToken: 'lease-r' });
        expect([cancelledRunning?.leaseExpiresAt, cancelledRunning?.sweepAt]).toEqual([undefined, undefined]);
        expect(items.find((i) => i.name === 'C')?.status).toBe('COMPLETED');
        return { answers, items };
      });

      scenario('expires a lease only once it has run out, and only the lease it read', async ({ stores: { tasks } }) => {
        const ref = { processId: 'expire', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        const claimed = await tasks.claim(claimArgs(ref, 'lease-1'));
        if (!claimed.ok) throw new Error('claim lost');
        const expiry = T0 + TIMEOUT_SECONDS * 1000;
        const record = { k: 'l' as const, a: 1, e: new Date(expiry).toISOString() };
        const expire = (now: number, leaseToken = 'lease-1') =>
          tasks.retry({
            ref,
            event: 'expireLease',
            leaseToken,
            attempt: 1,
            now,
            iso: new Date(now).toISOString(),
            nextAttemptAt: now,
            error: { code: 'LeaseExpired', message: 'the lease expired' },
            record,
            sweepAt: expiry + 10,
            sweepReason: 'enqueue',
          });
        const early = (await expire(expiry - 1)).ok;
        const unchanged = await tasks.get(ref);
        const result = await expire(expiry);
        const expired = result.ok ? result.item : undefined;
        const again = (await expire(expiry + 1)).ok;
        const noLease = (await expire(expiry, 'lease-0')).ok;
        expect(early).toBe(false);
        expect(unchanged).toEqual(claimed.item);
        expect(expired).toMatchObject({ status: 'SCHEDULED', attempt: 2, sweepAt: expiry + 10, nextAttemptAt: expiry, lastError: { code: 'LeaseExpired' }, attempts: [record] });
        expect(expired?.leaseToken).toBeUndefined();
        expect([again, noLease]).toEqual([false, false]);
        return { early, unchanged, expired, again, noLease, after: await tasks.get(ref) };
      });

      scenario('defers a resend only when the sweep entry and attempt are the ones read', async ({ stores: { tasks } }) => {
        const ref = { processId: 'resend', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        const read = (await tasks.get(ref))!;
        const deferred = await tasks.deferResend({ processId: ref.processId, item: read, nextSweepAt: T0 + 120_000 });
        const stale = await tasks.deferResend({ processId: ref.processId, item: read, nextSweepAt: T0 + 180_000 });
        const otherAttempt = await tasks.deferResend({ processId: ref.processId, item: { ...read, sweepAt: T0 + 120_000, attempt: 2 }, nextSweepAt: T0 + 1 });
        const item = await tasks.get(ref);
        expect([deferred, stale, otherAttempt]).toEqual([true, false, false]);
        expect(item).toEqual(scheduledItem('A', { sweepAt: T0 + 120_000, sends: 1 }));
        return { deferred, stale, otherAttempt, item };
      });

      scenario('moves a running task’s sweep check to its lease expiry only when the entry and lease are the ones read', async ({ stores: { tasks } }) => {
        const ref = { processId: 'watch', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        const claimed = await tasks.claim(claimArgs(ref, 'lease-1'));
        if (!claimed.ok) throw new Error('claim lost');
        const at = claimed.item.leaseExpiresAt!;
        const watched = await tasks.watchLease({ processId: ref.processId, item: claimed.item, at });
        const stale = await tasks.watchLease({ processId: ref.processId, item: claimed.item, at: at + 1 });
        const otherLease = await tasks.watchLease({ processId: ref.processId, item: { ...claimed.item, sweepAt: at, leaseToken: 'lease-0' }, at: at + 2 });
        const item = await tasks.get(ref);
        expect([watched, stale, otherLease]).toEqual([true, false, false]);
        expect(item).toEqual({ ...claimed.item, sweepAt: at });
        return { watched, stale, otherLease, item };
      });

      scenario('records how far a follow-up got only on a COMPLETED task that still owes it', async ({ stores: { tasks } }) => {
        const p = 'follow';
        await tasks.scheduleNew({ schedule: schedule(p, 'S') });
        await tasks.scheduleNew({ schedule: schedule(p, 'C') });
        await tasks.complete({ end: endTask({ processId: p, task: 'C' }, undefined), output: 1, settles: [] });
        await tasks.deferFollowUp({ processId: p, task: 'S', resumeFrom: 3, at: T0 + 5 });
        await tasks.deferFollowUp({ processId: p, task: 'C', resumeFrom: 3, at: T0 + 5 });
        await tasks.deferFollowUp({ processId: p, task: 'missing', resumeFrom: 3, at: T0 + 5 });
        const deferred = await tasks.listAll({ processId: p });
        await tasks.clearSweep({ processId: p, task: 'C' });
        await tasks.deferFollowUp({ processId: p, task: 'C', resumeFrom: 4, at: T0 + 6 });
        const cleared = await tasks.get({ processId: p, task: 'C' });
        expect(deferred.map((i) => [i.name, i.resumeFrom, i.sweepAt])).toEqual([
          ['C', 3, T0 + 5],
          ['S', undefined, T0 + 60_000],
        ]);
        expect([cleared?.resumeFrom, cleared?.sweepAt]).toEqual([3, undefined]);
        return { deferred, cleared };
      });

      scenario('takes only ended tasks off the sweep index, SKIPPED included', async ({ table, stores: { tasks } }) => {
        const p = 'clear';
        for (const t of ['R', 'C', 'F', 'S']) await tasks.scheduleNew({ schedule: schedule(p, t) });
        await tasks.claim(claimArgs({ processId: p, task: 'R' }, 'lease-r'));
        await tasks.complete({ end: endTask({ processId: p, task: 'C' }, undefined), output: 1, settles: [] });
        await tasks.fail({ end: endTask({ processId: p, task: 'F' }, undefined), error: { message: 'x' } });
        const skipped = keys.task({ processId: p, task: 'K' });
        await table.write({
          type: 'put',
          key: skipped,
          item: { name: 'K', status: 'SKIPPED', sweepShard: sweepShardOf(skipped, DEFAULT_SWEEP_SHARDS), sweepAt: T0 + 1, sweepReason: 'followUp' },
          guards: [ABSENT],
        });
        for (const t of ['R', 'C', 'F', 'S', 'K', 'missing']) await tasks.clearSweep({ processId: p, task: t });
        const items = await tasks.listAll({ processId: p });
        const swept = Object.fromEntries(items.map((i) => [i.name, i.sweepAt !== undefined]));
        expect(swept).toEqual({ R: true, C: false, F: false, S: true, K: false });
        const raw = await table.get(skipped);
        expect(raw).toEqual({ ...skipped, name: 'K', status: 'SKIPPED' });
        return { items, raw };
      });

      scenario('lists a process’s task items in sort-key order, and reads outputs and counters by name', async ({ stores: { tasks } }) => {
        const p = 'list';
        for (const t of ['b', 'a', 'C', 'a-b']) await tasks.scheduleNew({ schedule: schedule(p, t) });
        await tasks.complete({ end: endTask({ processId: p, task: 'a' }, undefined), output: { from: 'a' }, settles: [] });
        const all = await tasks.listAll({ processId: p });
        const upstream = await tasks.getUpstream({ processId: p, tasks: ['a', 'b', 'missing'] });
        const outputs = new Map([...upstream].map(([name, r]) => [name, r.failed ? r.error : r.output]));
        const counters = await tasks.getCounters({ processId: p, tasks: ['b', 'missing', 'a'] });
        const some = await tasks.getMany({ processId: p, tasks: ['b', 'missing', 'a'] });
        expect([...some.keys()].sort()).toEqual(['a', 'b']);
        expect(some.get('a')).toEqual(all.find((i) => i.name === 'a' && i.index === undefined));
        expect(all.map((i) => [i.name, i.index])).toEqual([
          ['C', undefined],
          ['a', undefined],
          ['a-b', undefined],
          ['b', undefined],
        ]);
        expect([...outputs]).toEqual([
          ['a', { from: 'a' }],
          ['b', null],
          ['missing', null],
        ]);
        expect(new Map([...counters].sort())).toEqual(
          new Map([
            ['a', { status: 'COMPLETED', settled: 0, run: 1 }],
            ['b', { status: 'SCHEDULED', settled: 0, run: 1 }],
          ]),
        );
        return { all, outputs: [...outputs], counters: [...counters].sort() };
      });
      scenario('pages a process’s task items in name order from a cursor, filtered by status, outputs left out unless asked', async ({ stores: { tasks } }) => {
        const p = 'page';
        for (const t of ['e', 'b', 'a', 'd', 'c']) await tasks.scheduleNew({ schedule: schedule(p, t) });
        for (const t of ['a', 'c', 'd']) await tasks.complete({ end: endTask({ processId: p, task: t }, undefined), output: { from: t }, settles: [] });
        await tasks.scheduleNew({ schedule: schedule('page-other', 'a0') });
        const first = await tasks.page({ processId: p, limit: 2 });
        const second = await tasks.page({ processId: p, limit: 2, cursor: first.cursor! });
        const third = await tasks.page({ processId: p, limit: 2, cursor: second.cursor! });
        const done = await tasks.page({ processId: p, limit: 3, status: 'COMPLETED', outputs: true });
        const doneNext = await tasks.page({ processId: p, limit: 3, status: 'COMPLETED', cursor: done.cursor! });
        const names = (r: { items: { name: string }[] }) => r.items.map((i) => i.name);
        expect([names(first), names(second), names(third)]).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
        expect([first.cursor, second.cursor, third.cursor]).toEqual(['b', 'd', undefined]);
        expect(first.items.map((i) => [i.status, i.output])).toEqual([['COMPLETED', undefined], ['SCHEDULED', undefined]]);
        // The filter applies after the limit: 3 items read, 2 of them COMPLETED; the page goes on after the third.
        expect(done.items.map((i) => [i.name, i.output])).toEqual([['a', { from: 'a' }], ['c', { from: 'c' }]]);
        expect([done.cursor, names(doneNext), doneNext.cursor]).toEqual(['c', ['d'], undefined]);
        return { first, second, third, done, doneNext };
      });
    });

    group('progress counters', (scenario) => {
      scenario('count each ending once (a completion by its own counted write): a repeated ending or count counts nothing', async ({ stores: { tasks, processes } }) => {
        const p = 'progress';
        for (const t of ['A', 'B', 'C']) await tasks.scheduleNew({ schedule: schedule(p, t) });
        const done = await tasks.complete({ end: endTask({ processId: p, task: 'A' }, undefined), output: 'a', settles: [] });
        const again = await tasks.complete({ end: endTask({ processId: p, task: 'A' }, undefined), output: 'a', settles: [] });
        // The ending counts nothing itself: its follow-up counts it, and a redone follow-up is refused.
        const uncounted = await processes.progress({ id: p, run: 1 });
        const count = (position: number) => tasks.countCompletion({ processId: p, task: 'A', run: 1, position, expiresAt: EXPIRES_AT });
        const counts = [await count(0), await count(0)];
        await tasks.fail({ end: endTask({ processId: p, task: 'B' }, undefined), error: { code: 'Boom', message: 'boom' } });
        const cancelled = await tasks.cancel({ processId: p, task: 'C', run: 1, iso: iso(T0), expiresAt: EXPIRES_AT });
        const cancelledAgain = await tasks.cancel({ processId: p, task: 'C', run: 1, iso: iso(T0), expiresAt: EXPIRES_AT });
        const skipped = await tasks.skip({ processId: p, task: 'D', run: 1, because: 'B', iso: iso(T0), expiresAt: EXPIRES_AT, settles: [] });
        const progress = await processes.progress({ id: p, run: 1 });
        expect([done.ok, again.ok, cancelled, cancelledAgain, skipped]).toEqual([true, false, true, false, true]);
        expect(uncounted.completed).toBe(0);
        expect(counts).toEqual([true, false]);
        expect(progress).toEqual({ completed: 1, failed: 1, skipped: 1, cancelled: 1 });
        expect(await processes.progress({ id: p, run: 2 })).toEqual({ completed: 0, failed: 0, skipped: 0, cancelled: 0 });
        return progress;
      });

      scenario("seed a rerun's kept completions a chunk at a time, each chunk once, however the pass is redone", async ({ stores: { tasks, processes } }) => {
        const p = 'seeded';
        const seed = (completed: string[], position: number, next: number) => processes.seedProgress({ id: p, run: 2, completed, position, next, expiresAt: EXPIRES_AT });
        // A cancel of the new run racing its pass counts first; the seed only adds to it.
        await tasks.scheduleNew({ schedule: schedule(p, 'Z', { run: 2 }) });
        await tasks.cancel({ processId: p, task: 'Z', run: 2, iso: iso(T0), expiresAt: EXPIRES_AT });
        const names = Array.from({ length: 40 }, (_, i) => `t${i}`);
        const first = await seed(names.slice(0, 30), 0, 100);
        const redone = await seed(names.slice(0, 30), 0, 100);
        // A redo in smaller chunks (another chunk setting) inside the counted chunk counts nothing either.
        const inside = await seed(names.slice(0, 10), 50, 100);
        const next = await seed(names.slice(30), 100, 200);
        const progress = await processes.progress({ id: p, run: 2 });
        expect([first, redone, inside, next]).toEqual([true, false, false, true]);
        expect(progress).toEqual({ completed: 40, failed: 0, skipped: 0, cancelled: 1 });
        return { first, redone, inside, next, progress };
      });
    });

    group('TaskStore completions with settles (transactions)', (scenario) => {
      scenario('counts a completion in every join it feeds and in the process end, in one write', async ({ stores: { tasks, processes } }) => {
        const ref = { processId: 'settle', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        await tasks.claim(claimArgs(ref, 'lease-1'));
        const done = await tasks.complete({ end: endTask(ref, 'lease-1'), output: 'a', settles: [{ task: 'J', expected: 2 }, { task: 'K', expected: 1 }, { expected: 3 }] });
        const joins = await tasks.listAll({ processId: ref.processId });
        const sinks = await processes.settledSinks({ id: ref.processId });
        expect(done).toEqual({ ok: true, item: undefined });
        expect(joins.filter((j) => j.name !== 'A')).toEqual([
          { name: 'J', status: 'PENDING', settled: 1, expected: 2 },
          { name: 'K', status: 'PENDING', settled: 1, expected: 1 },
        ]);
        expect(sinks).toBe(1);
        return { done, joins, sinks };
      });

      scenario('writes nothing of a completion whose lease condition fails: the conflict names the task as it is', async ({ stores: { tasks, processes } }) => {
        const ref = { processId: 'settle-stale', task: 'A' };
        await tasks.scheduleNew({ schedule: schedule(ref.processId, 'A') });
        await tasks.claim(claimArgs(ref, 'lease-1'));
        const stale = await tasks.complete({ end: endTask(ref, 'lease-0'), output: 'a', settles: [{ task: 'J', expected: 2 }, { expected: 2 }] });
        const items = await tasks.listAll({ processId: ref.processId });
        const sinks = await processes.settledSinks({ id: ref.processId });
        expect(stale).toEqual({ ok: false, current: running('A', 'lease-1') });
        expect(items).toEqual([running('A', 'lease-1')]);
        expect(sinks).toBe(0);
        return { stale, items, sinks };
      });

      scenario('refuses a completion whose join already counts every parent, writing nothing', async ({ stores: { tasks, processes } }) => {
        const p = 'settle-full';
        await tasks.scheduleNew({ schedule: schedule(p, 'A') });
        await tasks.scheduleNew({ schedule: schedule(p, 'B') });
        await tasks.claim(claimArgs({ processId: p, task: 'A' }, 'lease-a'));
        await tasks.claim(claimArgs({ processId: p, task: 'B' }, 'lease-b'));
        await tasks.complete({ end: endTask({ processId: p, task: 'A' }, 'lease-a'), output: 'a', settles: [{ task: 'J', expected: 1 }, { expected: 1 }] });
        const refused = await refusal(tasks.complete({ end: endTask({ processId: p, task: 'B' }, 'lease-b'), output: 'b', settles: [{ task: 'J', expected: 1 }, { expected: 1 }] }));
        await expect(tasks.complete({ end: endTask({ processId: p, task: 'B' }, 'lease-b'), output: 'b', settles: [{ expected: 1 }] })).rejects.toThrow(/settle counter refused/);
        const items = await tasks.listAll({ processId: p });
        expect(refused).toEqual({ name: 'Error' });
        expect(items.map((i) => [i.name, i.status, i.settled])).toEqual([
          ['A', 'COMPLETED', undefined],
          ['B', 'RUNNING', undefined],
          ['J', 'PENDING', 1],
        ]);
        expect(await processes.settledSinks({ id: p })).toBe(1);
        return { refused, items };
      });

      scenario('counts every parent of a join completing at once exactly once (concurrent transactions are retried)', async ({ stores: { tasks, processes } }) => {
        const p = 'settle-race';
        const parents = ['A', 'B', 'C', 'D', 'E', 'F'];
        for (const t of parents) {
          await tasks.scheduleNew({ schedule: schedule(p, t) });
          await tasks.claim(claimArgs({ processId: p, task: t }, `lease-${t}`));
        }
        const settles = [{ task: 'J', expected: parents.length }, { expected: parents.length }];
        const answers = await Promise.all(parents.map((t) => tasks.complete({ end: endTask({ processId: p, task: t }, `lease-${t}`), output: t, settles })));
        const join = await tasks.get({ processId: p, task: 'J' });
        const sinks = await processes.settledSinks({ id: p });
        expect(answers).toEqual(parents.map(() => ({ ok: true, item: undefined })));
        expect(join).toEqual({ name: 'J', status: 'PENDING', settled: parents.length, expected: parents.length });
        expect(sinks).toBe(parents.length);
        return { answers, join, sinks };
      });

      scenario('counts a parent in a join cancelled with its process, harmlessly', async ({ stores: { tasks } }) => {
        const p = 'settle-cancelled';
        await tasks.scheduleNew({ schedule: schedule(p, 'A') });
        await tasks.claim(claimArgs({ processId: p, task: 'A' }, 'lease-a'));
        await tasks.cancel({ processId: p, task: 'J', run: 1, iso: iso(T0), expiresAt: EXPIRES_AT });
        const done = await tasks.complete({ end: endTask({ processId: p, task: 'A' }, 'lease-a'), output: 'a', settles: [{ task: 'J', expected: 2 }] });
        const join = await tasks.get({ processId: p, task: 'J' });
        expect(done.ok).toBe(true);
        expect(join).toEqual({ name: 'J', status: 'CANCELLED', settled: 1, expected: 2, endedAt: iso(T0) });
        return { done, join };
      });
    });

    group('ProcessStore', (scenario) => {
      scenario('creates a process once; a second create finds the first, parsed', async ({ stores: { processes } }) => {
        const first = await processes.create({ process: newProcess('create', { idempotencyKey: 'k-1', requestHash: 'h-1' }), input: { deep: { list: [1, 'two', null] } } });
        const second = await processes.create({ process: newProcess('create', { definition: 'other', createdAt: iso(T0 + 1) }), input: 'ignored' });
        const read = await processes.get({ id: 'create' });
        const input = await processes.getInput({ id: 'create' });
        const identity = await processes.identity({ id: 'create' });
        const missing = { get: await processes.get({ id: 'nobody' }), input: await processes.getInput({ id: 'nobody' }), identity: await processes.identity({ id: 'nobody' }) };
        const created = {
          id: 'create',
          definition: 'contract',
          version: 1,
          status: 'RUNNING',
          total: 2,
          ver: 1,
          run: 1,
          createdAt: iso(T0),
          updatedAt: iso(T0),
          idempotencyKey: 'k-1',
          requestHash: 'h-1',
          sweepAt: T0 + 30_000,
          sweepReason: 'roots',
        };
        expect(first).toEqual({ created: true });
        expect(second).toEqual({ created: false, existing: created });
        expect(read).toEqual(created);
        expect(input).toEqual({ deep: { list: [1, 'two', null] } });
        expect(identity).toEqual({ definition: 'contract', version: 1, run: 1 });
        expect(missing).toEqual({ get: undefined, input: null, identity: undefined });
        return { first, second, read, input, identity, missing };
      });

      scenario('ends a process only at the version read, answering a stale end with the current item', async ({ stores: { processes } }) => {
        await processes.create({ process: newProcess('end'), input: null });
        const read = (await processes.get({ id: 'end' }))!;
        const at = { now: T0 + 50, iso: iso(T0 + 50), expiresAt: EXPIRES_AT };
        const ended = await processes.end({ current: read, event: 'complete', at, owesCleanup: false });
        const stale = await processes.end({ current: read, event: 'cancel', at, owesCleanup: true });
        const { sweepAt: _s, sweepReason: _r, ...rest } = read;
        const completed = { ...rest, status: 'COMPLETED', ver: 2, updatedAt: at.iso, endedAt: at.iso };
        expect(ended).toEqual({ ok: true, item: completed });
        expect(stale).toEqual({ ok: false, current: completed });
        const missing = await processes.end({ current: { ...read, id: 'nobody' }, event: 'fail', at, owesCleanup: false });
        expect(missing).toEqual({ ok: false, current: undefined });
        return { ended, stale, missing };
      });

      scenario('pauses and resumes at the version read, with the input flag and a history item in the same transaction', async ({ stores: { processes } }) => {
        const id = 'pause';
        await processes.create({ process: newProcess(id), input: { n: 1 } });
        const read = (await processes.get({ id }))!;
        const at = (t: number) => ({ now: T0 + t, iso: iso(T0 + t), expiresAt: EXPIRES_AT });
        const paused = await processes.pauseOrResume({ current: read, event: 'pause', at: at(10), reason: 'why' });
        const stale = await processes.pauseOrResume({ current: read, event: 'pause', at: at(11) });
        const whilePaused = await processes.getClaimInput({ id });
        const resumed = paused.ok ? await processes.pauseOrResume({ current: paused.item, event: 'resume', at: at(20), sweepAt: T0 + 99 }) : paused;
        const afterResume = await processes.getClaimInput({ id });
        const stored = await processes.get({ id });
        const events = await processes.events({ id });
        expect(paused).toMatchObject({ ok: true, item: { status: 'PAUSED', ver: 2 } });
        expect(stale).toMatchObject({ ok: false, current: { status: 'PAUSED', ver: 2 } });
        expect(whilePaused).toEqual({ input: { n: 1 }, paused: true });
        expect(resumed).toEqual({ ok: true, item: stored });
        expect(stored).toMatchObject({ status: 'RUNNING', ver: 3, sweepAt: T0 + 99, sweepReason: 'resume' });
        expect(afterResume).toEqual({ input: { n: 1 }, paused: false });
        expect(events).toEqual([
          { type: 'ProcessPaused', at: iso(T0 + 10), reason: 'why' },
          { type: 'ProcessResumed', at: iso(T0 + 20) },
        ]);
        return { paused, stale, whilePaused, resumed, afterResume, events };
      });

      scenario('a pause with a sweep time takes the sweep slot (reason pause) and drops the cursor of an earlier pass; so does an end', async ({ stores: { processes } }) => {
        const id = 'pause-slot';
        await processes.create({ process: newProcess(id), input: { n: 1 } });
        const at = (t: number) => ({ now: T0 + t, iso: iso(T0 + t), expiresAt: EXPIRES_AT });
        const created = (await processes.get({ id }))!;
        // A start whose roots did not fit its call left a cursor.
        await processes.deferSweep({ id, sweepAt: created.sweepAt!, nextSweepAt: T0 + 5, resumeFrom: 7 });
        const read = (await processes.get({ id }))!;
        const paused = await processes.pauseOrResume({ current: read, event: 'pause', at: at(10), sweepAt: T0 + 50 });
        const stored = await processes.get({ id });
        expect(read).toMatchObject({ resumeFrom: 7 });
        expect(paused).toEqual({ ok: true, item: stored });
        expect(stored).toMatchObject({ status: 'PAUSED', sweepAt: T0 + 50, sweepReason: 'pause' });
        expect(stored).not.toHaveProperty('resumeFrom');
        await processes.deferSweep({ id, sweepAt: T0 + 50, nextSweepAt: T0 + 60, resumeFrom: 300 });
        const cancelled = await processes.end({ current: (await processes.get({ id }))!, event: 'cancel', at: at(70), owesCleanup: true });
        expect(cancelled).toMatchObject({ ok: true, item: { status: 'CANCELLED', sweepAt: T0 + 70, sweepReason: 'cleanup' } });
        expect(cancelled.ok && cancelled.item).not.toHaveProperty('resumeFrom');
        return { paused, stored, cancelled };
      });

      scenario('keeps an ended process on the sweep index, due now, while it owes cleanup', async ({ stores: { processes } }) => {
        await processes.create({ process: newProcess('cleanup'), input: null });
        const read = (await processes.get({ id: 'cleanup' }))!;
        const ended = await processes.end({ current: read, event: 'fail', at: { now: T0 + 70, iso: iso(T0 + 70), expiresAt: EXPIRES_AT }, owesCleanup: true });
        expect(ended).toMatchObject({ ok: true, item: { status: 'FAILED', ver: 2, sweepAt: T0 + 70, sweepReason: 'cleanup' } });
        return ended;
      });

      scenario('records a compensation only on an ended process that owes this run’s cleanup; a new process carries what it compensates', async ({ stores: { processes } }) => {
        await processes.create({ process: newProcess('compensated'), input: null });
        await processes.create({ process: newProcess('compensation', { compensates: 'compensated' }), input: null });
        const id = 'compensated';
        const running = (await processes.get({ id }))!;
        const onRunning = await processes.recordCompensation({ id, run: 1, sweepAt: running.sweepAt!, compensatedBy: 'compensation' });
        await processes.end({ current: running, event: 'fail', at: { now: T0 + 80, iso: iso(T0 + 80), expiresAt: EXPIRES_AT }, owesCleanup: true });
        const answers = [
          onRunning,
          await processes.recordCompensation({ id, run: 2, sweepAt: T0 + 80, compensatedBy: 'other-run' }),
          await processes.recordCompensation({ id, run: 1, sweepAt: T0 + 1, compensatedBy: 'stale-entry' }),
          await processes.recordCompensation({ id, run: 1, sweepAt: T0 + 80, compensatedBy: 'compensation' }),
          await processes.recordCompensation({ id, run: 1, sweepAt: T0 + 80, compensatedBy: 'compensation' }),
          await processes.recordCompensation({ id: 'nobody', run: 1, sweepAt: T0 + 80, compensationError: 'x' }),
        ];
        const ended = await processes.get({ id });
        const compensation = await processes.get({ id: 'compensation' });
        expect(answers).toEqual([false, false, false, true, true, false]);
        expect(ended).toMatchObject({ status: 'FAILED', compensatedBy: 'compensation', sweepAt: T0 + 80 });
        expect(ended).not.toHaveProperty('compensationError');
        expect(compensation).toMatchObject({ status: 'RUNNING', compensates: 'compensated' });
        return { answers, ended, compensation };
      });

      scenario('moves or clears a process’s sweep entry only when it is the one read', async ({ stores: { processes } }) => {
        await processes.create({ process: newProcess('sweep-entry'), input: null });
        const id = 'sweep-entry';
        const wrongDefer = await processes.deferSweep({ id, sweepAt: T0, nextSweepAt: T0 + 1, resumeFrom: 1 });
        const deferred = await processes.deferSweep({ id, sweepAt: T0 + 30_000, nextSweepAt: T0 + 40_000, resumeFrom: 2 });
        const afterDefer = await processes.get({ id });
        await processes.clearSweep({ id, sweepAt: T0 + 30_000 });
        const afterStaleClear = await processes.get({ id });
        await processes.clearSweep({ id, sweepAt: T0 + 40_000 });
        const afterClear = await processes.get({ id });
        const missing = await processes.deferSweep({ id: 'nobody', sweepAt: T0, nextSweepAt: T0, resumeFrom: 0 });
        expect([wrongDefer, deferred, missing]).toEqual([false, true, false]);
        expect(afterDefer).toMatchObject({ sweepAt: T0 + 40_000, resumeFrom: 2, sweepReason: 'roots' });
        expect(afterStaleClear).toEqual(afterDefer);
        expect([afterClear?.sweepAt, afterClear?.sweepReason, afterClear?.resumeFrom]).toEqual([undefined, undefined, undefined]);
        return { afterDefer, afterClear };
      });
    });

    group('reruns', (scenario) => {
      const ended = async (processes: Adapter['stores']['processes'], id: string, over: Parameters<typeof newProcess>[1] = {}) => {
        await processes.create({ process: newProcess(id, over), input: { first: true } });
        const running = (await processes.get({ id }))!;
        const r = await processes.end({ current: running, event: 'fail', at: { now: T0 + 50, iso: iso(T0 + 50), expiresAt: EXPIRES_AT }, owesCleanup: false });
        return r.ok ? r.item : running;
      };
      const record = (run: number): RunRecord => ({
        run,
        at: iso(T0 + 100 * run),
        version: 1,
        previousVersion: 1,
        reset: ['T'],
        resetCount: 1,
        inputReplaced: true,
        previous: { status: 'FAILED', endedAt: iso(T0 + 50) },
      });

      scenario('reopens an ended process once per read: RUNNING as the next run, its record and new input in the same transaction', async ({ stores: { processes } }) => {
        const id = 'reopen';
        const current = await ended(processes, id);
        const args = { current, record: record(2), total: 3, now: T0 + 200, sweepAt: T0 + 230, input: { value: { second: true } }, inputExpiresAt: EXPIRES_AT + 1 };
        const first = await processes.reopen(args);
        const again = await processes.reopen({ ...args, record: { ...record(2), at: iso(T0 + 300) } });
        const runs = await processes.runs({ id });
        const input = await processes.getInput({ id });
        const identity = await processes.identity({ id });
        expect(first).toMatchObject({ ok: true, item: { status: 'RUNNING', run: 2, ver: current.ver + 1, total: 3, sweepAt: T0 + 230, sweepReason: 'rerun' } });
        expect(first.ok && first.item).not.toHaveProperty('endedAt');
        expect(again).toMatchObject({ ok: false, current: { status: 'RUNNING', run: 2 } });
        expect(runs).toEqual([record(2)]);
        expect(input).toEqual({ second: true });
        expect(identity).toEqual({ definition: 'contract', version: 1, run: 2 });
        return { first, again, runs, input };
      });

      scenario('resets a task once per run, keeping its records; schedules it again only in that run; keeps a completed one', async ({ stores: { tasks } }) => {
        const p = 'reset';
        await tasks.scheduleNew({ schedule: schedule(p, 'T') });
        await tasks.scheduleNew({ schedule: schedule(p, 'K') });
        await tasks.complete({ end: endTask({ processId: p, task: 'K' }, undefined), output: 'kept', settles: [] });
        const marker = { k: 'r' as const, r: 2, a: 0, e: iso(T0 + 200) };
        await tasks.cancel({ processId: p, task: 'T', run: 1, iso: iso(T0 + 50), expiresAt: EXPIRES_AT });
        const answers = {
          reset: await tasks.reopen({ processId: p, task: 'T', run: 2, records: [marker] }),
          resetAgain: await tasks.reopen({ processId: p, task: 'T', run: 2, records: [marker] }),
          newTask: await tasks.reopen({ processId: p, task: 'N', run: 2, records: [], counter: { settled: 1, expected: 2 } }),
          staleCancel: await tasks.cancel({ processId: p, task: 'T', run: 1, iso: iso(T0 + 210), expiresAt: EXPIRES_AT }),
          scheduleInRunOne: await tasks.scheduleRerun({ schedule: schedule(p, 'T') }),
          scheduleInRunTwo: await tasks.scheduleRerun({ schedule: schedule(p, 'T', { run: 2 }) }),
          scheduleTwice: await tasks.scheduleRerun({ schedule: schedule(p, 'T', { run: 2 }) }),
          retain: await tasks.retain({ processId: p, task: 'K', run: 2, expiresAt: EXPIRES_AT + 7 }),
          retainInItsOwnRun: await tasks.retain({ processId: p, task: 'K', run: 1, expiresAt: EXPIRES_AT + 9 }),
        };
        const items = await tasks.listAll({ processId: p });
        expect(answers).toEqual({
          reset: true,
          resetAgain: false,
          newTask: true,
          staleCancel: false,
          scheduleInRunOne: false,
          scheduleInRunTwo: true,
          scheduleTwice: false,
          retain: true,
          retainInItsOwnRun: false,
        });
        const byName = new Map(items.map((t) => [t.name, t]));
        expect(byName.get('T')).toMatchObject({ status: 'SCHEDULED', run: 2, attempt: 1, attempts: [marker] });
        expect(byName.get('N')).toEqual({ name: 'N', status: 'PENDING', run: 2, settled: 1, expected: 2 });
        expect(byName.get('K')).toMatchObject({ status: 'COMPLETED', run: 1, output: 'kept' });
        return { answers, items };
      });

      scenario('keeps the last KEPT_ATTEMPT_RECORDS attempt records across reruns, oldest dropped first, and counts the dropped', async ({ stores: { tasks } }) => {
        const p = 'bounded';
        const ref = { processId: p, task: 'T' };
        await tasks.scheduleNew({ schedule: schedule(p, 'T') });
        // Each run leaves 15 records (14 failed attempts and its marker): 4 runs leave 60, more than are kept.
        const runRecords = (run: number) => [
          ...Array.from({ length: 14 }, (_, i) => ({ k: 'f' as const, a: i + 1, e: iso(T0 + run * 100 + i) })),
          { k: 'r' as const, r: run, a: 0, e: iso(T0 + run * 100 + 50) },
        ];
        const lengths: { run: number; kept: number; dropped: number | undefined }[] = [];
        for (let run = 2; run <= 5; run++) {
          // Each run ends (cancelled) before the next one resets it.
          expect(await tasks.cancel({ ...ref, run: run - 1, iso: iso(T0 + run * 100), expiresAt: EXPIRES_AT })).toBe(true);
          expect(await tasks.reopen({ ...ref, run, records: runRecords(run) })).toBe(true);
          const item = await tasks.get(ref);
          lengths.push({ run, kept: item?.attempts?.length ?? 0, dropped: item?.attemptsDropped });
        }
        expect(KEPT_ATTEMPT_RECORDS).toBe(40);
        expect(lengths).toEqual([
          { run: 2, kept: 15, dropped: undefined },
          { run: 3, kept: 30, dropped: undefined },
          { run: 4, kept: 40, dropped: 5 },
          { run: 5, kept: 40, dropped: 20 },
        ]);
        const item = await tasks.get(ref);
        // The newest are kept, in order: the last record is run 5's marker, the first is run 3's fifth failure.
        expect(item?.attempts?.at(-1)).toEqual({ k: 'r', r: 5, a: 0, e: iso(T0 + 550) });
        expect(item?.attempts?.[0]).toEqual({ k: 'f', a: 6, e: iso(T0 + 305) });
        return { lengths, attempts: item?.attempts, dropped: item?.attemptsDropped };
      });

      scenario('sets the end counter once per run', async ({ stores: { processes } }) => {
        const id = 'end-counter';
        await processes.resetEndCounter({ id, run: 2, settled: 1, expected: 3 });
        await processes.resetEndCounter({ id, run: 2, settled: 0, expected: 3 });
        const afterRunTwo = await processes.settledSinks({ id });
        await processes.resetEndCounter({ id, run: 3, settled: 2, expected: 3 });
        const afterRunThree = await processes.settledSinks({ id });
        expect([afterRunTwo, afterRunThree]).toEqual([1, 2]);
        return [afterRunTwo, afterRunThree];
      });

      scenario('finds processes by status and definition within a creation window, newest first, a page at a time', async ({ stores: { processes } }) => {
        const at = (minutes: number) => iso(T0 + minutes * 60_000);
        await ended(processes, 'find-early', { definition: 'find', createdAt: at(1) });
        await ended(processes, 'find-a', { definition: 'find', createdAt: at(10) });
        await ended(processes, 'find-other', { definition: 'find-other', createdAt: at(11) });
        await ended(processes, 'find-b', { definition: 'find', createdAt: at(12) });
        await processes.create({ process: newProcess('find-running', { definition: 'find', createdAt: at(13) }), input: null });
        await ended(processes, 'find-late', { definition: 'find', createdAt: at(30) });
        const query = { status: 'FAILED' as const, definition: 'find', createdFrom: at(5), createdTo: at(20) };
        const pages: string[][] = [];
        let nextToken: string | undefined;
        do {
          const page = await processes.findByStatus({ ...query, limit: 1, ...(nextToken ? { nextToken } : {}) });
          pages.push(page.items.map((p) => p.id));
          nextToken = page.nextToken;
        } while (nextToken !== undefined && pages.length < 10);
        const all = (await processes.findByStatus({ ...query, limit: 100 })).items.map((p) => p.id);
        expect(all).toEqual(['find-b', 'find-a']);
        expect(pages.flat()).toEqual(['find-b', 'find-a']);
        return { pages, all };
      });
    });

    group('DefinitionStore', (scenario) => {
      scenario('appends versions one at a time: a version whose predecessor is not HEAD has raced', async ({ stores: { definitions } }) => {
        const answers = [
          await definitions.appendVersion({ definition: definitionVersion('flow', 1) }),
          await definitions.appendVersion({ definition: definitionVersion('flow', 1, { contentHash: 'other' }) }),
          await definitions.appendVersion({ definition: definitionVersion('flow', 3) }),
          await definitions.appendVersion({ definition: definitionVersion('flow', 2) }),
          await definitions.appendVersion({ definition: definitionVersion('flow', 2) }),
        ];
        const head = await definitions.getHead({ name: 'flow' });
        const versions = [await definitions.getVersion({ name: 'flow', version: 1 }), await definitions.getVersion({ name: 'flow', version: 2 }), await definitions.getVersion({ name: 'flow', version: 3 })];
        expect(answers.map((a) => a.kind)).toEqual(['created', 'raced', 'raced', 'created', 'raced']);
        expect(head).toEqual({ name: 'flow', latestVersion: 2, contentHash: 'hash-flow-2', description: 'flow v2', updatedAt: iso(T0 + 2) });
        expect(versions).toEqual([definitionVersion('flow', 1), definitionVersion('flow', 2), undefined]);
        expect(await definitions.getHead({ name: 'nothing' })).toBeUndefined();
        return { answers, head, versions };
      });

      scenario('keeps an input schema that no DynamoDB map could hold, as it was given', async ({ stores: { definitions } }) => {
        let deep: Record<string, unknown> = { type: 'string' };
        for (let i = 0; i < 40; i++) deep = { type: 'object', properties: { [`level${i}`]: deep } };
        const inputSchema = { type: 'object', properties: { '': { type: 'number', maximum: 2 ** 60 }, nested: deep } };
        const created = await definitions.appendVersion({ definition: { ...definitionVersion('schema', 1), inputSchema } });
        const read = await definitions.getVersion({ name: 'schema', version: 1 });
        expect(created).toEqual({ kind: 'created' });
        expect(read).toEqual({ ...definitionVersion('schema', 1), inputSchema });
        return read;
      });
    });

    group('listings (query order and pagination)', (scenario) => {
      // Five processes, a second apart: p1 (alpha) ... p5 (alpha); p2 and p4 are beta; p2 has ended.
      const setUp = async ({ stores: { processes, definitions } }: Adapter): Promise<void> => {
        if (await processes.get({ id: 'p1' })) return;
        for (let i = 1; i <= 5; i++) {
          await processes.create({ process: newProcess(`p${i}`, { definition: i % 2 === 0 ? 'beta' : 'alpha', createdAt: iso(T0 + i * 1000) }), input: null });
        }
        const p2 = (await processes.get({ id: 'p2' }))!;
        await processes.end({ current: p2, event: 'complete', at: { now: T0 + 9_000, iso: iso(T0 + 9_000), expiresAt: EXPIRES_AT }, owesCleanup: false });
        // UTF-8 byte order: 'Zed' < 'alpha' < 'beta' < '\uFF5E' (EF BD 9E) < '😀' (F0 9F 98 80), unlike UTF-16 order.
        for (const name of ['beta', '😀-emoji', 'alpha', '\uFF5E-wide', 'Zed']) await definitions.appendVersion({ definition: definitionVersion(name, 1) });
      };
      type Lister = (nextToken: string | undefined) => Promise<{ items: { id?: string; name?: string }[]; nextToken?: string }>;
      const pages = async (list: Lister): Promise<{ ids: string[]; more: boolean }[]> => {
        const out: { ids: string[]; more: boolean }[] = [];
        let token: string | undefined;
        do {
          const page = await list(token);
          out.push({ ids: page.items.map((i) => i.id ?? i.name ?? '?'), more: page.nextToken !== undefined });
          token = page.nextToken;
        } while (token !== undefined && out.length < 10);
        return out;
      };

      scenario('lists processes newest first, page by page', async (adapter) => {
        await setUp(adapter);
        const seen = await pages((nextToken) => adapter.stores.processes.list({ limit: 2, ...(nextToken ? { nextToken } : {}) }));
        expect(seen).toEqual([
          { ids: ['p5', 'p4'], more: true },
          { ids: ['p3', 'p2'], more: true },
          { ids: ['p1'], more: false },
        ]);
        return seen;
      });

      scenario('ends a listing whose last page is exactly full: a token (then an empty page) only while a shard may hold more', async (adapter) => {
        await setUp(adapter);
        const seen = await pages((nextToken) => adapter.stores.processes.list({ definition: 'alpha', limit: 3, ...(nextToken ? { nextToken } : {}) }));
        expect(seen.flatMap((p) => p.ids)).toEqual(['p5', 'p3', 'p1']);
        expect(seen.at(-1)?.more).toBe(false);
        expect(seen.slice(1).every((p) => p.ids.length === 0)).toBe(true);
        return seen;
      });

      scenario('lists by status with a definition filter: a page looks at a bounded number of entries, so it may come back short', async (adapter) => {
        await setUp(adapter);
        const seen = await pages((nextToken) => adapter.stores.processes.list({ status: 'RUNNING', definition: 'alpha', limit: 2, ...(nextToken ? { nextToken } : {}) }));
        const completed = await adapter.stores.processes.list({ status: 'COMPLETED', limit: 10 });
        expect(seen.flatMap((p) => p.ids)).toEqual(['p5', 'p3', 'p1']);
        expect(seen.every((p) => p.ids.length <= 2)).toBe(true);
        expect(seen.at(-1)?.more).toBe(false);
        expect(completed).toEqual({ items: [{ id: 'p2', definition: 'beta', version: 1, status: 'COMPLETED', createdAt: iso(T0 + 2_000), endedAt: iso(T0 + 9_000) }] });
        return { seen, completed };
      });

      scenario('lists by definition, newest first', async (adapter) => {
        await setUp(adapter);
        const seen = await pages((nextToken) => adapter.stores.processes.list({ definition: 'beta', limit: 1, ...(nextToken ? { nextToken } : {}) }));
        expect(seen).toEqual([
          { ids: ['p4'], more: true },
          { ids: ['p2'], more: true },
          { ids: [], more: false },
        ]);
        return seen;
      });

      scenario('goes on after the position a token names, even when its item has left the listing since', async (adapter) => {
        await setUp(adapter);
        const { processes } = adapter.stores;
        await processes.create({ process: newProcess('q1', { definition: 'gamma', createdAt: iso(T0 + 20_000) }), input: null });
        await processes.create({ process: newProcess('q2', { definition: 'gamma', createdAt: iso(T0 + 21_000) }), input: null });
        await processes.create({ process: newProcess('q3', { definition: 'gamma', createdAt: iso(T0 + 22_000) }), input: null });
        const first = await processes.list({ status: 'RUNNING', limit: 2 });
        const q2 = (await processes.get({ id: 'q2' }))!;
        await processes.end({ current: q2, event: 'cancel', at: { now: T0 + 30_000, iso: iso(T0 + 30_000), expiresAt: EXPIRES_AT }, owesCleanup: false });
        const second = await processes.list({ status: 'RUNNING', limit: 2, ...(first.nextToken ? { nextToken: first.nextToken } : {}) });
        expect(first.items.map((p) => p.id)).toEqual(['q3', 'q2']);
        expect(second.items.map((p) => p.id)).toEqual(['q1', 'p5']);
        return { first: first.items, second: second.items };
      });

      scenario('refuses a token of another listing as the client’s mistake', async (adapter) => {
        await setUp(adapter);
        const { processes, definitions } = adapter.stores;
        const definitionToken = (await definitions.listHeads({ limit: 1 })).nextToken;
        const runningToken = (await processes.list({ status: 'RUNNING', limit: 1 })).nextToken;
        expect([definitionToken, runningToken].every((t) => t !== undefined)).toBe(true);
        const foreign = (): Promise<unknown> => processes.list({ status: 'RUNNING', limit: 2, ...(definitionToken ? { nextToken: definitionToken } : {}) });
        const otherPartition = (): Promise<unknown> => processes.list({ status: 'COMPLETED', limit: 2, ...(runningToken ? { nextToken: runningToken } : {}) });
        await expect(foreign()).rejects.toBeInstanceOf(ValidationError);
        await expect(otherPartition()).rejects.toBeInstanceOf(ValidationError);
        await expect(processes.list({ limit: 2, nextToken: 'not-a-token' })).rejects.toBeInstanceOf(ValidationError);
        return [await refusal(foreign()), await refusal(otherPartition())];
      });

      scenario('lists definitions by name in UTF-8 byte order, page by page', async (adapter) => {
        await setUp(adapter);
        const seen = await pages((nextToken) => adapter.stores.definitions.listHeads({ limit: 2, ...(nextToken ? { nextToken } : {}) }));
        const first = await adapter.stores.definitions.listHeads({ limit: 1 });
        expect(seen).toEqual([
          { ids: ['Zed', 'alpha'], more: true },
          { ids: ['beta', '\uFF5E-wide'], more: true },
          { ids: ['😀-emoji'], more: false },
        ]);
        expect(first.items).toEqual([{ name: 'Zed', latestVersion: 1, description: 'Zed v1' }]);
        return { seen, first: first.items };
      });
    });

    group('listings across the index shards', (scenario) => {
      // 96 processes (3 a shard on average) of 3 definitions, created in shuffled order; every fourth FAILED.
      const COUNT = 96;
      const createdAt = (i: number): string => iso(T0 + ((i * 37) % COUNT) * 1000);
      const definitionOf = (i: number): string => `d${i % 3}`;
      const failed = (i: number): boolean => i % 4 === 0;
      const newestFirst = (ids: number[]): string[] => [...ids].sort((a, b) => (createdAt(b) < createdAt(a) ? -1 : 1)).map((i) => `s-${i}`);
      const every = Array.from({ length: COUNT }, (_, i) => i);
      const setUp = async ({ stores: { processes } }: Adapter): Promise<void> => {
        if (await processes.get({ id: 's-0' })) return;
        for (let from = 0; from < COUNT; from += 16) {
          await Promise.all(
            every.slice(from, from + 16).map(async (i) => {
              const id = `s-${i}`;
              await processes.create({ process: newProcess(id, { definition: definitionOf(i), createdAt: createdAt(i) }), input: null });
              if (!failed(i)) return;
              const running = (await processes.get({ id }))!;
              await processes.end({ current: running, event: 'fail', at: { now: T0, iso: iso(T0), expiresAt: EXPIRES_AT }, owesCleanup: false });
            }),
          );
        }
      };
      const collect = async (list: (nextToken: string | undefined) => Promise<{ items: { id: string }[]; nextToken?: string }>, limit: number): Promise<string[][]> => {
        const out: string[][] = [];
        let token: string | undefined;
        do {
          const page = await list(token);
          expect(page.items.length).toBeLessThanOrEqual(limit);
          out.push(page.items.map((p) => p.id));
          token = page.nextToken;
        } while (token !== undefined && out.length <= COUNT + 1);
        expect(token).toBeUndefined();
        return out;
      };
      /** The table under new stores, noting each index query's Limit: an upper bound on the entries it looked at. */
      const metered = (adapter: Adapter): { stores: ReturnType<typeof storesOn>; looked: () => number } => {
        let looked = 0;
        const t = adapter.table;
        const table: ItemTable = {
          get: (k) => t.get(k),
          getMany: (k) => t.getMany(k),
          queryPartition: (pk, prefix) => t.queryPartition(pk, prefix),
          queryPartitionPage: (q) => t.queryPartitionPage(q),
          queryIndex: (q) => {
            looked += q.limit;
            return t.queryIndex(q);
          },
          write: (w) => t.write(w),
          transact: (w) => t.transact(w),
        };
        return { stores: storesOn(table), looked: () => looked };
      };

      scenario('lists every process newest first, merged across the shards, at any page size: no duplicate, no gap', async (adapter) => {
        await setUp(adapter);
        const expected = newestFirst(every);
        const seen: Record<number, number> = {};
        for (const limit of [5, 40, 100]) {
          const pages = await collect((nextToken) => adapter.stores.processes.list({ limit, ...(nextToken ? { nextToken } : {}) }), limit);
          expect(pages.flat()).toEqual(expected);
          seen[limit] = pages.length;
        }
        return seen;
      });

      scenario('lists by status, by definition, and by both, merged across the shards, newest first', async (adapter) => {
        await setUp(adapter);
        const { processes } = adapter.stores;
        const byStatus = await collect((t) => processes.list({ status: 'FAILED', limit: 6, ...(t ? { nextToken: t } : {}) }), 6);
        const byDefinition = await collect((t) => processes.list({ definition: 'd1', limit: 6, ...(t ? { nextToken: t } : {}) }), 6);
        const byBoth = await collect((t) => processes.list({ status: 'RUNNING', definition: 'd2', limit: 6, ...(t ? { nextToken: t } : {}) }), 6);
        expect(byStatus.flat()).toEqual(newestFirst(every.filter(failed)));
        expect(byDefinition.flat()).toEqual(newestFirst(every.filter((i) => definitionOf(i) === 'd1')));
        expect(byBoth.flat()).toEqual(newestFirst(every.filter((i) => !failed(i) && definitionOf(i) === 'd2')));
        return { byStatus, byDefinition, byBoth };
      });

      scenario('finds by status and definition in a creation window across the shards, a page at a time', async (adapter) => {
        await setUp(adapter);
        const window = { createdFrom: iso(T0 + 20_000), createdTo: iso(T0 + 70_000) };
        const pages = await collect((t) => adapter.stores.processes.findByStatus({ status: 'FAILED', definition: 'd0', ...window, limit: 3, ...(t ? { nextToken: t } : {}) }), 3);
        const inWindow = (i: number): boolean => createdAt(i) >= window.createdFrom && createdAt(i) <= window.createdTo;
        expect(pages.flat()).toEqual(newestFirst(every.filter((i) => failed(i) && definitionOf(i) === 'd0' && inWindow(i))));
        return pages;
      });

      scenario('reads a bounded number of index entries a page, however many processes there are', async (adapter) => {
        await setUp(adapter);
        const all = metered(adapter);
        const first = await all.stores.processes.list({ limit: 10 });
        const filtered = metered(adapter);
        await filtered.stores.processes.list({ status: 'FAILED', definition: 'd1', limit: 10 });
        const found = metered(adapter);
        await found.stores.processes.findByStatus({ status: 'FAILED', definition: 'd1', limit: 50 });
        expect(first.items).toHaveLength(10);
        expect(all.looked()).toBeLessThanOrEqual(3 * 10 + 2 * PROCESS_INDEX_SHARDS);
        // A filtered page looks at its limit, or one entry a shard if that is more.
        expect(filtered.looked()).toBeLessThanOrEqual(PROCESS_INDEX_SHARDS);
        expect(found.looked()).toBeLessThanOrEqual(50);
        return { all: all.looked(), filtered: filtered.looked(), found: found.looked() };
      });

      scenario('resumes every shard from its token, stable under inserts made between pages', async (adapter) => {
        const { processes } = adapter.stores;
        const at = (second: number): string => iso(T0 + 500_000 + second * 1000);
        for (let i = 0; i < 40; i++) await processes.create({ process: newProcess(`ins-${i}`, { definition: 'ins', createdAt: at(i) }), input: null });
        const pages: string[][] = [];
        let token: string | undefined;
        do {
          const page = await processes.list({ definition: 'ins', limit: 8, ...(token ? { nextToken: token } : {}) });
          pages.push(page.items.map((p) => p.id));
          token = page.nextToken;
          // Between pages: a newer process (before the cursor: not in this listing) and an older one (after it: listed in its place).
          const n = pages.length;
          if (n > 3) continue;
          await processes.create({ process: newProcess(`ins-new-${n}`, { definition: 'ins', createdAt: at(100 + n) }), input: null });
          await processes.create({ process: newProcess(`ins-old-${n}`, { definition: 'ins', createdAt: at(-10 - n) }), input: null });
        } while (token !== undefined && pages.length < 20);
        const listed = pages.flat();
        const originals = Array.from({ length: 40 }, (_, i) => `ins-${39 - i}`);
        expect(listed.filter((id) => !id.startsWith('ins-old-'))).toEqual(originals);
        expect(listed.some((id) => id.startsWith('ins-new-'))).toBe(false);
        expect(new Set(listed).size).toBe(listed.length);
        expect(listed.filter((id) => id.startsWith('ins-old-'))).toEqual(['ins-old-1', 'ins-old-2', 'ins-old-3']);
        return pages;
      });
    });

    group('SweepIndex', (scenario) => {
      scenario('finds due items oldest first, across shards, up to a limit, and nothing not yet due', async ({ stores: { tasks, processes, sweepIndex } }) => {
        // Ids spread over the shards; sweep times out of order.
        const times = [5, 1, 3, 9, 7, 2];
        for (const [i, t] of times.entries()) await tasks.scheduleNew({ schedule: schedule(`due-${i}`, `T${i}`, { sweepAt: T0 + t }) });
        await processes.create({ process: newProcess('due-process', { sweepAt: T0 + 4 }), input: null });
        await tasks.cancel({ processId: 'due-0', task: 'gone', run: 1, iso: iso(T0), expiresAt: EXPIRES_AT });
        const shards = new Set(times.map((_, i) => sweepShardOf(keys.task({ processId: `due-${i}`, task: `T${i}` }), DEFAULT_SWEEP_SHARDS)));
        const due = await sweepIndex.due({ now: T0 + 5, maxItems: 10 });
        const firstTwo = await sweepIndex.due({ now: T0 + 5, maxItems: 2 });
        const none = await sweepIndex.due({ now: T0, maxItems: 10 });
        const all = await sweepIndex.due({ now: T0 + 60_000, maxItems: 100 });
        expect(shards.size).toBeGreaterThan(1);
        expect(due).toEqual([
          { kind: 'task', processId: 'due-1', task: 'T1', sweepAt: T0 + 1 },
          { kind: 'task', processId: 'due-5', task: 'T5', sweepAt: T0 + 2 },
          { kind: 'task', processId: 'due-2', task: 'T2', sweepAt: T0 + 3 },
          { kind: 'process', processId: 'due-process', sweepAt: T0 + 4 },
          { kind: 'task', processId: 'due-0', task: 'T0', sweepAt: T0 + 5 },
        ]);
        expect(firstTwo).toEqual(due.slice(0, 2));
        expect(none).toEqual([]);
        expect(all.map((d) => d.sweepAt)).toEqual([1, 2, 3, 4, 5, 7, 9].map((t) => T0 + t));
        return { due, firstTwo, none, all };
      });
    });

    group('SweepIndex as a log', (scenario) => {
      scenario('walks each shard from its cursor, moves a cursor only forward, and revisits an entry only where it still is', async ({ stores: { tasks, sweepIndex } }) => {
        const times = [5, 1, 3, 9, 7, 2];
        for (const [i, t] of times.entries()) await tasks.scheduleNew({ schedule: schedule(`walk-${i}`, `T${i}`, { sweepAt: T0 + t }) });
        const at = (w: { entries: readonly { position: { sweepAt: number } }[] }) => w.entries.map((e) => e.position.sweepAt - T0);
        const first = await sweepIndex.walk({ horizon: T0 + 5, maxItems: 10 });
        expect(at(first)).toEqual([1, 2, 3, 5]);
        expect(first.cursors.size).toBe(0);
        // The two oldest settled: their shards' cursors move past them, and a walk reads on from there.
        for (const e of first.entries.slice(0, 2)) await sweepIndex.advance({ shard: e.shard, to: e.position });
        const second = await sweepIndex.walk({ horizon: T0 + 5, maxItems: 10 });
        expect(at(second)).toEqual([3, 5]);
        expect(second.cursors.get(first.entries[0]!.shard)).toEqual(first.entries[0]!.position);
        // A cursor never moves back (a slower sweeper's write is refused).
        await sweepIndex.advance({ shard: first.entries[0]!.shard, to: { ...first.entries[0]!.position, sweepAt: T0 } });
        expect(at(await sweepIndex.walk({ horizon: T0 + 5, maxItems: 10 }))).toEqual([3, 5]);
        // A revisit moves an entry that is still where it was read, and leaves one that moved since.
        const third = second.entries[0]!;
        await sweepIndex.revisit({ entry: third, at: T0 + 8 });
        await sweepIndex.revisit({ entry: third, at: T0 + 20 });
        expect((await tasks.get({ processId: 'walk-2', task: 'T2' }))?.sweepAt).toBe(T0 + 8);
        const later = await sweepIndex.walk({ horizon: T0 + 60, maxItems: 10 });
        expect(at(later)).toEqual([5, 7, 8, 9]);
        return { first: at(first), later: at(later) };
      });
    });

    group('SweepIndex, past one page per shard', (scenario) => {
      scenario('pages through every shard for as many due items as asked, oldest first', async ({ stores: { tasks, sweepIndex } }) => {
        const count = 240;
        for (let i = 0; i < count; i++) await tasks.scheduleNew({ schedule: schedule(`many-${i}`, 'T', { sweepAt: T0 + ((i * 7919) % count) }) });
        const all = await sweepIndex.due({ now: T0 + count, maxItems: 500 });
        const some = await sweepIndex.due({ now: T0 + count, maxItems: 130 });
        expect(all.map((d) => d.sweepAt)).toEqual(Array.from({ length: count }, (_, i) => T0 + i));
        expect(some).toEqual(all.slice(0, 130));
        return { all, some };
      });
    });

    group('ItemTable', (scenario) => {
      const key = (sk: string): Key => ({ pk: 'ITEMS', sk });

      scenario('reads more keys than one DynamoDB batch allows, answering every item that exists', async ({ table }) => {
        for (let i = 0; i < 120; i++) await table.write({ type: 'put', key: key(`batch-${String(i).padStart(3, '0')}`), item: { i }, guards: [] });
        const asked = Array.from({ length: 250 }, (_, i) => key(`batch-${String(i).padStart(3, '0')}`));
        const found = (await table.getMany(asked)).map((item) => item.i as number).sort((a, b) => a - b);
        expect(found).toEqual(Array.from({ length: 120 }, (_, i) => i));
        return found;
      });

      scenario('answers a lost put with the item as it is, and a lost update of a missing item with none', async ({ table }) => {
        const put = { type: 'put', key: key('put'), item: { status: 'SCHEDULED', n: 1, nested: { list: [1, 'a', true, null] } }, guards: [ABSENT] } as const;
        const first = await table.write(put);
        const second = await table.write({ ...put, item: { status: 'RUNNING' } });
        const missing = await table.write({ type: 'update', key: key('missing'), set: { a: 1 }, guards: taskGuards('claim', { now: T0 }) });
        expect(first).toEqual({ ok: true });
        expect(second).toEqual({ ok: false, current: { ...key('put'), status: 'SCHEDULED', n: 1, nested: { list: [1, 'a', true, null] } } });
        expect(missing).toEqual({ ok: false });
        expect(await table.get(key('missing'))).toBeUndefined();
        return { first, second, missing };
      });

      scenario('applies set, set-if-missing, sums, adds and removes in one update, and answers the item as written', async ({ table }) => {
        await table.write({ type: 'put', key: key('update'), item: { keep: 'x', drop: 'y', base: 10, count: 1, already: 'old' }, guards: [] });
        const r = await table.write({
          type: 'update',
          key: key('update'),
          set: { s: 'set', nested: { a: [1, 2] } },
          setIfMissing: { already: 'new', fresh: 'new' },
          setSum: { total: { source: 'base', plus: 5 } },
          add: { count: 2, started: 3 },
          remove: ['drop', 'absentAnyway'],
          guards: [{ kind: 'equals', attribute: 'keep', value: 'x' }],
          returnNew: true,
        });
        const quiet = await table.write({ type: 'update', key: key('update'), set: { s: 'again' }, guards: [] });
        const expected = { ...key('update'), keep: 'x', base: 10, count: 3, already: 'old', s: 'set', nested: { a: [1, 2] }, fresh: 'new', total: 15, started: 3 };
        expect(r).toEqual({ ok: true, item: expected });
        expect(quiet).toEqual({ ok: true });
        return { r, quiet, after: await table.get(key('update')) };
      });

      scenario('checks the condition before the update: a sum over a missing attribute fails only when the condition holds', async ({ table }) => {
        await table.write({ type: 'put', key: key('sum'), item: { status: 'CANCELLED' }, guards: [] });
        const lost = await table.write({ type: 'update', key: key('sum'), setSum: { e: { source: 'timeoutMs', plus: 1 } }, guards: taskGuards('claim', { now: T0 }) });
        const refused = table.write({ type: 'update', key: key('sum'), setSum: { e: { source: 'timeoutMs', plus: 1 } }, guards: [] });
        await expect(refused).rejects.toThrow(/does not exist/);
        expect(lost).toEqual({ ok: false, current: { ...key('sum'), status: 'CANCELLED' } });
        return { lost, refused: await refusal(refused) };
      });

      scenario('reads many items at once, skipping missing keys', async ({ table }) => {
        for (const sk of ['m1', 'm2', 'm3']) await table.write({ type: 'put', key: key(sk), item: { v: sk }, guards: [] });
        const many = await table.getMany([key('m3'), key('nope'), key('m1'), key('m2')]);
        const bySk = many.map((i) => i.sk).sort();
        expect(bySk).toEqual(['m1', 'm2', 'm3']);
        return bySk;
      });

      scenario('queries a partition in sort-key order by prefix, past DynamoDB’s 1 MB page', async ({ table }) => {
        const pk = 'PARTITION';
        const blob = 'b'.repeat(350 * 1024);
        for (const sk of ['TASK#c', 'TASK#a', 'META', 'TASK#b', 'TASK#B', 'TASKS', 'TASK#a#000002']) {
          await table.write({ type: 'put', key: { pk, sk }, item: sk.startsWith('TASK#') && sk !== 'TASK#B' ? { blob } : { small: true }, guards: [] });
        }
        const items = await table.queryPartition(pk, 'TASK#');
        const order = items.map((i) => i.sk);
        expect(order).toEqual(['TASK#B', 'TASK#a', 'TASK#a#000002', 'TASK#b', 'TASK#c']);
        expect(items.filter((i) => i.blob === blob)).toHaveLength(4);
        return order;
      });

      scenario('cancels a transaction as a whole, naming each failed condition with its item and None for the others', async ({ table }) => {
        await table.write({ type: 'put', key: key('tx-held'), item: { status: 'RUNNING', leaseToken: 'l1' }, guards: [] });
        const writes: ItemWrite[] = [
          { type: 'put', key: key('tx-new'), item: { v: 1 }, guards: [ABSENT] },
          { type: 'update', key: key('tx-held'), set: { status: 'COMPLETED' }, guards: taskGuards('complete', { leaseToken: 'l0', now: T0, run: 1, held: false }) },
          { type: 'update', key: key('tx-counter'), add: { settled: 1 }, guards: taskGuards('settleParent', { expected: 2 }) },
          { type: 'update', key: key('tx-missing'), set: { v: 2 }, guards: taskGuards('heartbeat', { leaseToken: 'l1', now: T0 }) },
        ];
        const r = await table.transact(writes);
        expect(r).toEqual({
          ok: false,
          reasons: [{ code: 'None' }, { code: 'ConditionalCheckFailed', current: { ...key('tx-held'), status: 'RUNNING', leaseToken: 'l1' } }, { code: 'None' }, { code: 'ConditionalCheckFailed' }],
        });
        const after = await table.getMany([key('tx-new'), key('tx-held'), key('tx-counter')]);
        expect(after).toEqual([{ ...key('tx-held'), status: 'RUNNING', leaseToken: 'l1' }]);
        const applied = await table.transact([writes[0]!, writes[2]!]);
        expect(applied).toEqual({ ok: true });
        return { r, after, applied, counter: await table.get(key('tx-counter')) };
      });

      scenario('refuses a transaction that touches one item twice', async ({ table }) => {
        const twice = table.transact([
          { type: 'put', key: key('tx-twice'), item: { a: 1 }, guards: [] },
          { type: 'update', key: key('tx-twice'), set: { b: 2 }, guards: [] },
        ]);
        await expect(twice).rejects.toThrow(/multiple operations on one item/);
        expect(await table.get(key('tx-twice'))).toBeUndefined();
        return refusal(twice);
      });
    });

    group('DynamoDB’s request limits', (scenario) => {
      const validation = { name: 'ValidationException' };

      scenario('refuses a batch read that names one key twice', async ({ table }) => {
        await table.write({ type: 'put', key: { pk: 'LIMITS', sk: 'a' }, item: { v: 1 }, guards: [] });
        const twice = await refusal(table.getMany([{ pk: 'LIMITS', sk: 'a' }, { pk: 'LIMITS', sk: 'b' }, { pk: 'LIMITS', sk: 'a' }]));
        expect(twice).toEqual(validation);
        return twice;
      });

      scenario('takes 1 to 100 writes in one transaction, and refuses none or 101', async ({ table }) => {
        const writes = (n: number, prefix: string): ItemWrite[] => Array.from({ length: n }, (_, i) => ({ type: 'put', key: { pk: 'LIMITS', sk: `${prefix}${i}` }, item: { v: i }, guards: [ABSENT] }));
        const none = await refusal(table.transact([]));
        const tooMany = await refusal(table.transact(writes(101, 'over-')));
        const hundred = await table.transact(writes(100, 'ok-'));
        expect([none, tooMany]).toEqual([validation, validation]);
        expect(hundred).toEqual({ ok: true });
        expect(await table.get({ pk: 'LIMITS', sk: 'over-0' })).toBeUndefined();
        expect(await table.get({ pk: 'LIMITS', sk: 'ok-99' })).toEqual({ pk: 'LIMITS', sk: 'ok-99', v: 99 });
        return { none, tooMany, hundred };
      });

      scenario('refuses a page of no items, a filter on a key, and a start key outside the query', async ({ table }) => {
        const sweep = { index: SWEEP_INDEX, partition: 'S#0', descending: false } as const;
        const answers = [
          await refusal(table.queryIndex({ ...sweep, limit: 0 })),
          await refusal(table.queryIndex({ ...sweep, limit: 1, filter: { attribute: 'sweepAt', value: '1' } })),
          await refusal(table.queryIndex({ ...sweep, limit: 1, sortAtMost: 5, startKey: { pk: 'LIMITS', sk: 'a', sweepShard: 'S#0', sweepAt: 10 } })),
          await refusal(table.queryIndex({ ...sweep, limit: 1, startKey: { pk: 'LIMITS', sk: 'a', sweepShard: 'S#0', sweepAt: '10' } })),
          await refusal(table.queryIndex({ ...sweep, limit: 1, startKey: { pk: 'LIMITS', sk: 'a', sweepShard: 'S#0' } })),
        ];
        expect(answers).toEqual(answers.map(() => validation));
        const ok = await table.queryIndex({ ...sweep, limit: 1, sortAtMost: 5, startKey: { pk: 'LIMITS', sk: 'a', sweepShard: 'S#0', sweepAt: 4 } });
        expect(ok).toEqual({ items: [] });
        return { answers, ok };
      });

      scenario('refuses an item whose index key has the wrong type or is empty, on a put and on an update, writing nothing', async ({ table }) => {
        const key = { pk: 'LIMITS', sk: 'index-keys' };
        await table.write({ type: 'put', key, item: { v: 1 }, guards: [] });
        const answers = [
          await refusal(table.write({ type: 'put', key: { pk: 'LIMITS', sk: 'bad-put' }, item: { sweepShard: 'S#1', sweepAt: 'soon' }, guards: [] })),
          await refusal(table.write({ type: 'put', key: { pk: 'LIMITS', sk: 'empty-put' }, item: { kind: '', kindKey: 'x' }, guards: [] })),
          await refusal(table.write({ type: 'update', key, set: { sweepShard: 'S#1', sweepAt: 'later' }, guards: [] })),
          await refusal(table.write({ type: 'update', key, set: { procStatus: 7 }, guards: [] })),
        ];
        // In a transaction, the invalid item cancels it (reason ValidationError), and nothing is written.
        const good: ItemWrite = { type: 'put', key: { pk: 'LIMITS', sk: 'good-tx' }, item: { v: 2 }, guards: [] };
        const inTransaction = [
          await refusal(table.transact([good, { type: 'put', key: { pk: 'LIMITS', sk: 'bad-tx' }, item: { createdKey: 1 }, guards: [] }])),
          await refusal(table.transact([good, { type: 'update', key, set: { kindKey: 2 }, guards: [] }])),
        ];
        expect(answers).toEqual(answers.map(() => validation));
        expect(inTransaction).toEqual(inTransaction.map(() => ({ name: 'TransactionCanceledException' })));
        const written = await table.getMany(['bad-put', 'empty-put', 'good-tx', 'bad-tx'].map((sk) => ({ pk: 'LIMITS', sk })));
        expect(written).toEqual([]);
        expect(await table.get(key)).toEqual({ ...key, v: 1 });
        return { answers, inTransaction };
      });

      scenario('refuses an empty key', async ({ table }) => {
        const answers = [
          await refusal(table.get({ pk: '', sk: 'x' })),
          await refusal(table.write({ type: 'put', key: { pk: 'LIMITS', sk: '' }, item: {}, guards: [] })),
          await refusal(table.getMany([{ pk: '', sk: 'x' }])),
        ];
        expect(answers).toEqual(answers.map(() => validation));
        return answers;
      });
    });

    group('the 400 KB item size limit', (scenario) => {
      // Size = attribute names + values: 'pk' + 'SIZE' + 'sk' + sk (1 char) + 'blob' + the blob.
      const overhead = 'pk'.length + 'SIZE'.length + 'sk'.length + 1 + 'blob'.length;
      const item = (sk: string, bytes: number): ItemWrite => ({ type: 'put', key: { pk: 'SIZE', sk }, item: { blob: 'x'.repeat(bytes - overhead) }, guards: [] });

      scenario('accepts an item of exactly 400 KB and refuses one byte more with ItemTooLargeError, writing nothing', async ({ table }) => {
        const exact = await table.write(item('a', MAX_ITEM_BYTES));
        const over = table.write(item('b', MAX_ITEM_BYTES + 1));
        await expect(over).rejects.toBeInstanceOf(ItemTooLargeError);
        expect(exact).toEqual({ ok: true });
        expect(await table.get({ pk: 'SIZE', sk: 'b' })).toBeUndefined();
        return { exact, over: await refusal(over) };
      });

      scenario('refuses an update that grows an item past 400 KB, leaving it as it was', async ({ table }) => {
        await table.write(item('c', MAX_ITEM_BYTES - 10));
        const grown = table.write({ type: 'update', key: { pk: 'SIZE', sk: 'c' }, set: { more: 'y'.repeat(64) }, guards: [] });
        await expect(grown).rejects.toBeInstanceOf(ItemTooLargeError);
        const after = await table.get({ pk: 'SIZE', sk: 'c' });
        expect(after?.more).toBeUndefined();
        return refusal(grown);
      });

      scenario('refuses a transaction with an item past 400 KB as a whole, put or update', async ({ table }) => {
        await table.write(item('d', MAX_ITEM_BYTES - 10));
        const small: ItemWrite = { type: 'put', key: { pk: 'SIZE', sk: 'e' }, item: { v: 1 }, guards: [] };
        const withPut = await refusal(table.transact([small, item('f', MAX_ITEM_BYTES + 1)]));
        const withUpdate = await refusal(table.transact([small, { type: 'update', key: { pk: 'SIZE', sk: 'd' }, set: { more: 'y'.repeat(64) }, guards: [] }]));
        expect([withPut, withUpdate]).toEqual([{ name: 'ItemTooLargeError' }, { name: 'ItemTooLargeError' }]);
        expect(await table.getMany([{ pk: 'SIZE', sk: 'e' }, { pk: 'SIZE', sk: 'f' }])).toEqual([]);
        expect((await table.get({ pk: 'SIZE', sk: 'd' }))?.more).toBeUndefined();
        return [withPut, withUpdate];
      });
    });
  });
}

/** A task as `claim` leaves it. */
function running(task: string, leaseToken: string, now = T0): Record<string, unknown> {
  return scheduledItem(task, { status: 'RUNNING', leaseToken, workerId: 'worker-1', claimedAt: iso(now), sweepReason: 'lease', leaseExpiresAt: now + TIMEOUT_SECONDS * 1000, attemptDeadline: now + 1_000_000_000_000 });
}
