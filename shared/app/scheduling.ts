import { SWEEP_REASON_ON_ENTRY, type SweepReason } from '#domain/lifecycle.ts';
import type { DefinitionVersionItem, TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { budgetedPass, type PassResult } from './budgeted-pass.ts';
import { dagOf, taskPolicyOf } from './definitions.ts';
import { MAX_SEND_DELAY_SECONDS, type JoinCounter, type OutgoingTaskMessage, type ScheduleContext } from './ports.ts';
import type { Instant } from './timestamps.ts';
import { declaredTaskOf, mapSettingsOf } from './map-specs.ts';
import { expandMapBestEffort } from './map-expansion.ts';
import { startChildBestEffort } from './child-start.ts';
import { parseChildName } from '#domain/map-children.ts';
import { dispatchWaiters, pooledWrite } from './process-slots.ts';
import { joinRuleOf } from '#domain/branch-spec.ts';
import { joinDecisions } from './join-decisions.ts';
import { conditionOf, failOnCondition, skipTask } from './branching.ts';
import { followUpBranchEndings, type BranchEnding } from './branch-follow-up.ts';
import { budgetedPassDeadline } from './timestamps.ts';
import { limitKeysAtScheduling } from './task-limit-keys.ts';

/** The scheduling record and the message for one task of a process. */
export function scheduleContext(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  task: string,
  attempt: number,
  at: Instant,
  run = 1,
): ScheduleContext {
  const declared = declaredTaskOf(def, task);
  const spec = declared ? dagOf(def).tasks.get(declared.task) : undefined;
  if (!declared || !spec) throw new Error(`task '${task}' is not in ${def.name}@${def.version}`);
  const { attemptTimeoutSeconds } = taskPolicyOf(def, declared.task);
  const expands = declared.child === undefined && mapSettingsOf(def, task) !== undefined;
  const startsChild = declared.child === undefined && spec.process !== undefined;
  return {
    ...(attemptTimeoutSeconds === undefined ? {} : { attemptTimeoutSeconds }),
    ...(declared.child === undefined ? {} : { index: declared.child.index }),
    ...(expands ? { expands: true } : {}),
    ...(startsChild ? { startsChild: true } : {}),
    ...(spec.concurrency === undefined && spec.rateLimit === undefined ? {} : { limited: true }),
    processId,
    task,
    definition: def.name,
    version: def.version,
    queue: spec.queue,
    timeoutSeconds: spec.timeoutSeconds,
    attempt,
    run,
    iso: at.iso,
    // Due when the message should have been claimed, and never after a lease
    // taken right away would expire: a claim then needs no index write.
    sweepAt: at.now + Math.min(deps.settings.enqueueGraceMs, spec.timeoutSeconds * 1000),
  };
}

export function messageFor(ctx: ScheduleContext): OutgoingTaskMessage {
  return {
    queue: ctx.queue,
    body: { processId: ctx.processId, task: ctx.task, attempt: ctx.attempt, definition: ctx.definition, version: ctx.version, ...childFields(ctx.task) },
  };
}

/** A child's message names its map and index, so a worker can match it by its map's name. */
function childFields(task: string): { map?: string; index?: number } {
  const child = parseChildName(task);
  return child ? { map: child.map, index: child.index } : {};
}

/** The message of a task as its item records it (resends, retries), not receivable for `delaySeconds`. */
export function messageOfItem(processId: string, item: TaskItem, delaySeconds = 0): OutgoingTaskMessage {
  return {
    queue: item.queue ?? '',
    body: { processId, task: item.name, attempt: item.attempt ?? 1, definition: item.definition ?? '', version: item.version ?? 1, ...childFields(item.name) },
    ...(delaySeconds > 0 ? { delaySeconds } : {}),
  };
}

/**
 * How a retry due at `nextAttemptAt` reaches a worker. Within the queue's
 * longest send delay (15 minutes), its message goes out now, delayed, and the
 * sweeper checks a grace period after it is due. Beyond that no message goes
 * out: the sweeper sends it when due (reason `retryDue`).
 */
export function retrySchedule(
  deps: AppDeps,
  nextAttemptAt: number,
  now: number,
): { sweepAt: number; sweepReason: SweepReason; message?: (processId: string, item: TaskItem) => OutgoingTaskMessage } {
  const delaySeconds = Math.ceil(Math.max(0, nextAttemptAt - now) / 1000);
  if (delaySeconds > MAX_SEND_DELAY_SECONDS) return { sweepAt: nextAttemptAt, sweepReason: SWEEP_REASON_ON_ENTRY.waiting.task };
  return {
    sweepAt: nextAttemptAt + deps.settings.enqueueGraceMs,
    sweepReason: SWEEP_REASON_ON_ENTRY.task.SCHEDULED,
    message: (processId, item) => messageOfItem(processId, item, delaySeconds),
  };
}

/** Messages go out in SQS batches of 10, each as soon as its tasks are written. */
const SEND_BATCH = 10;

/** What a scheduling pass did: the budgeted pass, and how many tasks it scheduled. */
export interface SchedulePass extends PassResult {
  readonly scheduled: number;
}

/**
 * Writes tasks in chunks of one SQS batch and sends each chunk's messages as
 * soon as the chunk is written, so a wide fan-out's first children reach
 * workers long before its last ones are written. A {@link budgetedPass}: no
 * chunk starts after `deadline`.
 */
async function scheduleStreaming(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  tasks: readonly string[],
  at: Instant,
  write: (ctx: ScheduleContext) => Promise<boolean>,
  deadline = Number.POSITIVE_INFINITY,
  run = 1,
): Promise<SchedulePass> {
  let scheduled = 0;
  const endings: BranchEnding[] = [];
  const pass = await budgetedPass(
    tasks,
    { chunk: SEND_BATCH, lanes: Math.floor(deps.settings.writeConcurrency / SEND_BATCH), deadline, now: deps.now },
    async (chunk) => {
      const written = await Promise.all(
        chunk.map(async (task) => {
          const ctx = scheduleContext(deps, def, processId, task, 1, at, run);
          // A task with `when` is decided here, once, before anything is written: false or failing, it is never scheduled.
          const condition = ctx.index === undefined ? await conditionOf(deps, def, processId, task) : { kind: 'run' as const };
          if (condition.kind === 'skip') {
            if (await skipTask(deps, def, processId, task, 'ConditionFalse', run, at)) endings.push({ task, kind: 'skipped' });
            return undefined;
          }
          if (condition.kind === 'fail') {
            if (await failOnCondition(deps, def, processId, task, condition.error, run, at)) endings.push({ task, kind: 'failed' });
            return undefined;
          }
          // Issue 18: a limited task's keys are evaluated now and recorded with its write; a failing key fails it.
          const limitKeys = await limitKeysAtScheduling(deps, def, processId, task);
          if (limitKeys?.kind === 'fail') {
            if (await failOnCondition(deps, def, processId, task, limitKeys.error, run, at)) endings.push({ task, kind: 'failed' });
            return undefined;
          }
          const keyed = limitKeys === undefined ? ctx : { ...ctx, ...limitKeys.keys };
          return (await write(keyed)) ? keyed : undefined;
        }),
      );
      const contexts = written.filter((c): c is ScheduleContext => c !== undefined);
      // A map goes on no queue: it expands (its items stored, the first child of each lane scheduled) right here,
      // and, should this call die, from the sweep index a grace period later.
      await sendBestEffort(deps, contexts.filter((c) => !c.expands && !c.startsChild).map(messageFor));
      for (const map of contexts.filter((c) => c.expands)) await expandMapBestEffort(deps, processId, map.task);
      // A process task goes on no queue either: its child process starts here, or from the sweep index.
      for (const task of contexts.filter((c) => c.startsChild)) await startChildBestEffort(deps, processId, task.task);
      scheduled += contexts.length;
    },
  );
  // What a branch ended owes its follow-up: right away within this call's budget, else from the sweep index.
  if (endings.length > 0) {
    const until = Math.min(deadline, budgetedPassDeadline(deps, at));
    await followUpBranchEndings(deps, processId, { definition: def.name, version: def.version, run }, endings, until);
  }
  return { ...pass, scheduled };
}

/**
 * Schedules roots or tasks with one need, and sends their messages. In the
 * first run they have no item yet: the conditional put makes each happen once,
 * whoever calls it and however often. In a rerun (`run` > 1) every task that
 * runs again was reset to PENDING for that run: the conditional update from
 * PENDING in that run does the same. Stops starting new writes at `deadline`.
 */
export function scheduleNewTasks(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  tasks: readonly string[],
  at: Instant,
  deadline?: number,
  run = 1,
): Promise<SchedulePass> {
  const plain = run === 1 ? (schedule: ScheduleContext) => deps.tasks.scheduleNew({ schedule }) : (schedule: ScheduleContext) => deps.tasks.scheduleRerun({ schedule });
  // Under maxParallel each task takes a slot with its write or waits; the pass ends handing free slots to the waiters.
  const write = pooledWrite(deps, def, processId, run, run === 1 ? 'new' : 'rerun', plain);
  return withDispatch(deps, def, processId, run, scheduleStreaming(deps, def, processId, tasks, at, write, deadline, run));
}

/** A scheduling pass of a process with `maxParallel`, followed by a dispatch of its waiters (nothing otherwise). */
async function withDispatch<T>(deps: AppDeps, def: DefinitionVersionItem, processId: string, run: number, pass: Promise<T>): Promise<T> {
  const result = await pass;
  if (def.maxParallel !== undefined) await dispatchWaiters(deps, def, processId, run);
  return result;
}

/**
 * Schedules the joins among `joins` whose counters show every parent settled,
 * and sends their messages. Reads the counters first (a read is cheaper than a
 * failed conditional write); the conditional update still decides, so two
 * callers never both schedule. A task feeds at most 99 joins, so no deadline.
 */
export async function scheduleReadyJoins(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  joins: readonly string[],
  at: Instant,
  run = 1,
): Promise<number> {
  return (await scheduleJoins(deps, def, processId, joins, at, run)).scheduled;
}

/**
 * {@link scheduleReadyJoins}, also telling whether one of the joins was already
 * decided (SKIPPED under skipDownstream, or started by an anyCompleted rule):
 * a parent that counted itself into such a join may have been the last task
 * able to run, so its follow-up asks for the end.
 *
 * Each PENDING join is decided by its rule from its counter (settled and
 * skipped parents, `joinDecision`): it waits, runs (its `when` then decides),
 * or is SKIPPED (`UpstreamSkipped`). The conditional write decides who wins.
 * `written`: the counters the caller's own counts left (`settleSmallJoins`);
 * those joins are not read, and only the count that filled one acts on it.
 */
export async function scheduleJoins(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  joins: readonly string[],
  at: Instant,
  run = 1,
  deadline = budgetedPassDeadline(deps, at),
  written?: ReadonlyMap<string, JoinCounter | false>,
): Promise<{ scheduled: number; skippedJoin: boolean }> {
  if (joins.length === 0) return { scheduled: 0, skippedJoin: false };
  const dag = dagOf(def);
  const expectedOf = (j: string) => dag.tasks.get(j)?.needs.length ?? 0;
  // The joins this follow-up's own count reached are decided from that count, unread (see joinDecisions).
  const { decisions, skippedJoin } = await joinDecisions(deps, dag, processId, joins, run, written);
  const decisionOf = (j: string) => decisions.get(j);
  const ready = joins.filter((j) => decisionOf(j) === 'run');
  const skipped: BranchEnding[] = [];
  for (const j of joins.filter((j) => decisionOf(j) === 'skip')) {
    if (await skipTask(deps, def, processId, j, 'UpstreamSkipped', run, at)) skipped.push({ task: j, kind: 'skipped' });
  }
  // Under maxParallel each rule's write takes a slot or waits; a waiter is scheduled later by the same row.
  const anyJoin = pooledWrite(deps, def, processId, run, 'anyJoin', (schedule) => deps.tasks.scheduleAnyJoin({ schedule }));
  const allJoin = pooledWrite(deps, def, processId, run, 'join', (schedule) => deps.tasks.scheduleJoin({ schedule, expected: expectedOf(schedule.task) }), expectedOf);
  const write = (schedule: ScheduleContext) => (joinRuleOf(dag.tasks.get(schedule.task)) === 'anyCompleted' ? anyJoin(schedule) : allJoin(schedule));
  const scheduled = (await withDispatch(deps, def, processId, run, scheduleStreaming(deps, def, processId, ready, at, write, Number.POSITIVE_INFINITY, run))).scheduled;
  await followUpBranchEndings(deps, processId, { definition: def.name, version: def.version, run }, skipped, deadline);
  return { scheduled, skippedJoin };
}

/**
 * Sends messages after their tasks were written. A failed send is not an
 * error for the caller: the task is SCHEDULED and on the sweep index, and the
 * sweeper resends its message after the enqueue grace period.
 */
export async function sendBestEffort(deps: AppDeps, messages: readonly OutgoingTaskMessage[]): Promise<void> {
  if (messages.length === 0) return;
  try {
    await deps.queue.send({ messages });
  } catch (error) {
    deps.log.warn('task messages not sent; the sweeper will resend them', { count: messages.length, error: String(error) });
  }
}
