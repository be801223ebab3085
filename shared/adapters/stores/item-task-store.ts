import { COUNTED_TASK_STATUS, KEPT_ATTEMPT_RECORDS, PROGRESS_COUNT_OF, SWEEP_REASON_ON_ENTRY, TASK_TRANSITIONS, taskTarget, type EffectValues, type TaskEvent } from '#domain/lifecycle.ts';
import type { Conflict, EndTask, FinalFailEvent, RetryWrite, ScheduleContext, SettleCount, TaskPageQuery, TaskRef, TaskStore, UpstreamResult, Written } from '#app/ports.ts';
import { TaskErrorSchema, TaskItemSchema, type AttemptRecord, type TaskError, type TaskItem } from '#schemas/items.ts';
import { LAST_ERROR_LIMITS, summariseError } from '#domain/retry-policy.ts';
import type { ItemTable, ItemUpdate, ItemWrite } from '../item-table.ts';
import { DEFAULT_SWEEP_SHARDS } from '#config/table.ts';
import { TASK_SK_PREFIX, keys, progressShardOf, sweepShardOf } from './keys.ts';
import { companionOf, endCounterUpdate, progressUpdate, taskPut, taskUpdate } from './row-writes.ts';

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
        return [t, { failed: false, output: parseOutput(item?.outputJson) }];
      }),
    );
  }

  async getCounters({ processId, tasks }: { processId: string; tasks: readonly string[] }): Promise<Map<string, { status: TaskItem['status']; settled: number; run?: number }>> {
    const items = (await this.table.getMany(tasks.map((task) => keys.task({ processId, task })))).map((i) => TaskItemSchema.parse(i));
    return new Map(items.map((t) => [t.name, { status: t.status, settled: t.settled ?? 0, ...(t.run === undefined ? {} : { run: t.run }) }]));
  }

  async scheduleNew({ schedule }: { schedule: ScheduleContext }): Promise<boolean> {
    const r = await this.table.write(taskPut('schedule', keys.task(schedule), scheduledAttributes(schedule, this.sweepShards)));
    return r.ok;
  }

  async scheduleJoin({ schedule, expected }: { schedule: ScheduleContext; expected: number }): Promise<boolean> {
    const r = await this.table.write(taskUpdate('scheduleJoin', keys.task(schedule), scheduledAttributes(schedule, this.sweepShards), { expected, run: schedule.run }));
    return r.ok;
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

  async claim(args: TaskRef & { workerId: string; leaseToken: string; now: number; iso: string }): Promise<Written<TaskItem>> {
    // The lease length was fixed at scheduling (timeoutMs), so the claim needs no prior read. The sweep
    // entry keeps its time (due no later than a lease taken right away expires), so no index write.
    // The attempt's hard deadline rides in the same write; a task without attemptTimeoutSeconds gets one far away.
    const values = {
      leaseToken: args.leaseToken,
      workerId: args.workerId,
      claimedAt: args.iso,
      sweepReason: SWEEP_REASON_ON_ENTRY.task.RUNNING,
      leaseExpiresAt: { source: 'timeoutMs', plus: args.now },
      attemptDeadline: { source: 'attemptTimeoutMs', plus: args.now, orElse: NO_ATTEMPT_LIMIT_MS },
    };
    return this.update(taskUpdate('claim', keys.task(args), values, { now: args.now }, { returnNew: true }));
  }

  async release(args: TaskRef & { leaseToken: string; now: number; iso: string; sweepAt: number; notBefore?: number; byOperator?: boolean }): Promise<Written<TaskItem>> {
    const key = keys.task(args);
    const values = {
      scheduledAt: args.iso,
      sweepShard: sweepShardOf(key, this.sweepShards),
      sweepAt: args.sweepAt,
      sweepReason: SWEEP_REASON_ON_ENTRY.task.SCHEDULED,
      sends: 0,
      nextAttemptAt: args.notBefore,
    };
    if (args.byOperator) return this.update(taskUpdate('releaseByOperator', key, values, { leaseToken: args.leaseToken }, { returnNew: true }));
    return this.update(taskUpdate('release', key, values, { leaseToken: args.leaseToken, now: args.now }, { returnNew: true }));
  }

  async heartbeat(args: TaskRef & { leaseToken: string; now: number }): Promise<Written<TaskItem>> {
    const values = { leaseExpiresAt: { source: 'timeoutMs', plus: args.now } };
    return this.update(taskUpdate('heartbeat', keys.task(args), values, { leaseToken: args.leaseToken, now: args.now }, { returnNew: true }));
  }

  /**
   * Ends a task COMPLETED and, in the same transaction, counts it in every
   * join it feeds and in the process's end counter. Atomicity is what makes
   * each count happen exactly once: the task's own status change is the guard.
   */
  async complete({ end, output, settles }: { end: EndTask; output: unknown; settles: readonly SettleCount[] }): Promise<Written<undefined, TaskItem>> {
    const event = end.leaseToken === undefined ? 'completeManual' : 'complete';
    const guardValues = { ...(end.leaseToken === undefined ? {} : { leaseToken: end.leaseToken }), now: end.now, run: end.run, held: end.held ?? false };
    const update = taskUpdate(event, keys.task(end), { ...endedValues(end, event), outputJson: JSON.stringify(output ?? null) }, guardValues);
    return this.settled(end, await this.table.transact([update, progressWrite(event, end), ...settles.map((s) => settleWrite(event, end, s))]));
  }

  private settled(end: EndTask, r: { ok: true } | { ok: false; reasons: readonly { code: string; current?: Record<string, unknown> }[] }): Written<undefined, TaskItem> {
    if (r.ok) return { ok: true, item: undefined };
    const first = r.reasons[0];
    if (first?.code === 'ConditionalCheckFailed') return conflict(first.current);
    // Only a counter's guard failed: a parent counted twice would mean a broken invariant, not a lost race.
    throw new Error(`settle counter refused the end of '${end.task}': ${r.reasons.map((x) => x.code).join(', ')}`);
  }

  async fail(args: { end: EndTask; error: TaskError; event?: FinalFailEvent; record?: AttemptRecord; settles?: readonly SettleCount[] }): Promise<Written<undefined, TaskItem>> {
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
    const settles = args.settles ?? [];
    return this.settled(end, await this.table.transact([update, progressWrite(event, end), ...settles.map((s) => settleWrite(event, end, s))]));
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
    return this.update(taskUpdate(args.event, key, values, guardValues, { returnNew: true }));
  }

  async skip(args: TaskRef & { run: number; because: string; iso: string; expiresAt: number; settles: readonly SettleCount[] }): Promise<boolean> {
    const update = taskUpdate('skip', keys.task(args), { name: args.task, skippedBecause: args.because, endedAt: args.iso, expiresAt: args.expiresAt }, { run: args.run });
    const end: EndTask = { processId: args.processId, task: args.task, iso: args.iso, now: 0, expiresAt: args.expiresAt, run: args.run };
    return (await this.table.transact([update, progressWrite('skip', end), ...args.settles.map((s) => settleWrite('skip', end, s))])).ok;
  }

  async recordStale(args: TaskRef & { record: AttemptRecord }): Promise<void> {
    await this.table.write(taskUpdate('recordStale', keys.task(args), { attempts: [args.record] }));
  }

  async cancel(args: TaskRef & { run: number; iso: string; expiresAt: number }): Promise<boolean> {
    const update = taskUpdate('cancel', keys.task(args), { name: args.task, endedAt: args.iso, expiresAt: args.expiresAt }, { run: args.run });
    const r = await this.table.transact([update, progressWrite('cancel', args)]);
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

/** Every attribute a task item may hold: a page's projection names the ones it keeps. */
const TASK_ATTRIBUTES: readonly string[] = Object.keys(TaskItemSchema.in.shape);

function conflict(current: Record<string, unknown> | undefined): Conflict<TaskItem> {
  return { ok: false, current: parseTask(current) };
}

function parseTask(item: Record<string, unknown> | undefined): TaskItem | undefined {
  return item ? TaskItemSchema.parse(item) : undefined;
}

function parseOutput(json: unknown): unknown {
  return typeof json === 'string' ? (JSON.parse(json) as unknown) : null;
}

/** The values of a task as it is scheduled (the three schedule rows share their effects). */
function scheduledAttributes(ctx: ScheduleContext, sweepShards: number): EffectValues<(typeof TASK_TRANSITIONS)['schedule']['effects']> {
  const key = keys.task(ctx);
  return {
    name: ctx.task,
    index: ctx.index,
    attempt: ctx.attempt,
    run: ctx.run,
    queue: ctx.queue,
    definition: ctx.definition,
    version: ctx.version,
    timeoutMs: ctx.timeoutSeconds * 1000,
    attemptTimeoutMs: ctx.attemptTimeoutSeconds === undefined ? undefined : ctx.attemptTimeoutSeconds * 1000,
    scheduledAt: ctx.iso,
    sweepShard: sweepShardOf(key, sweepShards),
    sweepAt: ctx.sweepAt,
    sweepReason: SWEEP_REASON_ON_ENTRY.task.SCHEDULED,
    sends: 0,
  };
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

/**
 * The task's ending counted in its run's progress, in the same transaction as the status change: that change's
 * condition is what makes the count happen exactly once (a retried or repeated ending loses it, and counts nothing).
 */
function progressWrite(event: TaskEvent, end: Pick<EndTask, 'processId' | 'task' | 'run' | 'expiresAt'>): ItemWrite {
  companionOf(TASK_TRANSITIONS[event], 'progress.count', `task event '${event}'`);
  const status = taskTarget(event);
  if (!(status in PROGRESS_COUNT_OF)) throw new Error(`task event '${event}' ends no task: it counts no progress`);
  const count = PROGRESS_COUNT_OF[status as keyof typeof PROGRESS_COUNT_OF];
  const key = keys.processProgress(end.processId, end.run, progressShardOf(end.task));
  // The row's one counter is the ending's status (resolveEffects checks it against the row).
  return progressUpdate(count, key, { [status]: 1, expiresAt: end.expiresAt } as never, { run: end.run });
}

/** The attempt deadline of a task without `attemptTimeoutSeconds`: about 30 years after its claim, i.e. none. */
const NO_ATTEMPT_LIMIT_MS = 1_000_000_000_000;

/**
 * One settled parent counted, in the ending transaction (a companion the
 * ending's row declares): a join's counter (its item is created PENDING if it
 * has none yet, and keeps its own expected count), or the process's end
 * counter. The guard keeps a counter from passing its expected count, which
 * would mean a parent was counted twice.
 */
function settleWrite(event: 'complete' | 'completeManual' | 'skip' | FinalFailEvent, end: EndTask, s: SettleCount): ItemWrite {
  if (s.task === undefined) {
    companionOf(TASK_TRANSITIONS[event], 'endCounter.count', `task event '${event}'`);
    // Each bump moves the counter's expiry with the process.
    return endCounterUpdate('count', keys.processEnd(end.processId), { settled: 1, expected: s.expected, expiresAt: end.expiresAt }, { expected: s.expected });
  }
  companionOf(TASK_TRANSITIONS[event], 'task.settleParent', `task event '${event}'`);
  const values = { name: s.task, expected: s.expected, status: COUNTED_TASK_STATUS, settled: 1 };
  return taskUpdate('settleParent', keys.task({ processId: end.processId, task: s.task }), values, { expected: s.expected });
}
