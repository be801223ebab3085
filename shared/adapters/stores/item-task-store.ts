import { ATTR, COUNTED_TASK_STATUS, SWEEP_REASON_ON_ENTRY, taskGuards, taskTarget, type Guard, type TaskStatus } from '#domain/lifecycle.ts';
import type { Conflict, EndTask, TaskPageQuery, FinalFailEvent, RetryWrite, ScheduleContext, SettleCount, TaskRef, TaskStore, UpstreamResult, Written } from '#app/ports.ts';
import { TaskErrorSchema, TaskItemSchema, type AttemptRecord, type TaskError, type TaskItem } from '#schemas/items.ts';
import { LAST_ERROR_LIMITS, summariseError } from '#domain/retry-policy.ts';
import type { ItemTable, ItemUpdate, ItemWrite } from '../item-table.ts';
import { TASK_SK_PREFIX, keys, progressShardOf, sweepShardOf } from './keys.ts';

/**
 * Task items: `PROC#<id>` / `TASK#<name>`. A task without an item is PENDING.
 * Every write is built here once, with its condition derived from the
 * lifecycle table, and runs on any {@link ItemTable}.
 */
export class ItemTaskStore implements TaskStore {
  constructor(private readonly table: ItemTable) {}

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
    const key = keys.task(schedule);
    const r = await this.table.write({ type: 'put', key, item: { ...key, ...scheduledAttributes(schedule) }, guards: taskGuards('schedule') });
    return r.ok;
  }

  async scheduleJoin({ schedule, expected }: { schedule: ScheduleContext; expected: number }): Promise<boolean> {
    const r = await this.table.write({
      type: 'update',
      key: keys.task(schedule),
      set: scheduledAttributes(schedule),
      guards: taskGuards('scheduleJoin', { expected, run: schedule.run }),
    });
    return r.ok;
  }

  async scheduleRerun({ schedule }: { schedule: ScheduleContext }): Promise<boolean> {
    const r = await this.table.write({ type: 'update', key: keys.task(schedule), set: scheduledAttributes(schedule), guards: taskGuards('scheduleRerun', { run: schedule.run }) });
    return r.ok;
  }

  async reopen(args: TaskRef & { run: number; records: readonly AttemptRecord[]; counter?: { settled: number; expected: number } }): Promise<boolean> {
    const r = await this.table.write({
      type: 'update',
      key: keys.task(args),
      set: { name: args.task, status: taskTarget('reopen'), run: args.run, ...(args.counter ?? {}) },
      // Everything of the last run's attempt goes; its record (appended) keeps what the history shows.
      remove: [...LAST_RUN_ATTRIBUTES, ...(args.counter ? [] : ['settled', 'expected'])],
      ...(args.records.length > 0 ? { append: { attempts: args.records } } : {}),
      guards: taskGuards('reopen', { run: args.run }),
    });
    return r.ok;
  }

  async retain(args: TaskRef & { run: number; expiresAt: number }): Promise<boolean> {
    const r = await this.table.write({ type: 'update', key: keys.task(args), set: { expiresAt: args.expiresAt }, guards: taskGuards('retain', { run: args.run }) });
    return r.ok;
  }

  async claim(args: TaskRef & { workerId: string; leaseToken: string; now: number; iso: string }): Promise<Written<TaskItem>> {
    return this.update({
      type: 'update',
      key: keys.task(args),
      // The lease length was fixed at scheduling (timeoutMs), so the claim needs no prior read. The sweep
      // entry keeps its time (due no later than a lease taken right away expires), so no index write.
      set: { status: taskTarget('claim'), leaseToken: args.leaseToken, workerId: args.workerId, claimedAt: args.iso, sweepReason: SWEEP_REASON_ON_ENTRY.task.RUNNING },
      // The attempt's hard deadline rides in the same write; a task without attemptTimeoutSeconds gets one far away.
      setSum: { leaseExpiresAt: { source: 'timeoutMs', plus: args.now }, attemptDeadline: { source: 'attemptTimeoutMs', plus: args.now, orElse: NO_ATTEMPT_LIMIT_MS } },
      remove: ['nextAttemptAt'],
      guards: taskGuards('claim', { now: args.now }),
      returnNew: true,
    });
  }

  async release(args: TaskRef & { leaseToken: string; now: number; iso: string; sweepAt: number; notBefore?: number }): Promise<Written<TaskItem>> {
    const key = keys.task(args);
    return this.update({
      type: 'update',
      key,
      set: {
        status: taskTarget('release'),
        scheduledAt: args.iso,
        sweepShard: sweepShardOf(key.pk),
        sweepAt: args.sweepAt,
        sweepReason: SWEEP_REASON_ON_ENTRY.task.SCHEDULED,
        sends: 0,
        ...(args.notBefore === undefined ? {} : { nextAttemptAt: args.notBefore }),
      },
      // The attempt stays: a release is not a failure. Its claim, lease and deadline go with it.
      remove: ['leaseToken', 'leaseExpiresAt', 'attemptDeadline', 'workerId', 'claimedAt', ...(args.notBefore === undefined ? ['nextAttemptAt'] : [])],
      guards: taskGuards('release', { leaseToken: args.leaseToken, now: args.now }),
      returnNew: true,
    });
  }

  async heartbeat(args: TaskRef & { leaseToken: string; now: number }): Promise<Written<TaskItem>> {
    return this.update({
      type: 'update',
      key: keys.task(args),
      setSum: { leaseExpiresAt: { source: 'timeoutMs', plus: args.now } },
      guards: taskGuards('heartbeat', { leaseToken: args.leaseToken, now: args.now }),
      returnNew: true,
    });
  }

  /**
   * Ends a task COMPLETED and, in the same transaction, counts it in every
   * join it feeds and in the process's end counter. Atomicity is what makes
   * each count happen exactly once: the task's own status change is the guard.
   */
  async complete({ end, output, settles }: { end: EndTask; output: unknown; settles: readonly SettleCount[] }): Promise<Written<undefined, TaskItem>> {
    const update = endUpdate(end, 'complete', { outputJson: JSON.stringify(output ?? null) });
    return this.settled(end, await this.table.transact([update, progressWrite(end, taskTarget('complete')), ...settles.map((s) => settleWrite(end, s))]));
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
    const base = endUpdate(end, 'fail', { errorJson: JSON.stringify(error), lastErrorJson: JSON.stringify(summariseError(error, LAST_ERROR_LIMITS)) });
    const update: ItemUpdate = {
      ...base,
      guards: taskGuards(event, { ...(end.leaseToken === undefined ? {} : { leaseToken: end.leaseToken }), now: end.now, held: end.held ?? false }),
      remove: [...(base.remove ?? []), 'nextAttemptAt', 'attemptDeadline'],
      ...(args.record ? { append: { attempts: [args.record] } } : {}),
    };
    const settles = args.settles ?? [];
    return this.settled(end, await this.table.transact([update, progressWrite(end, taskTarget('fail')), ...settles.map((s) => settleWrite(end, s))]));
  }

  async retry(args: RetryWrite): Promise<Written<TaskItem>> {
    return this.update({
      type: 'update',
      key: keys.task(args.ref),
      set: {
        status: taskTarget(args.event),
        attempt: args.attempt + 1,
        nextAttemptAt: args.nextAttemptAt,
        lastErrorJson: JSON.stringify(summariseError(args.error, LAST_ERROR_LIMITS)),
        scheduledAt: args.iso,
        sweepShard: sweepShardOf(keys.task(args.ref).pk),
        sweepAt: args.sweepAt,
        sweepReason: args.sweepReason,
        sends: 0,
      },
      append: { attempts: [args.record] },
      // The new attempt is unclaimed: claim, lease and deadline belong to the one that failed.
      remove: ['leaseToken', 'leaseExpiresAt', 'attemptDeadline', 'workerId', 'claimedAt'],
      guards: taskGuards(args.event, { ...(args.leaseToken === undefined ? {} : { leaseToken: args.leaseToken }), now: args.now, attempt: args.attempt }),
      returnNew: true,
    });
  }

  async skip(args: TaskRef & { run: number; because: string; iso: string; expiresAt: number; settles: readonly SettleCount[] }): Promise<boolean> {
    const update: ItemUpdate = {
      type: 'update',
      key: keys.task(args),
      set: { status: taskTarget('skip'), name: args.task, skippedBecause: args.because, endedAt: args.iso, expiresAt: args.expiresAt },
      guards: taskGuards('skip', { run: args.run }),
    };
    const end: EndTask = { processId: args.processId, task: args.task, iso: args.iso, now: 0, expiresAt: args.expiresAt, run: args.run };
    return (await this.table.transact([update, progressWrite(end, taskTarget('skip')), ...args.settles.map((s) => settleWrite(end, s))])).ok;
  }

  async recordStale(args: TaskRef & { record: AttemptRecord }): Promise<void> {
    await this.table.write({ type: 'update', key: keys.task(args), append: { attempts: [args.record] }, guards: taskGuards('recordStale') });
  }

  async cancel(args: TaskRef & { run: number; iso: string; expiresAt: number }): Promise<boolean> {
    const r = await this.table.transact([{
      type: 'update',
      key: keys.task(args),
      set: { status: taskTarget('cancel'), name: args.task, endedAt: args.iso, expiresAt: args.expiresAt },
      remove: ['sweepShard', 'sweepAt', 'sweepReason', 'leaseExpiresAt', 'nextAttemptAt'],
      guards: taskGuards('cancel', { run: args.run }),
    }, progressWrite(args, taskTarget('cancel'))]);
    return r.ok;
  }

  async deferResend({ processId, item, nextSweepAt }: { processId: string; item: TaskItem; nextSweepAt: number }): Promise<boolean> {
    if (item.sweepAt === undefined || item.attempt === undefined) return false;
    const r = await this.table.write({
      type: 'update',
      key: keys.task({ processId, task: item.name }),
      set: { sweepAt: nextSweepAt },
      add: { sends: 1 },
      guards: taskGuards('resend', { sweepAt: item.sweepAt, attempt: item.attempt }),
    });
    return r.ok;
  }

  async watchLease({ processId, item, at }: { processId: string; item: TaskItem; at: number }): Promise<boolean> {
    if (item.sweepAt === undefined || item.leaseToken === undefined) return false;
    const r = await this.table.write({
      type: 'update',
      key: keys.task({ processId, task: item.name }),
      set: { sweepAt: at, sweepReason: SWEEP_REASON_ON_ENTRY.task.RUNNING },
      guards: taskGuards('watchLease', { leaseToken: item.leaseToken, sweepAt: item.sweepAt }),
    });
    return r.ok;
  }

  async deferFollowUp(args: TaskRef & { resumeFrom: number; at: number }): Promise<void> {
    await this.table.write({ type: 'update', key: keys.task(args), set: { resumeFrom: args.resumeFrom, sweepAt: args.at }, guards: taskGuards('deferFollowUp') });
  }

  async clearSweep(ref: TaskRef): Promise<void> {
    await this.table.write({ type: 'update', key: keys.task(ref), remove: ['sweepShard', 'sweepAt', 'sweepReason'], guards: taskGuards('clearSweep') });
  }

  async hold(ref: TaskRef): Promise<boolean> {
    return (await this.table.write({ type: 'update', key: keys.task(ref), set: { [ATTR.held]: true }, guards: taskGuards('hold') })).ok;
  }

  async unhold(ref: TaskRef): Promise<void> {
    await this.table.write({ type: 'update', key: keys.task(ref), remove: [ATTR.held], guards: taskGuards('unhold') });
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

/** The attributes of a task as it is scheduled. */
function scheduledAttributes(ctx: ScheduleContext): Record<string, unknown> {
  const key = keys.task(ctx);
  return {
    name: ctx.task,
    ...(ctx.index === undefined ? {} : { index: ctx.index }),
    status: taskTarget('schedule'),
    attempt: ctx.attempt,
    run: ctx.run,
    queue: ctx.queue,
    definition: ctx.definition,
    version: ctx.version,
    timeoutMs: ctx.timeoutSeconds * 1000,
    ...(ctx.attemptTimeoutSeconds === undefined ? {} : { attemptTimeoutMs: ctx.attemptTimeoutSeconds * 1000 }),
    scheduledAt: ctx.iso,
    sweepShard: sweepShardOf(key.pk),
    sweepAt: ctx.sweepAt,
    sweepReason: SWEEP_REASON_ON_ENTRY.task.SCHEDULED,
    sends: 0,
  };
}

/**
 * The update that ends a task. With a lease token the running lease must
 * match; without one, only an unclaimed SCHEDULED task (a manual task)
 * qualifies. The sweep entry stays, with the reason `followUp`: an ended task
 * owes its consequences (children, process end) until they are cleared.
 */
function endUpdate(end: EndTask, outcome: 'complete' | 'fail', extra: Record<string, unknown>): ItemUpdate {
  const event = end.leaseToken === undefined ? (`${outcome}Manual` as const) : outcome;
  const guards: Guard[] = taskGuards(event, { ...(end.leaseToken === undefined ? {} : { leaseToken: end.leaseToken }), now: end.now, run: end.run, held: end.held ?? false });
  const status = taskTarget(event);
  return {
    type: 'update',
    key: keys.task(end),
    set: { status, endedAt: end.iso, expiresAt: end.expiresAt, sweepReason: SWEEP_REASON_ON_ENTRY.task[status], ...extra },
    remove: ['leaseExpiresAt'],
    guards,
  };
}

/**
 * The task's ending counted in its run's progress, in the same transaction as the status change: that change's
 * condition is what makes the count happen exactly once (a retried or repeated ending loses it, and counts nothing).
 * The counter is no task: the ending write's guards are its guards.
 */
function progressWrite(end: Pick<EndTask, 'processId' | 'task' | 'run' | 'expiresAt'>, status: TaskStatus): ItemWrite {
  const key = keys.processProgress(end.processId, end.run, progressShardOf(end.task));
  return { type: 'update', key, set: { expiresAt: end.expiresAt }, add: { [status]: 1 }, guards: [] };
}

/** What a task's item holds of its run's last attempt: a rerun's reset removes it all (the item keeps name, run and attempts). */
const LAST_RUN_ATTRIBUTES = [
  'attempt',
  'queue',
  'timeoutMs',
  'attemptTimeoutMs',
  'definition',
  'version',
  'workerId',
  'leaseToken',
  'leaseExpiresAt',
  'attemptDeadline',
  'nextAttemptAt',
  'outputJson',
  'errorJson',
  'lastErrorJson',
  'skippedBecause',
  'scheduledAt',
  'claimedAt',
  'endedAt',
  'expiresAt',
  'sweepShard',
  'sweepAt',
  'sweepReason',
  'sends',
  'resumeFrom',
  'held',
];

/** The attempt deadline of a task without `attemptTimeoutSeconds`: about 30 years after its claim, i.e. none. */
const NO_ATTEMPT_LIMIT_MS = 1_000_000_000_000;

/**
 * One settled parent counted, in the ending transaction: a join's counter (its
 * item is created PENDING if it has none yet, and keeps its own expected
 * count), or the process's end counter. The guard keeps a counter from passing
 * its expected count, which would mean a parent was counted twice.
 */
function settleWrite(end: EndTask, s: SettleCount): ItemWrite {
  const guards = taskGuards('settleParent', { expected: s.expected });
  if (s.task === undefined) {
    // The end counter is no task: only the counter guard applies. Each bump moves its expiry with the process.
    return { type: 'update', key: keys.processEnd(end.processId), set: { expiresAt: end.expiresAt, expected: s.expected }, add: { settled: 1 }, guards: guards.filter((g) => g.kind !== 'statusIn') };
  }
  return {
    type: 'update',
    key: keys.task({ processId: end.processId, task: s.task }),
    set: { name: s.task, expected: s.expected },
    setIfMissing: { status: COUNTED_TASK_STATUS },
    add: { settled: 1 },
    guards,
  };
}
