import type { TransitionRow } from './lifecycle-table.ts';
import { rowGuards, type Guard, type GuardValues } from './guards.ts';

/**
 * The lifecycle of schedules and of their fire records, as rows in the style
 * of `task-transitions.ts`: the statuses a write may start from, the one it
 * leads to, its guards and its effects. The task and process tables are keyed
 * by their own event types, so schedules get their own two tables here; the
 * stores build every schedule write from them (`row-writes.ts`,
 * `scheduleUpdate`, `schedulePut`, `firePut`, `fireUpdate`). Every change of a
 * schedule item is locked on its `ver`, so two schedulers (EventBridge
 * delivers at least once), or a scheduler and a PUT, never both win.
 */

export const SCHEDULE_STATUSES = ['ACTIVE', 'PAUSED', 'DELETED'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/** Named statuses, for code outside the domain. */
export const SCHEDULE_STATUS = { active: 'ACTIVE', paused: 'PAUSED', deleted: 'DELETED' } as const satisfies Record<string, ScheduleStatus>;
export const isDeletedSchedule = (status: ScheduleStatus | undefined): boolean => status === SCHEDULE_STATUS.deleted;
export const isPausedSchedule = (status: ScheduleStatus | undefined): boolean => status === SCHEDULE_STATUS.paused;

/** What a PUT writes: the spec, its generation, and where the clock fires start. */
const SPEC_EFFECTS = {
  name: 'set',
  generation: 'set',
  specJson: 'set',
  ver: 'set',
  updatedAt: 'set',
  nextFireAt: 'setOrRemove',
  sweepShard: 'setOrRemove',
  sweepAt: 'setOrRemove',
} as const;
/** A first PUT (a whole item: nothing to remove) also makes the schedule listable (`byKind`, kind `SCHEDULE`). */
const CREATE_EFFECTS = { ...SPEC_EFFECTS, nextFireAt: 'set?', sweepShard: 'set?', sweepAt: 'set?', createdAt: 'set', kind: 'set', kindKey: 'set' } as const;
/** A PUT over an existing (or deleted) schedule: a new spec drops the old one's buffered fires and backfill, and the deleted one's expiry. */
const REPLACE_EFFECTS = { ...SPEC_EFFECTS, buffered: 'remove', backfillJson: 'remove', expiresAt: 'remove', kind: 'set', kindKey: 'set' } as const;
/** What the scheduler's bookkeeping moves: the next clock fire, the process that runs, what waits, the backfill cursor, when it is due. */
const FIRE_STATE = {
  ver: 'set',
  updatedAt: 'set',
  nextFireAt: 'setOrRemove',
  running: 'setOrRemove',
  buffered: 'setOrRemove',
  backfillJson: 'setOrRemove',
  sweepShard: 'setOrRemove',
  sweepAt: 'setOrRemove',
} as const;
const LIVE = ['ACTIVE', 'PAUSED'] as const;

export const SCHEDULE_TRANSITIONS = {
  create: { from: ['absent'], to: 'ACTIVE', guards: ['absent'], effects: CREATE_EFFECTS, doc: 'PUT of a new schedule' },
  createPaused: { from: ['absent'], to: 'PAUSED', guards: ['absent'], effects: CREATE_EFFECTS, doc: 'PUT of a new schedule with `paused: true`' },
  replace: { from: ['ACTIVE', 'PAUSED', 'DELETED'], to: 'ACTIVE', guards: ['version'], effects: REPLACE_EFFECTS, doc: 'PUT of a changed spec (a new generation), or of a deleted schedule again' },
  replacePaused: { from: ['ACTIVE', 'PAUSED', 'DELETED'], to: 'PAUSED', guards: ['version'], effects: REPLACE_EFFECTS, doc: 'the same, paused' },
  pause: { from: ['ACTIVE'], to: 'PAUSED', guards: ['version'], effects: FIRE_STATE, doc: 'no clock fires until resume (a backfill and buffered fires go on)' },
  resume: { from: ['PAUSED'], to: 'ACTIVE', guards: ['version'], effects: FIRE_STATE, doc: 'clock fires again, from the first time after the resume (no catch-up of the pause)' },
  delete: {
    from: LIVE,
    to: 'DELETED',
    guards: ['version'],
    effects: { ver: 'set', updatedAt: 'set', expiresAt: 'set', nextFireAt: 'remove', buffered: 'remove', backfillJson: 'remove', sweepShard: 'remove', sweepAt: 'remove', kind: 'remove', kindKey: 'remove' },
    doc: 'off the due index and the listing; the item stays (as a tombstone, until its expiry) so that a later PUT goes on with the next generation',
  },
  advance: { from: LIVE, to: 'same', guards: ['version'], effects: FIRE_STATE, doc: 'a fire, a backfill step or a buffered start recorded its outcome: the schedule moves on' },
} as const satisfies Record<string, TransitionRow<ScheduleStatus>>;
export type ScheduleEvent = keyof typeof SCHEDULE_TRANSITIONS;

/** A fire's outcome is its record's status. */
export const FIRE_STATUSES = ['STARTED', 'SKIPPED', 'BUFFERED', 'MISSED', 'CANCELLED_OTHER', 'FAILED'] as const;
export type FireStatus = (typeof FIRE_STATUSES)[number];

/** The API's names of the outcomes. */
export const FIRE_OUTCOME_OF = {
  STARTED: 'started',
  SKIPPED: 'skipped',
  BUFFERED: 'buffered',
  MISSED: 'missed',
  CANCELLED_OTHER: 'cancelledOther',
  FAILED: 'failed',
} as const satisfies Record<FireStatus, string>;
export type FireOutcome = (typeof FIRE_OUTCOME_OF)[FireStatus];

const DECIDED = { scheduledAt: 'set', firedAt: 'set', source: 'set', processId: 'set?', cancelled: 'set?', expiresAt: 'set', message: 'set?' } as const;

/**
 * A fire record (`SCHED#<name>` / `FIRE#<inverted time>`) is the decision for one scheduled time, written once
 * before anything is started: a scheduler that crashes, or a second one, reads it and carries out the same
 * decision (the start is idempotent), so the outcome and the process always agree.
 */
export const FIRE_TRANSITIONS = {
  start: { from: ['absent'], to: 'STARTED', guards: ['absent'], effects: DECIDED, doc: 'the fire starts a process (id from its idempotency key)' },
  skip: { from: ['absent'], to: 'SKIPPED', guards: ['absent'], effects: DECIDED, doc: 'overlap `skip` (or a full buffer): the previous process still runs' },
  buffer: { from: ['absent'], to: 'BUFFERED', guards: ['absent'], effects: DECIDED, doc: 'overlap `bufferOne`/`bufferAll`: starts when the previous process ends' },
  miss: { from: ['absent'], to: 'MISSED', guards: ['absent'], effects: DECIDED, doc: 'the scheduler saw the time only after its catch-up window' },
  cancelOther: { from: ['absent'], to: 'CANCELLED_OTHER', guards: ['absent'], effects: DECIDED, doc: 'overlap `cancelOther`: the previous process is cancelled and this one started' },
  startBuffered: { from: ['BUFFERED'], to: 'STARTED', guards: [], effects: { firedAt: 'set' }, doc: 'the previous process ended: the buffered fire starts' },
  failStart: { from: ['STARTED', 'CANCELLED_OTHER'], to: 'FAILED', guards: [], effects: { message: 'set', processId: 'remove' }, doc: 'the start was refused (definition or input no longer valid): nothing runs' },
} as const satisfies Record<string, TransitionRow<FireStatus>>;
export type FireEvent = keyof typeof FIRE_TRANSITIONS;

/** The conditions of a schedule write, from its row. */
export function scheduleGuards(event: ScheduleEvent, values: GuardValues = {}): Guard[] {
  return rowGuards(SCHEDULE_TRANSITIONS[event], values, `schedule event '${event}'`);
}

/** The conditions of a fire record's write, from its row. */
export function fireGuards(event: FireEvent): Guard[] {
  return rowGuards(FIRE_TRANSITIONS[event], {}, `fire event '${event}'`);
}
