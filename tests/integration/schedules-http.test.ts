import { Cron } from 'croner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScheduler } from '#app/run-scheduler.ts';
import { startTestApi, type TestApi } from '../support/api.ts';
import { TestClock, testDeps } from '../support/core-harness.ts';
import { createIsolatedResources } from '../support/resources.ts';
import type { LocalResources } from '../../local/create-resources.ts';

/** Schedules over HTTP on DynamoDB Local: PUT, GET, trigger, backfill, bad specs, and the scheduler finding due ones through the index. */

const MINUTE = 60_000;
interface Fire {
  scheduledAt: string;
  outcome: string;
  processId?: string;
  source: string;
}
interface Schedule {
  name: string;
  nextFireTimes: string[];
  fires: Fire[];
  nextToken?: string;
}

describe('schedules over HTTP on DynamoDB Local', () => {
  let api: TestApi;
  let resources: LocalResources;
  const definition = `sched-http-${Date.now()}`;

  beforeAll(async () => {
    resources = await createIsolatedResources('schedules-http');
    api = await startTestApi({ resources });
    expect((await api.request('PUT', `/definitions/${definition}`, { tasks: [{ name: 'Work' }] })).status).toBe(201);
  });
  afterAll(() => api?.close());

  async function processCount(): Promise<number> {
    const res = await api.request<{ items: unknown[] }>('GET', `/processes?definition=${definition}&limit=100`);
    return res.body.items.length;
  }

  it('PUT creates, GET shows the next 5 times, bad specs get 400 naming the field, unknown definitions 404', async () => {
    const put = await api.request<Schedule>('PUT', '/schedules/every-minute', { definition, every: '1m', overlap: 'allowAll' });
    expect(put.status).toBe(201);
    expect(put.body.nextFireTimes).toHaveLength(5);
    expect(Date.parse(put.body.nextFireTimes[1]!) - Date.parse(put.body.nextFireTimes[0]!)).toBe(MINUTE);
    expect((await api.request('PUT', '/schedules/every-minute', { definition, every: '1m', overlap: 'allowAll' })).status).toBe(200);
    const bad = await api.request<{ error: { code: string; details: { path: string }[] } }>('PUT', '/schedules/bad', { definition, cron: '0 25 * * *' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('InvalidSchedule');
    expect(bad.body.error.details.map((d) => d.path)).toEqual(['body.cron']);
    const zone = await api.request<{ error: { code: string; details: { path: string }[] } }>('PUT', '/schedules/bad', { definition, cron: '0 2 * * *', timezone: 'Nowhere/Else' });
    expect(zone.body.error.details.map((d) => d.path)).toEqual(['body.timezone']);
    expect((await api.request('PUT', '/schedules/bad', { definition: 'no-such-definition', every: '1m' })).status).toBe(404);
    expect((await api.request('GET', '/schedules/bad')).status).toBe(404);
    const list = await api.request<{ items: { name: string }[] }>('GET', '/schedules');
    expect(list.body.items.map((s) => s.name)).toContain('every-minute');
  });

  it('a backfill over 10 minutes fires 10 times, and a repeat fires none', async () => {
    expect((await api.request('PUT', '/schedules/backfilled', { definition, every: '1m', paused: true })).status).toBe(201);
    const start = Math.floor((Date.now() - 60 * MINUTE) / MINUTE) * MINUTE;
    const range = { from: new Date(start).toISOString(), to: new Date(start + 10 * MINUTE).toISOString() };
    const first = await api.request('POST', '/schedules/backfilled/backfill', range);
    expect(first).toMatchObject({ status: 200, body: { fired: 10, done: true } });
    const before = await processCount();
    const again = await api.request('POST', '/schedules/backfilled/backfill', range);
    expect(again).toMatchObject({ status: 200, body: { done: true } });
    expect(await processCount()).toBe(before);
    const view = await api.request<Schedule>('GET', '/schedules/backfilled?limit=5');
    expect(view.body.fires.map((f) => f.outcome)).toEqual(['started', 'started', 'started', 'started', 'started']);
    const older = await api.request<Schedule>('GET', `/schedules/backfilled?limit=5&nextToken=${view.body.nextToken}`);
    expect(older.body.fires.at(-1)?.scheduledAt).toBe(range.from);
    expect(new Set([...view.body.fires, ...older.body.fires].map((f) => f.processId)).size).toBe(10);
  });

  it('next fire times in America/New_York across the March DST change match croner', async () => {
    const cron = '30 2 * 3 0';
    const before = Date.now();
    const put = await api.request<Schedule>('PUT', '/schedules/march-sundays', { definition, cron, timezone: 'America/New_York' });
    const expected = new Cron(cron, { timezone: 'America/New_York', paused: true }).nextRuns(5, new Date(before)).map((d) => d.toISOString());
    expect(put.body.nextFireTimes).toEqual(expected);
    // The second Sunday of March has no 02:30 in New York: croner (and so the schedule) fires at 03:00 EDT, 07:00Z.
    expect(put.body.nextFireTimes.some((t) => t.endsWith('T07:00:00.000Z'))).toBe(true);
    expect((await api.request('DELETE', '/schedules/march-sundays')).status).toBe(200);
  });

  it('overlap over HTTP: skip records skipped, cancelOther cancels the running process, bufferOne starts the buffered fire once the previous ended', async () => {
    const outcomes = async (name: string): Promise<Fire[]> => (await api.request<Schedule>('GET', `/schedules/${name}`)).body.fires.reverse();
    for (const overlap of ['skip', 'cancelOther', 'bufferOne']) {
      expect((await api.request('PUT', `/schedules/ov-${overlap}`, { definition, every: '1d', overlap })).status).toBe(201);
      expect((await api.request('POST', `/schedules/ov-${overlap}/trigger`)).status).toBe(200);
      expect((await api.request('POST', `/schedules/ov-${overlap}/trigger`)).status).toBe(200);
    }
    expect((await outcomes('ov-skip')).map((f) => f.outcome)).toEqual(['started', 'skipped']);
    const [first, second] = await outcomes('ov-cancelOther');
    expect(second).toMatchObject({ outcome: 'cancelledOther', cancelled: first!.processId });
    expect((await api.request<{ status: string }>('GET', `/processes/${first!.processId}`)).body.status).toBe('CANCELLED');
    expect((await api.request<{ status: string }>('GET', `/processes/${second!.processId}`)).body.status).toBe('RUNNING');
    const [running, buffered] = await outcomes('ov-bufferOne');
    expect(buffered!.outcome).toBe('buffered');
    expect((await api.request('POST', `/processes/${running!.processId}/cancel`, {})).status).toBe(200);
    // The next tick (deployed: within a minute) sees the previous process ended and starts the buffered fire.
    const stats = await runScheduler(testDeps(resources, new TestClock(Date.now() + 2 * MINUTE)));
    expect(stats.errors).toBe(0);
    const after = await outcomes('ov-bufferOne');
    expect(after[1]).toMatchObject({ outcome: 'started', processId: buffered!.processId });
    expect((await api.request<{ status: string }>('GET', `/processes/${buffered!.processId}`)).body.status).toBe('RUNNING');
  });

  it('trigger fires now; the scheduler finds a due schedule through the index and fires it once', async () => {
    const trigger = await api.request<Fire>('POST', '/schedules/every-minute/trigger');
    expect(trigger).toMatchObject({ status: 200, body: { outcome: 'started', source: 'trigger' } });
    const clock = new TestClock(Date.now() + 2 * MINUTE);
    const deps = testDeps(resources, clock);
    const stats = await runScheduler(deps);
    expect(stats.errors).toBe(0);
    // A duplicated tick at the same time fires nothing more.
    expect(await runScheduler(testDeps(resources, clock))).toMatchObject({ fired: 0, errors: 0 });
    const view = await api.request<Schedule>('GET', '/schedules/every-minute');
    // Only the scheduler makes clock fires (this run, or the earlier test's run at the same time).
    expect(view.body.fires.filter((f) => f.source === 'clock').length).toBeGreaterThanOrEqual(2);
    expect((await api.request('DELETE', '/schedules/every-minute')).status).toBe(200);
    expect((await api.request('GET', '/schedules/every-minute')).status).toBe(404);
  });
});
