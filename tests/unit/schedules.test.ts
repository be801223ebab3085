import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { cancelProcess } from '#app/end-process.ts';
import { backfillSchedule, deleteSchedule, getSchedule, listSchedules, pauseSchedule, putSchedule, resumeSchedule, triggerSchedule } from '#app/schedules.ts';
import { InvalidScheduleError, DefinitionNotFoundError, ScheduleNotFoundError } from '#domain/errors.ts';
import { PROCESS_STATUS } from '#domain/status-predicates.ts';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';

/** Schedules on the test engine, with the virtual clock: overlap policies, catch-up, DST, backfill, pause, trigger. */

const ONE_TASK = 'tasks:\n  - name: Work\n';
const MINUTE = 60_000;

async function engineWith(startAt = '2026-01-01T00:00:00Z'): Promise<TestEngine> {
  const engine = createTestEngine({ startAt: new Date(startAt), scheduler: true });
  await engine.client.putDefinition('job', ONE_TASK);
  return engine;
}

/** Every process of the engine, by status. */
async function processes(engine: TestEngine): Promise<{ id: string; status: string }[]> {
  const all: { id: string; status: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await engine.deps.processes.list({ limit: 100, ...(nextToken ? { nextToken } : {}) });
    all.push(...page.items.map((p) => ({ id: p.id, status: p.status })));
    nextToken = page.nextToken;
  } while (nextToken);
  return all;
}

async function outcomes(engine: TestEngine, name: string): Promise<string[]> {
  const view = await getSchedule(engine.deps, name, { limit: 100 });
  return view.fires.map((f) => f.outcome).reverse();
}

describe('schedules on the test engine', () => {
  it('a day of every 5m fires 288 processes, one per time', async () => {
    const engine = await engineWith();
    engine.worker({ handler: async () => ({ ok: true }) });
    await putSchedule(engine.deps, 'five', { definition: 'job', every: '5m' });
    for (let i = 0; i < 288; i++) await engine.advance(5 * MINUTE);
    const all = await processes(engine);
    expect(all).toHaveLength(288);
    expect(new Set(all.map((p) => p.id)).size).toBe(288);
    const view = await getSchedule(engine.deps, 'five', { limit: 3 });
    expect(view.fires.map((f) => f.scheduledAt)).toEqual(['2026-01-02T00:00:00.000Z', '2026-01-01T23:55:00.000Z', '2026-01-01T23:50:00.000Z']);
    expect(view.nextToken).toBeDefined();
  });

  it('skip records a skipped fire while the previous process runs, and starts again once it ended', async () => {
    const engine = await engineWith();
    await putSchedule(engine.deps, 's', { definition: 'job', every: '1m', overlap: 'skip' });
    await engine.advance(MINUTE);
    await engine.advance(MINUTE);
    expect(await outcomes(engine, 's')).toEqual(['started', 'skipped']);
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    await engine.advance(MINUTE);
    expect(await outcomes(engine, 's')).toEqual(['started', 'skipped', 'started']);
  });

  it('bufferOne keeps one fire and starts it when the previous process ends; the rest are skipped', async () => {
    const engine = await engineWith();
    await putSchedule(engine.deps, 'b1', { definition: 'job', every: '1m', overlap: 'bufferOne' });
    for (let i = 0; i < 3; i++) await engine.advance(MINUTE);
    expect(await outcomes(engine, 'b1')).toEqual(['started', 'buffered', 'skipped']);
    const [first] = (await getSchedule(engine.deps, 'b1')).fires.slice(-1);
    await cancelProcess(engine.deps, first!.processId!);
    // The next tick sees the end and starts the buffered fire, under its own time's key.
    await engine.advance(MINUTE);
    const view = await getSchedule(engine.deps, 'b1', { limit: 100 });
    const second = view.fires.find((f) => f.scheduledAt === '2026-01-01T00:02:00.000Z')!;
    expect(second.outcome).toBe('started');
    expect((await engine.deps.processes.get({ id: second.processId! }))?.status).toBe(PROCESS_STATUS.running);
  });

  it('bufferAll starts every buffered fire in order, one after another', async () => {
    const engine = await engineWith();
    await putSchedule(engine.deps, 'ba', { definition: 'job', every: '1m', overlap: 'bufferAll' });
    for (let i = 0; i < 3; i++) await engine.advance(MINUTE);
    expect(await outcomes(engine, 'ba')).toEqual(['started', 'buffered', 'buffered']);
    // No more clock fires: the buffered ones drain, one a tick, each once the one before has ended.
    await pauseSchedule(engine.deps, 'ba');
    engine.worker({ handler: async () => ({}) });
    for (let i = 0; i < 4; i++) await engine.advance(MINUTE);
    const view = await getSchedule(engine.deps, 'ba', { limit: 100 });
    const early = view.fires.filter((f) => f.scheduledAt <= '2026-01-01T00:03:00.000Z');
    expect(early.map((f) => f.outcome)).toEqual(['started', 'started', 'started']);
    expect(view.buffered).toBeUndefined();
  });

  it('cancelOther cancels the running process and starts the new one', async () => {
    const engine = await engineWith();
    await putSchedule(engine.deps, 'co', { definition: 'job', every: '1m', overlap: 'cancelOther' });
    await engine.advance(MINUTE);
    await engine.advance(MINUTE);
    const view = await getSchedule(engine.deps, 'co');
    const [second, first] = view.fires;
    expect(second!.outcome).toBe('cancelledOther');
    expect(second!.cancelled).toBe(first!.processId);
    expect((await engine.deps.processes.get({ id: first!.processId! }))?.status).toBe(PROCESS_STATUS.cancelled);
    expect((await engine.deps.processes.get({ id: second!.processId! }))?.status).toBe(PROCESS_STATUS.running);
  });

  it('allowAll starts every fire', async () => {
    const engine = await engineWith();
    await putSchedule(engine.deps, 'aa', { definition: 'job', every: '1m', overlap: 'allowAll' });
    for (let i = 0; i < 3; i++) await engine.advance(MINUTE);
    expect(await outcomes(engine, 'aa')).toEqual(['started', 'started', 'started']);
  });

  it('after an outage, fires inside the catch-up window start late and older ones are missed', async () => {
    const engine = createTestEngine({ startAt: new Date('2026-01-01T00:00:00Z') });
    await engine.client.putDefinition('job', ONE_TASK);
    await putSchedule(engine.deps, 'cu', { definition: 'job', every: '1m', overlap: 'allowAll', catchupWindowSeconds: 120 });
    // The scheduler is down for 5 minutes: times 00:01..00:05 are due, 00:01 and 00:02 more than 120 s late.
    await engine.advance(5 * MINUTE);
    const stats = await engine.fireSchedules();
    expect(stats).toMatchObject({ fired: 5, errors: 0 });
    expect(await outcomes(engine, 'cu')).toEqual(['missed', 'missed', 'started', 'started', 'started']);
  });

  it('next fire times in America/New_York across the March DST change match croner', async () => {
    const engine = await engineWith('2026-03-06T12:00:00Z');
    const view = (await putSchedule(engine.deps, 'ny', { definition: 'job', cron: '30 2 * * *', timezone: 'America/New_York' })).schedule;
    const croner = new Cron('30 2 * * *', { timezone: 'America/New_York', paused: true }).nextRuns(5, new Date('2026-03-06T12:00:00Z'));
    expect(view.nextFireTimes).toEqual(croner.map((d) => d.toISOString()));
    // 2:30 does not exist on March 8th: croner fires at 3:00 EDT (07:00Z).
    expect(view.nextFireTimes).toContain('2026-03-08T07:00:00.000Z');
    // And the fires happen at those instants.
    await engine.advance(3 * 24 * 60 * MINUTE);
    const fired = (await getSchedule(engine.deps, 'ny')).fires.map((f) => f.scheduledAt).reverse();
    expect(fired).toEqual(croner.slice(0, 3).map((d) => d.toISOString()));
  });

  it('a backfill fires every time in [from, to) in order, and a repeat fires none', async () => {
    const engine = await engineWith('2026-01-01T01:00:00Z');
    await putSchedule(engine.deps, 'bf', { definition: 'job', every: '1m', paused: true });
    const body = { from: '2026-01-01T00:00:00Z', to: '2026-01-01T00:10:00Z' };
    expect(await backfillSchedule(engine.deps, 'bf', body)).toEqual({ name: 'bf', fired: 10, done: true });
    expect(await processes(engine)).toHaveLength(10);
    const fires = (await getSchedule(engine.deps, 'bf', { limit: 100 })).fires.reverse();
    expect(fires.map((f) => f.scheduledAt)).toEqual(Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()));
    expect(fires.every((f) => f.outcome === 'started' && f.source === 'backfill')).toBe(true);
    expect(await backfillSchedule(engine.deps, 'bf', body)).toMatchObject({ fired: 10, done: true });
    expect(await processes(engine)).toHaveLength(10);
  });

  it('a long backfill is budgeted: the call fires a part, the scheduler finishes from the cursor', async () => {
    const engine = await engineWith('2026-01-02T00:00:00Z');
    await putSchedule(engine.deps, 'long', { definition: 'job', every: '1m', paused: true });
    const first = await backfillSchedule(engine.deps, 'long', { from: '2026-01-01T00:00:00Z', to: '2026-01-01T10:00:00Z' });
    expect(first.done).toBe(false);
    expect(first.fired).toBeLessThan(600);
    expect((await getSchedule(engine.deps, 'long')).backfill?.next).toBe(first.next);
    await engine.runUntilIdle();
    expect(await processes(engine)).toHaveLength(600);
    expect((await getSchedule(engine.deps, 'long')).backfill).toBeUndefined();
  });

  it('pause stops clock fires, resume fires from the next time on (no catch-up), trigger fires now', async () => {
    const engine = await engineWith();
    await putSchedule(engine.deps, 'p', { definition: 'job', every: '1m', overlap: 'allowAll' });
    await pauseSchedule(engine.deps, 'p');
    await engine.advance(5 * MINUTE);
    expect(await outcomes(engine, 'p')).toEqual([]);
    const fire = await triggerSchedule(engine.deps, 'p');
    expect(fire).toMatchObject({ outcome: 'started', source: 'trigger', scheduledAt: '2026-01-01T00:05:00.000Z' });
    const resumed = await resumeSchedule(engine.deps, 'p');
    expect(resumed.nextFireTimes[0]).toBe('2026-01-01T00:06:00.000Z');
    await engine.advance(MINUTE);
    expect(await outcomes(engine, 'p')).toEqual(['started', 'started']);
  });

  it('jitter delays each fire by a fixed offset within jitterSeconds', async () => {
    const engine = await engineWith();
    await putSchedule(engine.deps, 'j', { definition: 'job', every: '1h', jitterSeconds: 600, overlap: 'allowAll' });
    await engine.advance(60 * MINUTE);
    const early = (await getSchedule(engine.deps, 'j')).fires.length;
    await engine.advance(10 * MINUTE);
    const late = (await getSchedule(engine.deps, 'j')).fires;
    expect(early + late.length).toBeGreaterThanOrEqual(1);
    expect(late).toHaveLength(1);
    expect(Date.parse(late[0]!.firedAt) - Date.parse(late[0]!.scheduledAt)).toBeLessThanOrEqual(600_000);
  });

  it('a changed spec is a new generation; the same spec again changes nothing; delete stops it', async () => {
    const engine = await engineWith();
    const a = await putSchedule(engine.deps, 'g', { definition: 'job', every: '1m' });
    expect(a).toMatchObject({ created: true, schedule: { generation: 1 } });
    expect(await putSchedule(engine.deps, 'g', { definition: 'job', every: '1m' })).toMatchObject({ created: false, schedule: { generation: 1 } });
    expect(await putSchedule(engine.deps, 'g', { definition: 'job', every: '2m' })).toMatchObject({ created: false, schedule: { generation: 2 } });
    expect((await listSchedules(engine.deps, { limit: 10 })).items.map((s) => s.name)).toEqual(['g']);
    await deleteSchedule(engine.deps, 'g');
    await expect(getSchedule(engine.deps, 'g')).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await listSchedules(engine.deps, { limit: 10 })).items).toEqual([]);
    await engine.advance(5 * MINUTE);
    expect(await processes(engine)).toEqual([]);
    expect(await putSchedule(engine.deps, 'g', { definition: 'job', every: '1m' })).toMatchObject({ created: true, schedule: { generation: 3 } });
  });

  it('bad specs are refused by field; an unknown definition is not found', async () => {
    const engine = await engineWith();
    const problems = async (body: object): Promise<string[]> => {
      const error = await putSchedule(engine.deps, 'bad', body).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidScheduleError);
      return (error as InvalidScheduleError).details.map((d) => d.path ?? '');
    };
    expect(await problems({ definition: 'job', cron: '61 * * * *' })).toEqual(['body.cron']);
    expect(await problems({ definition: 'job', cron: '0 2 * * *', timezone: 'Mars/Olympus' })).toEqual(['body.timezone']);
    expect(await problems({ definition: 'job', every: '30s' })).toEqual(['body.every']);
    expect(await problems({ definition: 'job', every: '1m', overlap: 'terminateAll' })).toEqual(['body.overlap']);
    expect(await problems({ definition: 'job' })).toEqual(['body.cron']);
    expect(await problems({ definition: 'job', every: '1m', cron: '* * * * *' })).toEqual(['body.cron']);
    expect(await problems({ definition: 'job', cron: '* * * * * *' })).toEqual(['body.cron']);
    expect(await problems({ every: '1m' })).toEqual(['body.definition']);
    await expect(putSchedule(engine.deps, 'bad', { definition: 'nope', every: '1m' })).rejects.toBeInstanceOf(DefinitionNotFoundError);
    await expect(putSchedule(engine.deps, 'bad', { definition: 'job', version: 9, every: '1m' })).rejects.toBeInstanceOf(DefinitionNotFoundError);
  });
});
