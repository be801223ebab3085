import type { FireDecision, Page, ScheduleFireState, ScheduleSpecWrite, ScheduleStore, Written } from '#app/ports.ts';
import { ValidationError } from '#domain/errors.ts';
import { BY_KIND_INDEX, SWEEP_INDEX } from '#config/table.ts';
import { BackfillCursorSchema, FireItemSchema, ScheduleItemSchema, type FireItem, type ScheduleItem } from '#schemas/schedules.ts';
import type { ItemTable, ItemWrite, WriteOutcome } from '../item-table.ts';
import { allScheduleShards, FIRE_SK_PREFIX, keys, SCHEDULE_PK_PREFIX, scheduleShardOf } from './keys.ts';
import { queryShards } from './merged-shards.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import { withPageTokenErrors } from './query-errors.ts';
import { fireWrite, scheduleWrite } from './row-writes.ts';

/** The `kind` of a schedule item on the `byKind` index (a rare write: one per PUT or DELETE). */
const SCHEDULE_KIND = 'SCHEDULE';

/**
 * Schedules and their fire records on the one table (`SCHED#<name>`: `SPEC`,
 * and `FIRE#<inverted time>` per fire). Every write comes from a row of the
 * schedule tables (`schedule-transitions.ts`); the due entry is the item's
 * `sweepShard`/`sweepAt` under a partition of its own (`F#<n>`).
 */
export class ItemScheduleStore implements ScheduleStore {
  constructor(private readonly table: ItemTable) {}

  async get({ name }: { name: string }): Promise<ScheduleItem | undefined> {
    const item = await this.table.get(keys.schedule(name));
    return item ? ScheduleItemSchema.parse(item) : undefined;
  }

  async putSpec({ spec, current }: { spec: ScheduleSpecWrite; current?: ScheduleItem }): Promise<Written<ScheduleItem>> {
    const key = keys.schedule(spec.name);
    const common = {
      name: spec.name,
      generation: spec.generation,
      specJson: spec.specJson,
      ver: (current?.ver ?? 0) + 1,
      updatedAt: spec.iso,
      kind: SCHEDULE_KIND,
      kindKey: spec.name,
      nextFireAt: spec.nextFireAt,
      ...this.dueEntry(spec.name, spec.dueAt),
    };
    const write: ItemWrite = current
      ? scheduleWrite(spec.paused ? 'replacePaused' : 'replace', key, common, { version: current.ver })
      : scheduleWrite(spec.paused ? 'createPaused' : 'create', key, { ...common, createdAt: spec.iso });
    return this.written(spec.name, await this.table.write(write));
  }

  async setState({ current, event, state, iso }: { current: ScheduleItem; event: 'pause' | 'resume' | 'advance'; state: ScheduleFireState; iso: string }): Promise<Written<ScheduleItem>> {
    const values = {
      ver: current.ver + 1,
      updatedAt: iso,
      nextFireAt: state.nextFireAt,
      running: state.running,
      buffered: state.buffered !== undefined && state.buffered.length > 0 ? [...state.buffered] : undefined,
      backfillJson: state.backfill === undefined ? undefined : JSON.stringify(BackfillCursorSchema.parse(state.backfill)),
      ...this.dueEntry(current.name, state.dueAt),
    };
    return this.written(current.name, await this.table.write(scheduleWrite(event, keys.schedule(current.name), values, { version: current.ver })));
  }

  async delete({ current, iso, expiresAt }: { current: ScheduleItem; iso: string; expiresAt: number }): Promise<Written<ScheduleItem>> {
    const write = scheduleWrite('delete', keys.schedule(current.name), { ver: current.ver + 1, updatedAt: iso, expiresAt }, { version: current.ver });
    return this.written(current.name, await this.table.write(write));
  }

  async list({ limit, nextToken }: { limit: number; nextToken?: string }): Promise<Page<ScheduleItem>> {
    const page = await withPageTokenErrors(nextToken, () =>
      this.table.queryIndex({ index: BY_KIND_INDEX, partition: SCHEDULE_KIND, descending: false, limit, ...(nextToken === undefined ? {} : { startKey: decodePageToken(nextToken) }) }),
    );
    const items = page.items.length === 0 ? [] : await this.table.getMany(page.items.map((i) => ({ pk: String(i.pk), sk: String(i.sk) })));
    const byName = new Map(items.map((i) => [String(i.name), ScheduleItemSchema.parse(i)]));
    const token = encodePageToken(page.lastKey);
    const ordered = page.items.map((i) => byName.get(String(i.pk).slice(SCHEDULE_PK_PREFIX.length))).filter((i): i is ScheduleItem => i !== undefined);
    return { items: ordered, ...(token ? { nextToken: token } : {}) };
  }

  async due({ now, maxItems }: { now: number; maxItems: number }): Promise<string[]> {
    if (maxItems < 1) return [];
    const page = await queryShards(this.table, {
      index: SWEEP_INDEX,
      shards: allScheduleShards().map((partition) => ({ partition })),
      descending: false,
      sortAtMost: now,
      limit: maxItems,
    });
    return page.items.map((i) => String(i.pk).slice(SCHEDULE_PK_PREFIX.length));
  }

  async decide({ name, decision }: { name: string; decision: FireDecision }): Promise<Written<FireItem>> {
    const { event, ...values } = decision;
    const write = fireWrite(event, keys.fire(name, decision.scheduledAt), values);
    const out = await this.table.write(write);
    if (out.ok) return { ok: true, item: FireItemSchema.parse({ ...values, status: statusOf(write) }) };
    return { ok: false, current: out.current ? FireItemSchema.parse(out.current) : undefined };
  }

  async updateFire({ name, scheduledAt, change }: Parameters<ScheduleStore['updateFire']>[0]): Promise<Written<FireItem>> {
    const key = keys.fire(name, scheduledAt);
    const write = change.event === 'startBuffered' ? fireWrite('startBuffered', key, { firedAt: change.firedAt }) : fireWrite('failStart', key, { message: change.message });
    const out = await this.table.write(write.type === 'update' ? { ...write, returnNew: true } : write);
    if (out.ok) return { ok: true, item: FireItemSchema.parse(out.item ?? (await this.table.get(key))) };
    return { ok: false, current: out.current ? FireItemSchema.parse(out.current) : undefined };
  }

  async fires({ name, limit, nextToken }: { name: string; limit: number; nextToken?: string }): Promise<Page<FireItem>> {
    const afterSk = nextToken === undefined ? undefined : fireCursor(nextToken);
    const page = await this.table.queryPartitionPage({ pk: keys.schedule(name).pk, prefix: FIRE_SK_PREFIX, limit, ...(afterSk === undefined ? {} : { afterSk }) });
    const token = page.lastSk === undefined ? undefined : encodePageToken({ sk: page.lastSk });
    return { items: page.items.map((i) => FireItemSchema.parse(i)), ...(token ? { nextToken: token } : {}) };
  }

  /** The due entry of a schedule: its partition and time, or both removed (not due). */
  private dueEntry(name: string, dueAt: number | undefined): { sweepShard?: string; sweepAt?: number } {
    return dueAt === undefined ? {} : { sweepShard: scheduleShardOf(name), sweepAt: dueAt };
  }

  private async written(name: string, out: WriteOutcome): Promise<Written<ScheduleItem>> {
    if (!out.ok) return { ok: false, current: out.current ? ScheduleItemSchema.parse(out.current) : undefined };
    const item = await this.get({ name });
    return item ? { ok: true, item } : { ok: false, current: undefined };
  }
}

function statusOf(write: ItemWrite): string {
  return write.type === 'put' ? String(write.item.status) : '';
}

/** A fires page token names the last sort key answered; anything else is the client's 400. */
function fireCursor(token: string): string {
  const sk = decodePageToken(token)?.sk;
  if (typeof sk !== 'string' || !sk.startsWith(FIRE_SK_PREFIX)) {
    throw new ValidationError('nextToken does not belong to this listing', [{ path: 'query.nextToken', message: 'foreign token' }]);
  }
  return sk;
}
