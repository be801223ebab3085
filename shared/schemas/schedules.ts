import { z } from 'zod';
import { DEFAULT_CATCHUP_WINDOW_SECONDS, MIN_CATCHUP_WINDOW_SECONDS, OVERLAP_POLICIES } from '#domain/schedule-spec.ts';
import { FIRE_OUTCOME_OF, FIRE_STATUSES, SCHEDULE_STATUSES } from '#domain/schedule-transitions.ts';
import { DefinitionNameSchema, limitQuery, StartProcessBodySchema } from './api.ts';

/**
 * Schedules at every boundary: the PUT body, the start-queue message, the
 * responses, and the schedule and fire items read back from the table.
 */

const Timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601 instant, UTC' });

export const ScheduleNameSchema = DefinitionNameSchema.describe('the schedule name (percent-encoded in the path)');
export const ScheduleParamsSchema = z.object({ name: ScheduleNameSchema });

export const OverlapSchema = z.enum(OVERLAP_POLICIES, { error: `overlap must be one of ${OVERLAP_POLICIES.join(', ')}` });

/** PUT /schedules/{name}. Timing rules zod cannot say (one of cron and every, a known zone) are the domain's. */
export const PutScheduleBodySchema = z.strictObject({
  definition: DefinitionNameSchema.describe('the definition each fire starts'),
  version: z.number().int().positive().optional().describe('the version each fire starts; the latest at each fire when absent'),
  cron: z.string().min(1).max(256).optional().describe('a 5-field cron pattern (minute hour day-of-month month day-of-week), read by croner; give this or `every`'),
  every: z.string().max(16).optional().describe('a period, `<n>m`, `<n>h` or `<n>d` (at least 1m); fires at multiples of it from the Unix epoch'),
  timezone: z.string().min(1).max(64).optional().describe('IANA time zone of `cron` (default UTC); daylight-saving changes follow croner'),
  input: StartProcessBodySchema.shape.input.describe("each fire's process input"),
  overlap: OverlapSchema.default('skip').describe('what a fire does while the previous process runs (default skip)'),
  catchupWindowSeconds: z
    .number()
    .int()
    .min(MIN_CATCHUP_WINDOW_SECONDS, `catchupWindowSeconds must be at least ${MIN_CATCHUP_WINDOW_SECONDS} (the scheduler ticks once a minute)`)
    .max(366 * 86_400)
    .default(DEFAULT_CATCHUP_WINDOW_SECONDS)
    .describe(`how late a fire may still start (after an outage); later ones are recorded missed (default ${DEFAULT_CATCHUP_WINDOW_SECONDS})`),
  jitterSeconds: z.number().int().min(0).max(3600).default(0).describe('each fire starts up to this long after its time (fixed per time)'),
  paused: z.boolean().default(false).describe('create or keep the schedule paused'),
});
export type PutScheduleBody = z.output<typeof PutScheduleBodySchema>;

export const BackfillBodySchema = z.strictObject({
  from: z.iso.datetime({ offset: true, error: 'from must be an ISO 8601 instant' }).describe('first time of the range (inclusive)'),
  to: z.iso.datetime({ offset: true, error: 'to must be an ISO 8601 instant' }).describe('end of the range (exclusive), not in the future'),
  overlap: OverlapSchema.optional().describe('the overlap policy of the backfilled fires (default allowAll: every time in the range starts)'),
});
export type BackfillBody = z.infer<typeof BackfillBodySchema>;

export const ScheduleQuerySchema = z.object({
  limit: limitQuery(100, 20),
  nextToken: z.string().min(1).max(512).optional().describe("the previous page's nextToken (of the fires); omit for the first page"),
});
export const ScheduleListQuerySchema = z.object({
  limit: limitQuery(100, 50),
  nextToken: z.string().min(1).max(2048).optional().describe("the previous page's nextToken; omit for the first page"),
});

export const FireOutcomeSchema = z.enum(Object.values(FIRE_OUTCOME_OF) as [string, ...string[]]);

export const ScheduleFireSchema = z
  .strictObject({
    scheduledAt: Timestamp.describe('the time the fire is for'),
    outcome: FireOutcomeSchema,
    processId: z.string().optional().describe('the process it started (started, cancelledOther), or will start (buffered)'),
    cancelled: z.string().optional().describe('cancelledOther: the process it cancelled'),
    firedAt: Timestamp.describe('when the scheduler decided (or started the buffered fire)'),
    source: z.enum(['clock', 'trigger', 'backfill']),
    message: z.string().optional().describe('failed: why the start was refused'),
  })
  .meta({ id: 'ScheduleFire' });

export const ScheduleSpecViewSchema = z.strictObject({
  definition: z.string(),
  version: z.number().int().optional(),
  cron: z.string().optional(),
  every: z.string().optional(),
  timezone: z.string().optional(),
  input: z.unknown().optional(),
  overlap: OverlapSchema,
  catchupWindowSeconds: z.number().int(),
  jitterSeconds: z.number().int(),
});

export const ScheduleViewSchema = z
  .strictObject({
    name: z.string(),
    status: z.enum(['active', 'paused']),
    generation: z.number().int().describe('bumped by each PUT that changes the spec: part of every fire\'s idempotency key'),
    spec: ScheduleSpecViewSchema,
    nextFireTimes: z.array(Timestamp).describe('the next 5 clock fire times (empty while paused)'),
    running: z.string().optional().describe('the process of the last fire, while it runs'),
    buffered: z.array(Timestamp).optional().describe('fires waiting for the running process to end'),
    backfill: z.strictObject({ from: Timestamp, to: Timestamp, next: Timestamp, overlap: OverlapSchema }).optional().describe('a backfill still going on'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    fires: z.array(ScheduleFireSchema).describe('fires, newest scheduled time first, one page'),
    nextToken: z.string().optional().describe('the next page of fires; absent on the last'),
  })
  .meta({ id: 'Schedule' });
export type ScheduleView = z.infer<typeof ScheduleViewSchema>;

export const ScheduleSummarySchema = ScheduleViewSchema.omit({ fires: true, nextToken: true }).meta({ id: 'ScheduleSummary' });
export const SchedulePageSchema = z.strictObject({ items: z.array(ScheduleSummarySchema), nextToken: z.string().optional() }).meta({ id: 'SchedulePage' });
export const ScheduleDeletedSchema = z.strictObject({ name: z.string(), deleted: z.literal(true) }).meta({ id: 'ScheduleDeleted' });
export const BackfillResponseSchema = z
  .strictObject({
    name: z.string(),
    fired: z.number().int().describe('times handled by this call'),
    done: z.boolean().describe('false: the scheduler finishes the rest, a budget a tick'),
    next: Timestamp.optional().describe('the next time still to fire, when not done'),
  })
  .meta({ id: 'BackfillProgress' });

/** The schedule item as stored. */
export const ScheduleItemSchema = z.object({
  name: z.string(),
  status: z.enum(SCHEDULE_STATUSES),
  ver: z.number().int(),
  generation: z.number().int(),
  specJson: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  nextFireAt: z.number().optional(),
  running: z.string().optional(),
  buffered: z.array(z.number()).optional(),
  backfillJson: z.string().optional(),
  sweepAt: z.number().optional(),
});
export type ScheduleItem = z.infer<typeof ScheduleItemSchema>;

/** The stored spec (`specJson`): the PUT body without `paused`, defaults applied. */
export const StoredSpecSchema = PutScheduleBodySchema.omit({ paused: true });

/** A backfill under way (`backfillJson`). */
export const BackfillCursorSchema = z.object({ from: z.number(), to: z.number(), next: z.number(), overlap: OverlapSchema });
export type BackfillCursor = z.infer<typeof BackfillCursorSchema>;

export const FireItemSchema = z.object({
  status: z.enum(FIRE_STATUSES),
  scheduledAt: z.number(),
  firedAt: z.string(),
  source: z.enum(['clock', 'trigger', 'backfill']),
  processId: z.string().optional(),
  cancelled: z.string().optional(),
  message: z.string().optional(),
});
export type FireItem = z.infer<typeof FireItemSchema>;
