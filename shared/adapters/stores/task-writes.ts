import { COUNTED_TASK_STATUS, PROGRESS_COUNT_OF, SWEEP_REASON_ON_ENTRY, TASK_TRANSITIONS, taskTarget, type EffectValues, type TaskEvent } from '#domain/lifecycle.ts';
import { childPartitionOf, keys, progressShardOf, sweepShardOf } from './keys.ts';
import { parseChildName } from '#domain/map-children.ts';
import type { EndTask, FinalFailEvent, ScheduleContext, SettleCount } from '#app/ports.ts';
import { TaskItemSchema } from '#schemas/items.ts';
import type { ItemWrite } from '../item-table.ts';
import { companionOf, endCounterUpdate, mapCounterUpdate, progressUpdate, taskUpdate } from './row-writes.ts';
import type { ItemUpdate } from '../item-table.ts';

/**
 * The parts of task writes that the task store and the map store share: a
 * scheduled task's values, and the companion writes of an ending (progress,
 * join and end counters, a map's counters).
 */

/** Every attribute a task item may hold: a page's projection names the ones it keeps. */
export const TASK_ATTRIBUTES: readonly string[] = Object.keys(TaskItemSchema.in.shape);

/** The values of a task as it is scheduled (the three schedule rows share their effects). */
export function scheduledAttributes(ctx: ScheduleContext, sweepShards: number): EffectValues<(typeof TASK_TRANSITIONS)['schedule']['effects']> {
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
    sweepReason: ctx.expands ? SWEEP_REASON_ON_ENTRY.map.expand : ctx.startsChild ? SWEEP_REASON_ON_ENTRY.subProcess.start : SWEEP_REASON_ON_ENTRY.task.SCHEDULED,
    sends: 0,
    limits: ctx.limited ? 1 : undefined,
    concurrencyKey: ctx.concurrencyKey,
    rateKey: ctx.rateKey,
  };
}

/**
 * The task's ending counted in its run's progress, in the same transaction as the status change: that change's
 * condition is what makes the count happen exactly once (a retried or repeated ending loses it, and counts nothing).
 */
export function progressWrite(event: TaskEvent, end: Pick<EndTask, 'processId' | 'task' | 'run' | 'expiresAt'>): ItemWrite {
  companionOf(TASK_TRANSITIONS[event], 'progress.count', `task event '${event}'`);
  const status = taskTarget(event);
  if (!(status in PROGRESS_COUNT_OF)) throw new Error(`task event '${event}' ends no task: it counts no progress`);
  const count = PROGRESS_COUNT_OF[status as keyof typeof PROGRESS_COUNT_OF];
  const key = keys.processProgress(end.processId, end.run, progressShardOf(end.task));
  // The row's one counter is the ending's status (resolveEffects checks it against the row).
  return progressUpdate(count, key, { [status]: 1, expiresAt: end.expiresAt } as never, { run: end.run });
}

/**
 * One settled parent counted, in the ending transaction (a companion the
 * ending's row declares): a join's counter (its item is created PENDING if it
 * has none yet, and keeps its own expected count), or the process's end
 * counter. The guard keeps a counter from passing its expected count, which
 * would mean a parent was counted twice.
 */
export function settleWrite(event: 'complete' | 'completeManual' | 'skip' | 'skipReady' | 'failCondition' | 'completeMap' | 'failMap' | 'completeByChild' | 'failByChild' | FinalFailEvent, end: EndTask, s: SettleCount): ItemWrite {
  if (s.task === undefined) {
    companionOf(TASK_TRANSITIONS[event], 'endCounter.count', `task event '${event}'`);
    // Each bump moves the counter's expiry with the process.
    return endCounterUpdate('count', keys.processEnd(end.processId), { settled: 1, expected: s.expected, expiresAt: end.expiresAt }, { expected: s.expected });
  }
  companionOf(TASK_TRANSITIONS[event], 'task.settleParent', `task event '${event}'`);
  const values = { name: s.task, expected: s.expected, status: COUNTED_TASK_STATUS, settled: 1, ...(s.skipped ? { skippedParents: 1 } : {}) };
  return taskUpdate('settleParent', keys.task({ processId: end.processId, task: s.task }), values, { expected: s.expected });
}

/** A change of a map child's status, counted in its own partition's counters of its map (what it leaves at 0). */
export type ChildCountChange = Partial<Record<'scheduled' | 'running' | 'completed' | 'failed' | 'cancelled' | 'outputBytes', number>>;

/**
 * The companion write that counts a child's status change in its map's
 * counters: the item of the child's own partition, so a map's counts spread
 * over its partitions as its children do.
 */
export function childCounterWrite(processId: string, task: string, run: number, change: ChildCountChange, expiresAt?: number): ItemWrite {
  const child = parseChildName(task);
  if (!child) throw new Error(`'${task}' is no child of a map: it has no map counters`);
  const values = {
    scheduled: change.scheduled ?? 0,
    running: change.running ?? 0,
    completed: change.completed ?? 0,
    failed: change.failed ?? 0,
    cancelled: change.cancelled ?? 0,
    outputBytes: change.outputBytes ?? 0,
    expiresAt,
  };
  return mapCounterUpdate('count', keys.mapCounter(processId, child.map, run, childPartitionOf(child.map, child.index)), values, { run });
}

/**
 * The write that schedules a child of a map (a lane's first, or the next of a lane with its predecessor's ending):
 * one update that creates the item, or, in a rerun, takes a child of an earlier run back to SCHEDULED with what its
 * last run left removed. Once per run (`runBefore`): a repeat in the same run finds it scheduled and writes nothing.
 */
export function childScheduleWrite(ctx: ScheduleContext, sweepShards: number): ItemUpdate {
  return taskUpdate('scheduleChild', keys.task(ctx), scheduledAttributes(ctx, sweepShards), { run: ctx.run });
}
