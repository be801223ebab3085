import { COUNTED_TASK_STATUS, KEPT_ATTEMPT_RECORDS, SWEEP_REASON_ON_ENTRY, taskTarget } from '#domain/lifecycle.ts';
import type { SkipReason } from '#domain/branch-decision.ts';
import type { ChildEnding, Conflict, EndTask, FinalFailEvent, JoinCounter, RetryWrite, ScheduleContext, SettleCount, TaskPageQuery, TaskRef, TaskStore, UpstreamResult, Written } from '#app/ports.ts';
import { TaskErrorSchema, TaskItemSchema, type AttemptRecord, type TaskError, type TaskItem } from '#schemas/items.ts';
import { LAST_ERROR_LIMITS, summariseError } from '#domain/retry-policy.ts';
import type { ItemTable, ItemUpdate, ItemWrite, WriteOutcome } from '../item-table.ts';
import { DEFAULT_SWEEP_SHARDS } from '#config/table.ts';
import { TASK_SK_PREFIX, keys, progressShardOf, sweepShardOf } from './keys.ts';
import { progressUpdate, taskPut, taskUpdate } from './row-writes.ts';
import { poolFreeWrite } from './item-slot-store.ts';
import { childCounterWrite, childScheduleWrite, progressWrite, scheduledAttributes, settleWrite, TASK_ATTRIBUTES, type ChildCountChange } from './task-writes.ts';
import { parseChildName } from '#domain/map-children.ts';
import { slotFreeWrites, slotOfToken, slotRenewWrites, slotUpdate } from './slot-keys.ts';
import { claimedLease, heartbeatLease } from './lease-values.ts';

/**
 * Task items: `PROC#<id>` / `TASK#<name>`. A task without an item is PENDING.
 * Every write is built from its row of the lifecycle table (`row-writes.ts`):
 * its condition from the row's guards, what it sets and removes from the
 * row's effects; this store supplies only the values. It runs on any {@link ItemTable}.
 */
export class ItemTaskStore implements TaskStore {
  /** @param sweepShards how many sweep shards the task entries spread over (the setting), each task by its own key. */
  constructor(
    private readonly table: ItemTable,
    private readonly sweepShards: number = DEFAULT_SWEEP_SHARDS,
  ) {}

  async get(ref: TaskRef): Promise<TaskItem | undefined> {
    return parseTask(await this.table.get(keys.task(ref)));
  }

  async listAll({ processId }: { processId: string }): Promise<TaskItem[]> {
    const items = await this.table.queryPartition(keys.processMeta(processId).pk, TASK_SK_PREFIX);
    return items.map((i) => TaskItemSchema.parse(i));
  }

  async page(q: TaskPageQuery): Promise<{ items: TaskItem[]; cursor?: string }> {
    const leftOut = new Set([...(q.outputs ? [] : ['outputJson']), ...(q.attempts ? [] : ['attempts'])]);
    const r = await this.table.queryPartitionPage({
      pk: keys.processMeta(q.processId).pk,
      prefix: TASK_SK_PREFIX,
      ...(q.cursor === undefined ? {} : { afterSk: `${TASK_SK_PREFIX}${q.cursor}` }),
      limit: q.limit,
      ...(q.status === undefined ? {} : { filter: { attribute: 'status', value: q.status } }),
      ...(leftOut.size === 0 ? {} : { attributes: TASK_ATTRIBUTES.filter((a) => !leftOut.has(a)) }),
    });
    return { items: r.items.map((i) => TaskItemSchema.parse(i)), ...(r.lastSk === undefined ? {} : { cursor: r.lastSk.slice(TASK_SK_PREFIX.length) }) };
  }

  async getMany({ processId, tasks }: { processId: string; tasks: readonly string[] }): Promise<Map<string, TaskItem>> {
    const items = await this.table.getMany(tasks.map((task) => keys.task({ processId, task })));
    return new Map(items.map((i) => TaskItemSchema.parse(i)).map((t) => [t.name, t]));
  }

  async getUpstream({ processId, tasks }: { processId: string; tasks: readonly string[] }): Promise<Map<string, UpstreamResult>> {
    const items = await this.table.getMany(tasks.map((task) => keys.task({ processId, task })));
    const byName = new Map(items.map((i) => [String(i.name), i]));
    return new Map(
      tasks.map((t): [string, UpstreamResult] => {
        const item = byName.get(t);
        if (item?.status === taskTarget('fail')) {
          return [t, { failed: true, error: TaskErrorSchema.parse(typeof item.errorJson === 'string' ? JSON.parse(item.errorJson) : { message: 'failed' }) }];
        }
        // A parent a branch skipped (or skipDownstream did) has no output: its children see it apart.
        if (item?.status === taskTarget('skipReady')) return [t, { failed: false, output: null, skipped: true }];
        return [t, { failed: false, output: parseOutput(item?.outputJson) }];
      }),
    );
  }

  async getCounters({ processId, tasks }: { processId: string; tasks: readonly string[] }): Promise<Map<string, { status: TaskItem['status']; settled: number; skipped?: number; run?: number }>> {
    const items = (await this.table.getMany(tasks.map((task) => keys.task({ processId, task })))).map((i) => TaskItemSchema.parse(i));
    return new Map(items.map((t) => [t.name, counterOf(t)]));
  }

  async scheduleNew({ schedule }: { schedule: ScheduleContext }): Promise<boolean> {
    const r = await this.table.write(taskPut('schedule', keys.task(schedule), scheduledAttributes(schedule, this.sweepShards)));
    return r.ok;
  }

  async scheduleJoin({ schedule, expected }: { schedule: ScheduleContext; expected: number }): Promise<boolean> {
    const r = await this.table.write(taskUpdate('scheduleJoin', keys.task(schedule), scheduledAttributes(schedule, this.sweepShards), { expected, run: schedule.run }));
    return r.ok;
  }

  async scheduleAnyJoin({ schedule }: { schedule: ScheduleContext }): Promise<boolean> {
    return (await this.table.write(taskUpdate('scheduleAnyJoin', keys.task(schedule), scheduledAttributes(schedule, this.sweepShards), { run: schedule.run }))).ok;
  }

  async scheduleRerun({ schedule }: { schedule: ScheduleContext }): Promise<boolean> {
    const r = await this.table.write(taskUpdate('scheduleRerun', keys.task(schedule), scheduledAttributes(schedule, this.sweepShards), { run: schedule.run }));
    return r.ok;
  }

  async reopen(args: TaskRef & { run: number; records: readonly AttemptRecord[]; counter?: { settled: number; expected: number } }): Promise<boolean> {
    // Everything of the last run's attempt goes (the row says what); its record (appended) keeps what the history shows.
    const key = keys.task(args);
    const values = { name: args.task, run: args.run, settled: args.counter?.settled, expected: args.counter?.expected, attempts: args.records };
    const r = await this.table.write(taskUpdate('reopen', key, values, { run: args.run }, { returnNew: true }));
    if (!r.ok) return false;
    // An append cannot trim its list in the same write (DynamoDB refuses overlapping paths), so the records past the
    // kept number go in a second write, only when there are some: the list as written says how many. A lost or
    // crashed trim is harmless: the next reset trims whatever is over.
    const written = TaskItemSchema.parse(r.item);
    const over = (written.attempts?.length ?? 0) - KEPT_ATTEMPT_RECORDS;
    if (over > 0) {
      await this.table.write(taskUpdate('trimAttempts', key, { attempts: over, attemptsDropped: over }, { run: args.run, dropped: written.attemptsDropped ?? 0 }));
    }
    return true;
  }

  async retain(args: TaskRef & { run: number; expiresAt: number }): Promise<boolean> {
    const r = await this.table.write(taskUpdate('retain', keys.task(args), { expiresAt: args.expiresAt }, { run: args.run }));
    return r.ok;
  }

  async claim(args: TaskRef & { workerId: string; leaseToken: string; now: number; iso: string; mapRun?: number; leaseMs?: number }): Promise<Written<TaskItem>> {
    // The lease length was fixed at scheduling (timeoutMs), or is the one the worker asked for, so the claim needs no prior read. The sweep
    // entry keeps its time (due no later than a lease taken right away expires), so no index write.
    // The attempt's hard deadline rides in the same write; a task without attemptTimeoutSeconds gets one far away.
    const values = {
      leaseToken: args.leaseToken,
      workerId: args.workerId,
      claimedAt: args.iso,
      sweepReason: SWEEP_REASON_ON_ENTRY.task.RUNNING,
      ...claimedLease(args.now, args.leaseMs),
      attemptDeadline: { source: 'attemptTimeoutMs', plus: args.now, orElse: NO_ATTEMPT_LIMIT_MS },
    };
    const update = taskUpdate('claim', keys.task(args), values, { now: args.now }, { returnNew: true });
    return this.counted(args, update, { scheduled: -1, running: 1 }, args.mapRun);
  }

  /**
   * A write that a child of a map makes with its count (one transaction, then
   * the item read back: a transaction answers no item); a declared task's write alone.
   */
  private async counted(ref: TaskRef, write: ItemUpdate, change: ChildCountChange, mapRun: number | undefined, slots: readonly ItemWrite[] = []): Promise<Written<TaskItem>> {
    if (!parseChildName(ref.task)) return slots.length === 0 ? this.update(write) : this.withSlots(ref, write, slots);
    if (mapRun === undefined) throw new Error(`a write of '${ref.task}', a child of a map, needs its run to count it`);
    const r = await this.table.transact([write, childCounterWrite(ref.processId, ref.task, mapRun, change), ...slots]);
    if (!r.ok) return conflict(r.reasons[0]?.current);
    const item = await this.get(ref);
    return item ? { ok: true, item } : conflict(undefined);
  }

  async release(args: TaskRef & { leaseToken: string; now: number; iso: string; sweepAt: number; notBefore?: number; byOperator?: boolean; mapRun?: number }): Promise<Written<TaskItem>> {
    const key = keys.task(args);
    const values = {
      scheduledAt: args.iso,
      sweepShard: sweepShardOf(key, this.sweepShards),
      sweepAt: args.sweepAt,
      sweepReason: SWEEP_REASON_ON_ENTRY.task.SCHEDULED,
      sends: 0,
      nextAttemptAt: args.notBefore,
    };
    const write = args.byOperator
      ? taskUpdate('releaseByOperator', key, values, { leaseToken: args.leaseToken }, { returnNew: true })
      : taskUpdate('release', key, values, { leaseToken: args.leaseToken, now: args.now }, { returnNew: true });
    return this.counted(args, write, { running: -1, scheduled: 1 }, args.mapRun, slotFreeWrites(args.byOperator ? 'releaseByOperator' : 'release', args.leaseToken));
  }

  async heartbeat(args: TaskRef & { leaseToken: string; now: number; leaseMs?: number }): Promise<Written<TaskItem>> {
    const values = heartbeatLease(args.now, args.leaseMs);
    const write = taskUpdate('heartbeat', keys.task(args), values, { leaseToken: args.leaseToken, now: args.now }, { returnNew: true });
    // A task holding a concurrency slot renews it in the same transaction: the slot's lease never ends before the task's.
    const slots = slotRenewWrites(args.leaseToken, args.now, args.leaseMs);
    return slots.length === 0 ? this.update(write) : this.withSlots(args, write, slots);
  }

  /** A task write with the slot writes its token names, in one transaction, then the item read back. */
  private async withSlots(ref: TaskRef, write: ItemUpdate, slots: readonly ItemWrite[]): Promise<Written<TaskItem>> {
    const r = await this.table.transact([write, ...slots]);
    if (!r.ok) return conflict(r.reasons[0]?.current);
    const item = await this.get(ref);
    return item ? { ok: true, item } : conflict(undefined);
  }

  /**
   * Ends a task COMPLETED and, in the same transaction, counts it in every
   * join it feeds and in the process's end counter. Atomicity is what makes
   * each count happen exactly once: the task's own status change is the guard.
   */
  async complete({ end, output, settles, child }: { end: EndTask; output: unknown; settles: readonly SettleCount[]; child?: ChildEnding }): Promise<Written<undefined, TaskItem>> {
    const guardValues = { ...(end.leaseToken === undefined ? {} : { leaseToken: end.leaseToken }), now: end.now, run: end.run, held: end.held ?? false };
    const outputJson = JSON.stringify(output ?? null);
    if (child) {
      // A child that is not the last of its lane owes nothing once its successor is written with it: no sweep entry.
      const step = end.leaseToken !== undefined && child.lastOfLane === undefined && child.successor !== undefined;
      const event = step ? 'completeLaneStep' : end.leaseToken === undefined ? 'completeManual' : 'complete';
      const values = step ? { endedAt: end.iso, expiresAt: end.expiresAt, outputJson } : { ...endedValues(end, event === 'completeLaneStep' ? 'complete' : event), outputJson };
      const update = taskUpdate(event, keys.task(end), values as never, guardValues);
      return this.settled(end, await this.table.transact([update, ...this.childWrites(end, child, { completed: 1, outputBytes: outputJson.length })]));
    }
    const event = end.leaseToken === undefined ? 'completeManual' : 'complete';
    const update = taskUpdate(event, keys.task(end), { ...endedValues(end, event), outputJson }, guardValues);
    // Its progress is counted by its follow-up (countCompletion): without joins, an end counter or slots to count
    // in, a completion is one write, not a transaction that bills each of its items twice.
    const companions = [...settles.map((s) => settleWrite(event, end, s)), ...slotFreeWrites(event, end.leaseToken), ...pooledFree(end)];
    if (companions.length === 0) return this.written(await this.table.write(update));
    return this.settled(end, await this.table.transact([update, ...companions]));
  }

  async countCompletion(args: TaskRef & { run: number; position: number; expiresAt: number }): Promise<boolean> {
    const key = keys.processProgress(args.processId, args.run, progressShardOf(args.task));
    const values = { COMPLETED: 1, counted: args.position, expiresAt: args.expiresAt };
    return (await this.table.write(progressUpdate('completedOnce', key, values, { run: args.run, member: args.position }))).ok;
  }

  async isCounted(args: TaskRef & { run: number; position: number }): Promise<boolean> {
    const counted = (await this.table.get(keys.processProgress(args.processId, args.run, progressShardOf(args.task))))?.counted;
    return counted instanceof Set && counted.has(args.position);
  }

  async settleOnce(args: { processId: string; join: string; expected: number; position: number; run: number }): Promise<JoinCounter | false> {
    const values = { name: args.join, expected: args.expected, status: COUNTED_TASK_STATUS, settled: 1, counted: args.position };
    const guards = { expected: args.expected, member: args.position, run: args.run };
    // The counter comes back with the write (ALL_NEW, no unit billed): the parent that filled the join needs no read.
    const r = await this.table.write(taskUpdate('settleParentOnce', keys.task({ processId: args.processId, task: args.join }), values, guards, { returnNew: true }));
    return r.ok ? counterOf(TaskItemSchema.parse(r.item)) : false;
  }

  private written(r: WriteOutcome): Written<undefined, TaskItem> {
    return r.ok ? { ok: true, item: undefined } : conflict(r.current);
  }

  /**
   * What a child's ending writes with it: its count (leaving SCHEDULED or RUNNING, its successor SCHEDULED), its
   * lane's next child, and, the last of its lane, the map's count of settled lanes. A child counts in no progress,
   * join or end counter: its map does, once, when it settles.
   */
  private childWrites(end: EndTask, child: ChildEnding, ended: ChildCountChange): ItemWrite[] {
    const change: ChildCountChange = { ...ended, [child.from]: -1, ...(child.successor ? { scheduled: (child.from === 'scheduled' ? -1 : 0) + 1 } : {}) };
    const writes: ItemWrite[] = [childCounterWrite(end.processId, end.task, end.run, change, end.expiresAt)];
    if (child.successor) writes.push(childScheduleWrite(child.successor, this.sweepShards));
    // Under maxParallel the successor inherits the child's slot; a child that ends its lane gives it back.
    else writes.push(...pooledFree(end));
    const parent = parseChildName(end.task);
    if (child.lastOfLane && parent) {
      writes.push(taskUpdate('settleLane', keys.task({ processId: end.processId, task: parent.map }), { settled: 1 }, { expected: child.lastOfLane.lanes }));
    }
    return writes;
  }

  private settled(end: EndTask, r: { ok: true } | { ok: false; reasons: readonly { code: string; current?: Record<string, unknown> }[] }): Written<undefined, TaskItem> {
    if (r.ok) return { ok: true, item: undefined };
    const first = r.reasons[0];
    if (first?.code === 'ConditionalCheckFailed') return conflict(first.current);
    // Only a counter's guard failed: a parent counted twice would mean a broken invariant, not a lost race.
    throw new Error(`settle counter refused the end of '${end.task}': ${r.reasons.map((x) => x.code).join(', ')}`);
  }

  async fail(args: { end: EndTask; error: TaskError; event?: FinalFailEvent; record?: AttemptRecord; settles?: readonly SettleCount[]; child?: ChildEnding }): Promise<Written<undefined, TaskItem>> {
    const { end, error } = args;
    const event = args.event ?? (end.leaseToken === undefined ? 'failManual' : 'fail');
    // The final error is also the last attempt's: lastError always names the latest failure (bounded: the full one is errorJson).
    const values = {
      ...endedValues(end, event),
      errorJson: JSON.stringify(error),
      lastErrorJson: JSON.stringify(summariseError(error, LAST_ERROR_LIMITS)),
      attempts: args.record ? [args.record] : undefined,
    };
    const update = taskUpdate(event, keys.task(end), values, { ...(end.leaseToken === undefined ? {} : { leaseToken: end.leaseToken }), now: end.now, held: end.held ?? false });
    if (args.child) return this.settled(end, await this.table.transact([update, ...this.childWrites(end, args.child, { failed: 1 })]));
    const settles = args.settles ?? [];
    const slots = event === 'fail' ? slotFreeWrites(event, end.leaseToken) : [];
    return this.settled(end, await this.table.transact([update, progressWrite(event, end), ...settles.map((s) => settleWrite(event, end, s)), ...slots, ...pooledFree(end)]));
  }

  async retry(args: RetryWrite): Promise<Written<TaskItem>> {
    const key = keys.task(args.ref);
    const values = {
      attempt: args.attempt + 1,
      nextAttemptAt: args.nextAttemptAt,
      lastErrorJson: JSON.stringify(summariseError(args.error, LAST_ERROR_LIMITS)),
      scheduledAt: args.iso,
      sweepShard: sweepShardOf(key, this.sweepShards),
      sweepAt: args.sweepAt,
      sweepReason: args.sweepReason,
      sends: 0,
      attempts: [args.record],
    };
    const guardValues = { ...(args.leaseToken === undefined ? {} : { leaseToken: args.leaseToken }), now: args.now, attempt: args.attempt };
    const update = taskUpdate(args.event, key, values, guardValues, { returnNew: true });
    // A manual retry leaves an unclaimed child SCHEDULED: nothing to count.
    if (args.event === 'retryManual') return this.update(update);
    // A retry waiting for its backoff holds no slot: a lease's retry frees it in its transaction (the sweeper's do not hold the token's slot live).
    return this.counted(args.ref, update, { running: -1, scheduled: 1 }, args.mapRun, args.event === 'retry' ? slotFreeWrites('retry', args.leaseToken) : []);
  }

  async skip(args: TaskRef & { run: number; because: string; iso: string; expiresAt: number; settles: readonly SettleCount[] }): Promise<boolean> {
    const update = taskUpdate('skip', keys.task(args), { name: args.task, skippedBecause: args.because, endedAt: args.iso, expiresAt: args.expiresAt }, { run: args.run });
    const end: EndTask = { processId: args.processId, task: args.task, iso: args.iso, now: 0, expiresAt: args.expiresAt, run: args.run };
    return (await this.table.transact([update, progressWrite('skip', end), ...args.settles.map((s) => settleWrite('skip', end, s))])).ok;
  }

  async skipReady(args: TaskRef & { run: number; reason: SkipReason; iso: string; expiresAt: number; sweepAt: number; settles: readonly SettleCount[] }): Promise<boolean> {
    const key = keys.task(args);
    const values = {
      name: args.task,
      run: args.run,
      skipReason: args.reason,
      endedAt: args.iso,
      expiresAt: args.expiresAt,
      sweepShard: sweepShardOf(key, this.sweepShards),
      sweepAt: args.sweepAt,
      sweepReason: SWEEP_REASON_ON_ENTRY.task.SKIPPED,
    };
    const end: EndTask = { processId: args.processId, task: args.task, iso: args.iso, now: 0, expiresAt: args.expiresAt, run: args.run };
    const update = taskUpdate('skipReady', key, values, { run: args.run });
    return (await this.table.transact([update, progressWrite('skipReady', end), ...args.settles.map((s) => settleWrite('skipReady', end, s))])).ok;
  }

  async failCondition(args: TaskRef & { run: number; error: TaskError; iso: string; expiresAt: number; sweepAt: number; settles: readonly SettleCount[] }): Promise<boolean> {
    const key = keys.task(args);
    const errorJson = JSON.stringify(args.error);
    const values = {
      name: args.task,
      run: args.run,
      errorJson,
      lastErrorJson: errorJson,
      endedAt: args.iso,
      expiresAt: args.expiresAt,
      sweepShard: sweepShardOf(key, this.sweepShards),
      sweepAt: args.sweepAt,
      sweepReason: SWEEP_REASON_ON_ENTRY.task.FAILED,
    };
    const end: EndTask = { processId: args.processId, task: args.task, iso: args.iso, now: 0, expiresAt: args.expiresAt, run: args.run };
    const update = taskUpdate('failCondition', key, values, { run: args.run });
    return (await this.table.transact([update, progressWrite('failCondition', end), ...args.settles.map((s) => settleWrite('failCondition', end, s))])).ok;
  }

  async recordStale(args: TaskRef & { record: AttemptRecord }): Promise<void> {
    await this.table.write(taskUpdate('recordStale', keys.task(args), { attempts: [args.record] }));
  }

  async cancel(args: TaskRef & { run: number; iso: string; expiresAt: number; leaseToken?: string }): Promise<boolean> {
    const update = taskUpdate('cancel', keys.task(args), { name: args.task, endedAt: args.iso, expiresAt: args.expiresAt }, { run: args.run });
    const r = await this.table.transact([update, progressWrite('cancel', args)]);
    // A cancelled RUNNING task gives its concurrency slot back after its cancel, not in it: the cancel is guarded on
    // the run only, and must not fail because the slot was taken over. Lost (a crash), the slot frees when its lease ends.
    const slot = slotOfToken(args.leaseToken);
    if (r.ok && slot && args.leaseToken !== undefined) await this.table.write(slotUpdate('free', slot, {}, { leaseToken: args.leaseToken }));
    return r.ok;
  }

  async deferResend({ processId, item, nextSweepAt }: { processId: string; item: TaskItem; nextSweepAt: number }): Promise<boolean> {
    if (item.sweepAt === undefined || item.attempt === undefined) return false;
    const r = await this.table.write(
      taskUpdate('resend', keys.task({ processId, task: item.name }), { sweepAt: nextSweepAt, sends: 1 }, { sweepAt: item.sweepAt, attempt: item.attempt }),
    );
    return r.ok;
  }

  async watchLease({ processId, item, at }: { processId: string; item: TaskItem; at: number }): Promise<boolean> {
    if (item.sweepAt === undefined || item.leaseToken === undefined) return false;
    const values = { sweepAt: at, sweepReason: SWEEP_REASON_ON_ENTRY.task.RUNNING };
    const r = await this.table.write(taskUpdate('watchLease', keys.task({ processId, task: item.name }), values, { leaseToken: item.leaseToken, sweepAt: item.sweepAt }));
    return r.ok;
  }

  async deferFollowUp(args: TaskRef & { resumeFrom: number; at: number }): Promise<void> {
    await this.table.write(taskUpdate('deferFollowUp', keys.task(args), { resumeFrom: args.resumeFrom, sweepAt: args.at }));
  }

  async clearSweep(ref: TaskRef): Promise<void> {
    await this.table.write(taskUpdate('clearSweep', keys.task(ref), {}));
  }

  async hold(ref: TaskRef): Promise<boolean> {
    return (await this.table.write(taskUpdate('hold', keys.task(ref), { held: true }))).ok;
  }

  async unhold(ref: TaskRef): Promise<void> {
    await this.table.write(taskUpdate('unhold', keys.task(ref), {}));
  }

  private async update(write: ItemUpdate): Promise<Written<TaskItem>> {
    const r = await this.table.write(write);
    if (!r.ok) return conflict(r.current);
    return { ok: true, item: TaskItemSchema.parse(r.item) };
  }
}

/** A join's counter as its item holds it. */
function counterOf(t: TaskItem): JoinCounter {
  return { status: t.status, settled: t.settled ?? 0, ...(t.skippedParents === undefined ? {} : { skipped: t.skippedParents }), ...(t.run === undefined ? {} : { run: t.run }) };
}

function conflict(current: Record<string, unknown> | undefined): Conflict<TaskItem> {
  return { ok: false, current: parseTask(current) };
}

function parseTask(item: Record<string, unknown> | undefined): TaskItem | undefined {
  return item ? TaskItemSchema.parse(item) : undefined;
}

function parseOutput(json: unknown): unknown {
  return typeof json === 'string' ? (JSON.parse(json) as unknown) : null;
}

/**
 * What every ending sets. The sweep entry stays, with the reason `followUp`:
 * an ended task owes its consequences (children, process end) until they are
 * cleared. With a lease token the running lease must match; without one, only
 * an unclaimed SCHEDULED task (a manual task) qualifies (the rows say so).
 */
function endedValues(end: EndTask, event: 'complete' | 'completeManual' | FinalFailEvent) {
  return { endedAt: end.iso, expiresAt: end.expiresAt, sweepReason: SWEEP_REASON_ON_ENTRY.task[taskTarget(event)] };
}

/** The attempt deadline of a task without `attemptTimeoutSeconds`: about 30 years after its claim, i.e. none. */
const NO_ATTEMPT_LIMIT_MS = 1_000_000_000_000;


/** The slot an ending gives back (`maxParallel`), in its transaction; nothing for a task that holds none. */
function pooledFree(end: EndTask): ItemWrite[] {
  return end.pooled ? [poolFreeWrite(end.processId, end.run)] : [];
}
