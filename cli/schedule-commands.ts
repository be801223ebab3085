import type { Command } from 'commander';
import type { Schedule, ScheduleFire, ScheduleSummary } from '../client/schemas.ts';
import type { ScheduleRequest } from '../client/tributary-client.ts';
import { CliError } from './cli-error.ts';
import { printJson, table } from './format.ts';
import type { CommandContext } from './main.ts';

const OVERLAPS = ['skip', 'bufferOne', 'bufferAll', 'cancelOther', 'allowAll'] as const;

interface PutOptions {
  definition: string;
  version?: string;
  cron?: string;
  every?: string;
  timezone?: string;
  input?: string;
  overlap?: string;
  catchupWindow?: string;
  jitter?: string;
  paused?: boolean;
  json?: boolean;
}

/** `tributary schedules list|get|put|delete|pause|resume|trigger|backfill`. */
export function addScheduleCommands(program: Command, ctx: CommandContext): void {
  const schedules = program.command('schedules').description('start processes on a clock: cron or every, with overlap and catch-up policies');

  schedules
    .command('list')
    .description('every schedule, with its next fire time')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { client } = ctx.target();
      const items: ScheduleSummary[] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.listSchedules({ limit: 100, ...(nextToken ? { nextToken } : {}) });
        items.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken);
      if (opts.json) return printJson(items);
      if (items.length === 0) return ctx.out('no schedules yet: create one with `npx tributary schedules put <name> --definition <def> --every 1h`');
      ctx.out(table(['NAME', 'STATUS', 'WHEN', 'DEFINITION', 'OVERLAP', 'NEXT'], items.map((s) => [s.name, s.status, when(s), s.spec.definition, s.spec.overlap, s.nextFireTimes[0] ?? '-'])));
    });

  schedules
    .command('get')
    .description('a schedule: its spec, next fire times and recent fires')
    .argument('<name>')
    .option('--limit <n>', 'fires to show (default 20)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { limit?: string; json?: boolean }) => {
      const schedule = await ctx.target().client.getSchedule(name, opts.limit === undefined ? {} : { limit: Number(opts.limit) });
      if (opts.json) return printJson(schedule);
      show(ctx, schedule);
    });

  schedules
    .command('put')
    .description('create or replace a schedule (PUT /schedules/{name})')
    .argument('<name>')
    .requiredOption('--definition <name>', 'the definition each fire starts')
    .option('--version <n>', 'the version (default: the latest at each fire)')
    .option('--cron <pattern>', "a 5-field cron pattern, e.g. '0 2 * * *'")
    .option('--every <period>', 'a period: <n>m, <n>h or <n>d (fires on multiples of it from the Unix epoch)')
    .option('--timezone <zone>', 'IANA time zone of --cron (default UTC)')
    .option('--input <json>', "each fire's process input, as JSON")
    .option('--overlap <policy>', `while the previous process runs: ${OVERLAPS.join(', ')} (default skip)`)
    .option('--catchup-window <seconds>', 'how late a fire may still start (default 3600)')
    .option('--jitter <seconds>', 'start each fire up to this long after its time (default 0)')
    .option('--paused', 'create it paused')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: PutOptions) => {
      const spec: Record<string, unknown> = { definition: opts.definition };
      if (opts.version !== undefined) spec.version = integer('--version', opts.version);
      if (opts.cron !== undefined) spec.cron = opts.cron;
      if (opts.every !== undefined) spec.every = opts.every;
      if (opts.timezone !== undefined) spec.timezone = opts.timezone;
      if (opts.input !== undefined) spec.input = json('--input', opts.input);
      if (opts.overlap !== undefined) spec.overlap = opts.overlap;
      if (opts.catchupWindow !== undefined) spec.catchupWindowSeconds = integer('--catchup-window', opts.catchupWindow);
      if (opts.jitter !== undefined) spec.jitterSeconds = integer('--jitter', opts.jitter);
      if (opts.paused) spec.paused = true;
      const { created, schedule } = await ctx.target().client.putSchedule(name, spec as unknown as ScheduleRequest);
      if (opts.json) return printJson(schedule);
      ctx.out(`${name}: generation ${schedule.generation} (${created ? 'created' : 'updated'}), ${schedule.status}; next: ${schedule.nextFireTimes.slice(0, 3).join(', ') || '-'}`);
    });

  schedules
    .command('delete')
    .description('delete a schedule: no more fires (its processes run on)')
    .argument('<name>')
    .action(async (name: string) => {
      await ctx.target().client.deleteSchedule(name);
      ctx.out(`${name}: deleted`);
    });

  for (const action of ['pause', 'resume'] as const) {
    schedules
      .command(action)
      .description(action === 'pause' ? 'stop clock fires until resume' : 'fire again, from the next time on (the pause is not caught up)')
      .argument('<name>')
      .action(async (name: string) => {
        const { client } = ctx.target();
        const schedule = action === 'pause' ? await client.pauseSchedule(name) : await client.resumeSchedule(name);
        ctx.out(`${name}: ${schedule.status}${schedule.nextFireTimes[0] ? `, next ${schedule.nextFireTimes[0]}` : ''}`);
      });
  }

  schedules
    .command('trigger')
    .description('fire now, through the overlap policy')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const fire = await ctx.target().client.triggerSchedule(name);
      if (opts.json) return printJson(fire);
      ctx.out(`${name}: ${describeFire(fire)}`);
    });

  schedules
    .command('backfill')
    .description('fire every time of the schedule in [from, to), oldest first; a repeat starts nothing new')
    .argument('<name>')
    .requiredOption('--from <instant>', 'ISO 8601, inclusive')
    .requiredOption('--to <instant>', 'ISO 8601, exclusive, not in the future')
    .option('--overlap <policy>', `overlap policy of the backfilled fires (default allowAll)`)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { from: string; to: string; overlap?: string; json?: boolean }) => {
      const body = { from: opts.from, to: opts.to, ...(opts.overlap === undefined ? {} : { overlap: opts.overlap as ScheduleRequest['overlap'] }) };
      const progress = await ctx.target().client.backfillSchedule(name, body);
      if (opts.json) return printJson(progress);
      ctx.out(progress.done ? `${name}: backfilled, ${progress.fired} fire(s)` : `${name}: ${progress.fired} fire(s) so far; the scheduler goes on from ${progress.next}`);
    });
}

function when(s: ScheduleSummary): string {
  return s.spec.cron !== undefined ? `cron '${s.spec.cron}'${s.spec.timezone ? ` ${s.spec.timezone}` : ''}` : `every ${s.spec.every}`;
}

function describeFire(f: ScheduleFire): string {
  const process = f.processId ? ` ${f.processId}` : '';
  const cancelled = f.cancelled ? ` (cancelled ${f.cancelled})` : '';
  return `${f.outcome}${process}${cancelled} for ${f.scheduledAt}${f.message ? `: ${f.message}` : ''}`;
}

function show(ctx: CommandContext, s: Schedule): void {
  ctx.out(`${s.name}: ${s.status}, ${when(s)}, starts ${s.spec.definition}${s.spec.version ? ` version ${s.spec.version}` : ''}, overlap ${s.spec.overlap}, catch-up ${s.spec.catchupWindowSeconds}s, jitter ${s.spec.jitterSeconds}s (generation ${s.generation})`);
  ctx.out(`next: ${s.nextFireTimes.join(', ') || '-'}`);
  if (s.running) ctx.out(`running: ${s.running}`);
  if (s.buffered) ctx.out(`buffered: ${s.buffered.join(', ')}`);
  if (s.backfill) ctx.out(`backfill: ${s.backfill.from} to ${s.backfill.to}, next ${s.backfill.next}`);
  if (s.fires.length === 0) return ctx.out('no fires yet');
  ctx.out(table(['SCHEDULED', 'OUTCOME', 'PROCESS', 'SOURCE'], s.fires.map((f) => [f.scheduledAt, f.outcome, f.processId ?? (f.message ?? '-'), f.source])));
  if (s.nextToken) ctx.out('(older fires: --json, and GET /schedules/{name}?nextToken=…)');
}

function integer(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new CliError(`${flag} takes a whole number, got '${raw}'`);
  return n;
}

function json(flag: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new CliError(`${flag} is not valid JSON: ${(e as Error).message}`);
  }
}
