import { Cron } from 'croner';

/**
 * What a schedule is, and when it fires: pure functions of the spec and an
 * instant given as an argument (no clock here). Cron patterns and time zones
 * are croner's (no cron arithmetic of our own); `every` periods count from
 * the Unix epoch, so `every: "15m"` fires at :00, :15, :30 and :45 of every
 * hour in UTC, whenever the schedule was created.
 */

/** What happens to a fire while the schedule's previous process still runs. */
export const OVERLAP_POLICIES = ['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

/** A schedule as PUT defines it (defaults applied). */
export interface ScheduleSpec {
  readonly definition: string;
  /** Without it, each fire starts the latest version. */
  readonly version?: number;
  readonly cron?: string;
  readonly every?: string;
  /** IANA zone of `cron` (default UTC); `every` ignores it. */
  readonly timezone?: string;
  readonly input?: unknown;
  readonly overlap: OverlapPolicy;
  /** How late a fire may still start, e.g. after an outage; later ones are recorded `missed`. */
  readonly catchupWindowSeconds: number;
  /** Each fire starts up to this much after its scheduled time (a fixed offset per time, from its key). */
  readonly jitterSeconds: number;
}

/** The scheduler ticks once a minute: a catch-up window shorter than that would miss fires on a healthy stack. */
export const MIN_CATCHUP_WINDOW_SECONDS = 60;
export const DEFAULT_CATCHUP_WINDOW_SECONDS = 3600;
/** The most fires `bufferAll` keeps waiting; a fire past it is recorded `skipped`. */
export const MAX_BUFFERED_FIRES = 100;

const EVERY_PATTERN = /^([1-9][0-9]{0,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The period of an `every` spec in ms, or undefined when it is not `<n>m`, `<n>h` or `<n>d`. @example everyMs('15m') // 900000 */
export function everyMs(every: string): number | undefined {
  const m = EVERY_PATTERN.exec(every);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

/** One problem with a spec, by field. */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * What is wrong with the timing fields of a spec (the shapes are zod's): exactly one of `cron` and `every`, a
 * 5-field cron croner reads, a time zone `Intl` knows.
 */
export function scheduleSpecProblems(spec: Pick<ScheduleSpec, 'cron' | 'every' | 'timezone'>): SpecProblem[] {
  const problems: SpecProblem[] = [];
  if ((spec.cron === undefined) === (spec.every === undefined)) problems.push({ path: 'cron', message: 'give exactly one of cron and every' });
  if (spec.every !== undefined && everyMs(spec.every) === undefined) {
    problems.push({ path: 'every', message: `every must be <n>m, <n>h or <n>d with n a whole number from 1 (at least one minute), got '${spec.every}'` });
  }
  if (spec.timezone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: spec.timezone });
    } catch {
      problems.push({ path: 'timezone', message: `unknown time zone '${spec.timezone}' (use an IANA name such as Europe/Paris)` });
    }
    if (spec.every !== undefined) problems.push({ path: 'timezone', message: 'timezone applies to cron only: every counts from the Unix epoch' });
  }
  if (spec.cron !== undefined) {
    const fields = spec.cron.trim().split(/\s+/);
    if (!spec.cron.trim().startsWith('@') && fields.length !== 5) {
      problems.push({ path: 'cron', message: `cron must have 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}` });
    } else {
      try {
        new Cron(spec.cron, { paused: true, ...(problems.some((p) => p.path === 'timezone') || spec.timezone === undefined ? {} : { timezone: spec.timezone }) });
      } catch (e) {
        problems.push({ path: 'cron', message: `invalid cron '${spec.cron}': ${e instanceof Error ? e.message : String(e)}` });
      }
    }
  }
  return problems;
}

/**
 * The first scheduled time strictly after `afterMs` (epoch ms), or undefined when the pattern has none left.
 *
 * @example nextFireAfter({ every: '5m' }, Date.parse('2026-01-01T00:02:00Z')) // 2026-01-01T00:05:00Z
 */
export function nextFireAfter(spec: Pick<ScheduleSpec, 'cron' | 'every' | 'timezone'>, afterMs: number): number | undefined {
  if (spec.every !== undefined) {
    const period = everyMs(spec.every);
    if (period === undefined) return undefined;
    return (Math.floor(afterMs / period) + 1) * period;
  }
  const cron = new Cron(spec.cron ?? '', { paused: true, ...(spec.timezone === undefined ? {} : { timezone: spec.timezone }) });
  return cron.nextRun(new Date(afterMs))?.getTime();
}

/** The next `count` scheduled times strictly after `afterMs`. */
export function nextFires(spec: Pick<ScheduleSpec, 'cron' | 'every' | 'timezone'>, afterMs: number, count: number): number[] {
  const out: number[] = [];
  let at = afterMs;
  while (out.length < count) {
    const next = nextFireAfter(spec, at);
    if (next === undefined) break;
    out.push(next);
    at = next;
  }
  return out;
}

/**
 * The fixed jitter of one scheduled time (ms, 0 to `jitterSeconds` s): derived from the fire's key, so every
 * scheduler that looks at the time computes the same due time.
 */
export function jitterMsOf(fireKey: string, jitterSeconds: number): number {
  if (jitterSeconds <= 0) return 0;
  return fnv1a(fireKey) % (jitterSeconds * 1000 + 1);
}

/**
 * The idempotency key of the process a fire starts: the schedule's name, the generation of its spec (a PUT that
 * changes the spec starts a new one) and the scheduled instant. A duplicated tick, a crash or a repeated backfill
 * names the same process.
 *
 * @example fireKeyOf('nightly', 3, Date.parse('2026-01-02T02:00:00Z')) // 'schedule:nightly:3:2026-01-02T02:00:00.000Z'
 */
export function fireKeyOf(name: string, generation: number, scheduledAt: number): string {
  return `schedule:${name}:${generation}:${new Date(scheduledAt).toISOString()}`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
