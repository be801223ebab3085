import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScheduleStore } from '#app/ports.ts';
import { dynamoAdapter, memoryAdapter, type Adapter, type AdapterFactory } from './adapters.ts';
import { Observations } from './observations.ts';

/**
 * The schedule store's contract, on both adapters: conditional writes locked
 * on `ver`, fire decisions written once, the due index, paging newest first.
 * Both must pass, and then answer every scenario alike.
 */
const seen = new Observations();
const T0 = Date.UTC(2026, 0, 1);
const iso = new Date(T0).toISOString();
const spec = (name: string, dueAt?: number) => ({ name, paused: false, generation: 1, specJson: '{"every":"1m"}', iso, ...(dueAt === undefined ? {} : { nextFireAt: dueAt, dueAt }) });
const decision = (scheduledAt: number, event: 'start' | 'skip' | 'buffer' = 'start') => ({ event, scheduledAt, firedAt: iso, source: 'clock' as const, processId: `p-${scheduledAt}`, expiresAt: 1 });

const SCENARIOS = ['locked writes', 'due index', 'fire decided once', 'paging and listing'];

function defineScheduleContract(name: string, factory: AdapterFactory): void {
  for (const title of SCENARIOS) seen.declare(title);
  describe(`schedule store contract: ${name}`, () => {
    let adapter: Adapter;
    let store: ScheduleStore;
    beforeAll(async () => {
      adapter = await factory();
      store = adapter.stores.schedules;
    });
    afterAll(() => adapter?.close());

    it('creates once; later writes are locked on ver and a stale one gets the current item back', async () => {
      const created = await store.putSpec({ spec: spec('a', T0 + 60_000) });
      expect(created.ok).toBe(true);
      const again = await store.putSpec({ spec: spec('a') });
      expect(again).toMatchObject({ ok: false, current: { name: 'a', ver: 1 } });
      const current = (await store.get({ name: 'a' }))!;
      const moved = await store.setState({ current, event: 'advance', state: { nextFireAt: T0 + 120_000, running: 'p-1', buffered: [T0], dueAt: T0 + 120_000 }, iso });
      expect(moved).toMatchObject({ ok: true, item: { ver: 2, running: 'p-1', buffered: [T0], nextFireAt: T0 + 120_000 } });
      const stale = await store.setState({ current, event: 'advance', state: {}, iso });
      expect(stale).toMatchObject({ ok: false, current: { ver: 2 } });
      const paused = await store.setState({ current: (await store.get({ name: 'a' }))!, event: 'pause', state: {}, iso });
      expect(paused).toMatchObject({ ok: true, item: { status: 'PAUSED', ver: 3 } });
      expect(paused.ok && paused.item.running).toBeUndefined();
      const wrong = await store.setState({ current: (await store.get({ name: 'a' }))!, event: 'pause', state: {}, iso });
      expect(wrong.ok).toBe(false);
      seen.record(name, 'locked writes', [created.ok, again.ok, moved.ok, stale.ok, paused.ok, wrong.ok]);
    });

    it('the due index answers what is due, and nothing once the entry is gone', async () => {
      await store.putSpec({ spec: spec('due-1', T0 + 1000) });
      await store.putSpec({ spec: spec('due-2', T0 + 5000) });
      await store.putSpec({ spec: spec('not-due') });
      const due = await store.due({ now: T0 + 2000, maxItems: 10 });
      expect(due).toContain('due-1');
      expect(due).not.toContain('due-2');
      expect(due).not.toContain('not-due');
      const d1 = (await store.get({ name: 'due-1' }))!;
      await store.setState({ current: d1, event: 'advance', state: {}, iso });
      const later = await store.due({ now: T0 + 10_000, maxItems: 10 });
      expect(later).toContain('due-2');
      expect(later).not.toContain('due-1');
      seen.record(name, 'due index', [due.filter((n) => n.startsWith('due')).sort(), later.filter((n) => n.startsWith('due')).sort()]);
    });

    it('a fire is decided once: a second decision gets the first back; a buffered one starts once', async () => {
      const first = await store.decide({ name: 'f', decision: decision(T0, 'buffer') });
      const second = await store.decide({ name: 'f', decision: decision(T0, 'skip') });
      expect(first).toMatchObject({ ok: true, item: { status: 'BUFFERED' } });
      expect(second).toMatchObject({ ok: false, current: { status: 'BUFFERED', processId: `p-${T0}` } });
      const started = await store.updateFire({ name: 'f', scheduledAt: T0, change: { event: 'startBuffered', firedAt: iso } });
      const twice = await store.updateFire({ name: 'f', scheduledAt: T0, change: { event: 'startBuffered', firedAt: iso } });
      expect(started).toMatchObject({ ok: true, item: { status: 'STARTED' } });
      expect(twice).toMatchObject({ ok: false, current: { status: 'STARTED' } });
      seen.record(name, 'fire decided once', [first.ok, second.ok, started.ok, twice.ok]);
    });

    it('pages fires newest first, and lists live schedules by name', async () => {
      for (let i = 0; i < 5; i++) await store.decide({ name: 'paged', decision: decision(T0 + i * 60_000) });
      const one = await store.fires({ name: 'paged', limit: 3 });
      const two = await store.fires({ name: 'paged', limit: 3, nextToken: one.nextToken! });
      const times = [...one.items, ...two.items].map((f) => f.scheduledAt);
      expect(times).toEqual([4, 3, 2, 1, 0].map((i) => T0 + i * 60_000));
      await store.delete({ current: (await store.get({ name: 'not-due' }))!, iso, expiresAt: 1 });
      const names = (await store.list({ limit: 100 })).items.map((s) => s.name);
      expect(names).toEqual(['a', 'due-1', 'due-2']);
      seen.record(name, 'paging and listing', [times, names]);
    });
  });
}

defineScheduleContract('dynamodb', dynamoAdapter('schedules-contract'));
defineScheduleContract('memory', memoryAdapter());
seen.defineAgreement('the in-memory schedule store answers every scenario as the DynamoDB one does', ['dynamodb', 'memory']);
