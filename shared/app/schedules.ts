import { canonicalJson } from '#domain/canonical-json.ts';
import { ConcurrencyConflictError, InvalidScheduleError, ScheduleNotFoundError, ValidationError } from '#domain/errors.ts';
import { nextFireAfter, nextFires, scheduleSpecProblems } from '#domain/schedule-spec.ts';
import { isDeletedSchedule, isPausedSchedule } from '#domain/schedule-transitions.ts';
import {
  PutScheduleBodySchema,
  StoredSpecSchema,
  type BackfillBody,
  type BackfillCursor,
  type ScheduleItem,
  type ScheduleView,
} from '#schemas/schedules.ts';
import type { z } from 'zod';
import { getDefinition } from './definitions.ts';
import type { AppDeps } from './deps.ts';
import { outcomeOf, stepSchedule } from './fire-schedule.ts';
import { checkProcessInput } from './input-validation.ts';
import type { ScheduleFireState } from './ports.ts';
import { instant } from './timestamps.ts';

type StoredSpec = z.output<typeof StoredSpecSchema>;
/** How many clock fire times a view shows. */
const NEXT_TIMES_SHOWN = 5;

/**
 * PUT /schedules/{name}: creates the schedule, or replaces its spec. A changed
 * spec is a new generation (fires of the new spec get new idempotency keys)
 * whose clock fires start at the first time after now; the same spec with
 * another `paused` only pauses or resumes it; the same spec again changes
 * nothing. Bad specs are a 400 InvalidSchedule naming each field; an unknown
 * definition or version is a 404.
 *
 * @example
 * await putSchedule(deps, 'nightly', { definition: 'export', cron: '0 2 * * *', timezone: 'Europe/Paris' });
 */
export async function putSchedule(deps: AppDeps, name: string, raw: unknown): Promise<{ created: boolean; schedule: ScheduleView }> {
  const parsed = PutScheduleBodySchema.safeParse(raw);
  if (!parsed.success) throw new InvalidScheduleError(parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })));
  const { paused, ...spec } = parsed.data;
  const problems = scheduleSpecProblems(spec);
  if (problems.length > 0) throw new InvalidScheduleError(problems.map((p) => ({ path: `body.${p.path}`, message: p.message })));
  const def = await getDefinition(deps, spec.definition, spec.version);
  try {
    checkProcessInput(def, spec.input ?? null);
  } catch (e) {
    if (e instanceof ValidationError) throw new InvalidScheduleError((e.details ?? []).map((p) => ({ path: `body${(p.path ?? '').replaceAll('/', '.')}`, message: p.message })), { cause: e });
    throw e;
  }
  const specJson = canonicalJson(spec);
  const at = instant(deps);
  const current = await deps.schedules.get({ name });
  const live = current && !isDeletedSchedule(current.status) ? current : undefined;
  if (live && live.specJson === specJson) {
    if (isPausedSchedule(live.status) === paused) return { created: false, schedule: await viewOf(deps, live) };
    return { created: false, schedule: await (paused ? pauseSchedule : resumeSchedule)(deps, name) };
  }
  const nextFireAt = paused ? undefined : nextFireAfter(spec, at.now);
  const written = await deps.schedules.putSpec({
    spec: {
      name,
      paused,
      generation: (current?.generation ?? 0) + 1,
      specJson,
      iso: at.iso,
      ...(nextFireAt === undefined ? {} : { nextFireAt, dueAt: nextFireAt }),
    },
    ...(current ? { current } : {}),
  });
  if (!written.ok) throw new ConcurrencyConflictError(`schedule '${name}'`);
  return { created: !live, schedule: await viewOf(deps, written.item) };
}

/** GET /schedules/{name}: the spec, the next fire times and one page of fires, newest first. */
export async function getSchedule(deps: AppDeps, name: string, page: { limit?: number; nextToken?: string } = {}): Promise<ScheduleView> {
  return viewOf(deps, await liveSchedule(deps, name), page);
}

/** GET /schedules: by name, without their fires. */
export async function listSchedules(deps: AppDeps, query: { limit: number; nextToken?: string }): Promise<{ items: Omit<ScheduleView, 'fires' | 'nextToken'>[]; nextToken?: string }> {
  const page = await deps.schedules.list(query);
  return { items: page.items.filter((i) => !isDeletedSchedule(i.status)).map((i) => summaryOf(i)), ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

/** DELETE /schedules/{name}: no more fires; processes it started run on. The fire records expire with their TTL. */
export async function deleteSchedule(deps: AppDeps, name: string): Promise<void> {
  const current = await liveSchedule(deps, name);
  const at = instant(deps);
  // The tombstone outlives every process its fires could have started, so a later PUT never reuses a key.
  const expiresAt = at.expiresAt + deps.settings.maxProcessSeconds;
  const written = await deps.schedules.delete({ current, iso: at.iso, expiresAt });
  if (!written.ok) throw new ConcurrencyConflictError(`schedule '${name}'`);
}

/** POST /schedules/{name}/pause: no clock fires until resume. Idempotent. */
export async function pauseSchedule(deps: AppDeps, name: string): Promise<ScheduleView> {
  const current = await liveSchedule(deps, name);
  if (isPausedSchedule(current.status)) return viewOf(deps, current);
  const at = instant(deps);
  const state = keptState(current, { nextFireAt: undefined }, at.now);
  const written = await deps.schedules.setState({ current, event: 'pause', state, iso: at.iso });
  if (!written.ok) throw new ConcurrencyConflictError(`schedule '${name}'`);
  return viewOf(deps, written.item);
}

/** POST /schedules/{name}/resume: clock fires from the first time after now (a pause is not caught up). Idempotent. */
export async function resumeSchedule(deps: AppDeps, name: string): Promise<ScheduleView> {
  const current = await liveSchedule(deps, name);
  if (!isPausedSchedule(current.status)) return viewOf(deps, current);
  const at = instant(deps);
  const nextFireAt = nextFireAfter(specOf(current), at.now);
  const state = keptState(current, { nextFireAt }, at.now);
  const written = await deps.schedules.setState({ current, event: 'resume', state, iso: at.iso });
  if (!written.ok) throw new ConcurrencyConflictError(`schedule '${name}'`);
  return viewOf(deps, written.item);
}

/** POST /schedules/{name}/trigger: one fire now, through the overlap policy (also while paused). */
export async function triggerSchedule(deps: AppDeps, name: string): Promise<ScheduleView['fires'][number]> {
  await liveSchedule(deps, name);
  const step = await stepSchedule(deps, name, { trigger: true });
  if (!step?.triggered) throw new ScheduleNotFoundError(name);
  return fireView(step.triggered);
}

/**
 * POST /schedules/{name}/backfill: every time of the spec in [from, to), in order, through the same path as a
 * clock fire, with `overlap` (default allowAll). This call fires what its budget allows; the scheduler finishes
 * the rest from the cursor it records, so a year of minutes never runs in one call. A repeat fires nothing new.
 */
export async function backfillSchedule(deps: AppDeps, name: string, body: BackfillBody): Promise<{ name: string; fired: number; done: boolean; next?: string }> {
  await liveSchedule(deps, name);
  const from = Date.parse(body.from);
  const to = Date.parse(body.to);
  if (!(from < to)) throw new ValidationError('from must be before to', [{ path: 'body.to', message: 'to must be after from' }]);
  if (to > deps.now()) throw new ValidationError('a backfill cannot reach into the future', [{ path: 'body.to', message: 'to must not be in the future' }]);
  const backfill: Omit<BackfillCursor, 'next'> = { from, to, overlap: body.overlap ?? 'allowAll' };
  const step = await stepSchedule(deps, name, { backfill });
  if (!step) throw new ScheduleNotFoundError(name);
  const fired = step.fired.filter((f) => f.source === 'backfill').length;
  const cursor = step.schedule.backfillJson === undefined ? undefined : (JSON.parse(step.schedule.backfillJson) as BackfillCursor);
  return { name, fired, done: cursor === undefined, ...(cursor === undefined ? {} : { next: new Date(cursor.next).toISOString() }) };
}

async function liveSchedule(deps: AppDeps, name: string): Promise<ScheduleItem> {
  const current = await deps.schedules.get({ name });
  if (!current || isDeletedSchedule(current.status)) throw new ScheduleNotFoundError(name);
  return current;
}

function specOf(item: ScheduleItem): StoredSpec {
  return StoredSpecSchema.parse(JSON.parse(item.specJson));
}

/** The fire state kept across a pause or resume, with the clock part replaced; due again when anything is owed. */
function keptState(item: ScheduleItem, clock: { nextFireAt: number | undefined }, now: number): ScheduleFireState {
  const owed = (item.buffered?.length ?? 0) > 0 || item.backfillJson !== undefined;
  const due = [clock.nextFireAt, owed ? now : undefined].filter((d): d is number => d !== undefined);
  return {
    ...(clock.nextFireAt === undefined ? {} : { nextFireAt: clock.nextFireAt }),
    ...(item.running === undefined ? {} : { running: item.running }),
    ...(item.buffered === undefined ? {} : { buffered: item.buffered }),
    ...(item.backfillJson === undefined ? {} : { backfill: JSON.parse(item.backfillJson) as BackfillCursor }),
    ...(due.length === 0 ? {} : { dueAt: Math.min(...due) }),
  };
}

function summaryOf(item: ScheduleItem): Omit<ScheduleView, 'fires' | 'nextToken'> {
  const spec = specOf(item);
  const iso = (t: number): string => new Date(t).toISOString();
  const cursor = item.backfillJson === undefined ? undefined : (JSON.parse(item.backfillJson) as BackfillCursor);
  return {
    name: item.name,
    status: isPausedSchedule(item.status) ? 'paused' : 'active',
    generation: item.generation,
    spec,
    nextFireTimes: item.nextFireAt === undefined ? [] : nextFires(spec, item.nextFireAt - 1, NEXT_TIMES_SHOWN).map(iso),
    ...(item.running === undefined ? {} : { running: item.running }),
    ...(item.buffered === undefined || item.buffered.length === 0 ? {} : { buffered: item.buffered.map(iso) }),
    ...(cursor === undefined ? {} : { backfill: { from: iso(cursor.from), to: iso(cursor.to), next: iso(cursor.next), overlap: cursor.overlap } }),
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
  };
}

async function viewOf(deps: AppDeps, item: ScheduleItem, page: { limit?: number; nextToken?: string } = {}): Promise<ScheduleView> {
  const fires = await deps.schedules.fires({ name: item.name, limit: page.limit ?? 20, ...(page.nextToken === undefined ? {} : { nextToken: page.nextToken }) });
  return { ...summaryOf(item), fires: fires.items.map(fireView), ...(fires.nextToken ? { nextToken: fires.nextToken } : {}) };
}

function fireView(fire: Parameters<typeof outcomeOf>[0]): ScheduleView['fires'][number] {
  return {
    scheduledAt: new Date(fire.scheduledAt).toISOString(),
    outcome: outcomeOf(fire),
    ...(fire.processId === undefined ? {} : { processId: fire.processId }),
    ...(fire.cancelled === undefined ? {} : { cancelled: fire.cancelled }),
    firedAt: fire.firedAt,
    source: fire.source,
    ...(fire.message === undefined ? {} : { message: fire.message }),
  };
}
