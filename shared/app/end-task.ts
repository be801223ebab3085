import { ProcessTaskNotClaimableError, TaskNotFoundError } from '#domain/errors.ts';
import { guardsHold, taskGuards, type TaskEvent } from '#domain/lifecycle.ts';
import { ATTEMPT_ERROR_LIMITS, decideRetry, summariseError, type AttemptError } from '#domain/retry-policy.ts';
import { currentRunRecords, type AttemptRecord, type DefinitionVersionItem, type TaskError, type TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition, taskPolicyOf } from './definitions.ts';
import { endIfSinksSettled, endProcess, taskFailedError } from './end-process.ts';
import { explainTaskConflict } from './explain-conflict.ts';
import type { EndTask, FinalFailEvent, ProcessIdentity, RetryEvent, Written } from './ports.ts';
import { retrySchedule, scheduleJoins, scheduleNewTasks, sendBestEffort } from './scheduling.ts';
import { skipDownstream } from './skip-downstream.ts';
import { finishFollowUp } from './count-completion.ts';
import { declaredTaskOf } from './map-specs.ts';
import { afterChildEnding, childEndingOf } from './map-settling.ts';
import { parseChildName } from '#domain/map-children.ts';
import { dispatchWaiters, holdsSlot } from './process-slots.ts';
import { handSlotOn } from './hand-slot-on.ts';
import { failureSettles, settleSmallJoins, settlesOf } from './settles.ts';
import { budgetedPassDeadline, instant, type Instant } from './timestamps.ts';
import { TASK_STATUS, isCompletedTask, isFailedTask, isPausedProcess, isScheduledTask } from '#domain/status-predicates.ts';

/**
 * Completes a task (with its lease token, or without one for an unclaimed
 * manual task), then schedules the children this completion made ready and,
 * after the last sink, completes the process. A repeat with the same token
 * after success is answered as a success.
 *
 * @example
 * await completeTask(deps, processId, 'Open Loan Application', { output: { amount: 1000000 } });
 */
export async function completeTask(deps: AppDeps, processId: string, task: string, body: { leaseToken?: string; output?: unknown }): Promise<void> {
  let process = await deps.processes.identity({ id: processId });
  // The cached view of the process holds until a rerun starts a new run; the write is guarded on its run, and a
  // task of another run sends us to read the process again (once: a run changes only by a rerun of an ended process).
  for (let attempt = 0; ; attempt++) {
    const def = process ? await getDefinition(deps, process.definition, process.version) : undefined;
    const dag = def ? dagOf(def) : undefined;
    const declared = def ? declaredTaskOf(def, task) : undefined;
    if (!process || !def || !dag || !declared) {
      throw await explainTaskConflict(deps, processId, task, 'complete', undefined, body.leaseToken);
    }
    // Only its child process ends a process task: no completion by hand or by a worker.
    if (!declared.child && dag.tasks.get(task)?.process) throw new ProcessTaskNotClaimableError(task, 'completed');
    const end = { ...endOf(deps, processId, task, body.leaseToken, process.run), ...pooledOf(def, task) };
    const child = declared.child && (await childEndingOf(deps, def, processId, declared.child, process.run, body.leaseToken === undefined ? 'scheduled' : 'running'));
    const { result, held } = await endHeldAware(end, body.leaseToken === undefined ? 'completeManual' : 'complete', (e) =>
      deps.tasks.complete({ end: e, output: body.output, settles: child ? [] : settlesOf(dag, task, 'children'), ...(child ? { child } : {}) }),
    );
    // A concurrency slot this completion freed goes to its key's first waiter at once.
    if (result.ok) await handSlotOn(deps, body.leaseToken);
    if (result.ok && child) {
      // Only a child that is not the last of its lane, completed with a lease, owes nothing more (its successor is written).
      await afterChildEnding(deps, processId, task, child, body.leaseToken === undefined || child.successor === undefined || child.lastOfLane !== undefined);
      return;
    }
    if (result.ok) {
      // Ended while its process is paused: the follow-up (and with it the count, its last step) waits for the resume.
      if (held && (await stillPaused(deps, processId))) return;
      await followUpCompleted(deps, processId, process, task);
      return;
    }
    const current = result.current;
    // A retry of a completion that already succeeded: same token, already COMPLETED.
    if (body.leaseToken !== undefined && isCompletedTask(current?.status) && current.leaseToken === body.leaseToken) return;
    if (attempt === 0 && current?.run !== undefined && current.run !== process.run) {
      process = await deps.processes.identity({ id: processId, fresh: true });
      continue;
    }
    throw await explainTaskConflict(deps, processId, task, 'complete', current, body.leaseToken);
  }
}

/** The `error` of a fail call: a task error, plus how the engine should treat it. */
export type FailError = TaskError & Pick<AttemptError, 'retryable' | 'retryAfterSeconds'>;

/**
 * Fails an attempt of a task. With attempts left (and a retryable error) the
 * task goes back to SCHEDULED with attempt + 1, not before its backoff, and
 * its message is sent with that delay. Otherwise it is FAILED for good and the
 * process's failure policy applies (see {@link followUpFailed}). A repeat with
 * the same token after success is answered as a success.
 */
export type FailOutcome = { readonly status: typeof TASK_STATUS.failed } | { readonly status: typeof TASK_STATUS.scheduled; readonly nextAttemptAt: string };

export async function failTask(deps: AppDeps, processId: string, task: string, body: { leaseToken?: string; error: FailError }): Promise<FailOutcome> {
  let process = await deps.processes.identity({ id: processId });
  // Not the hot path: the attempt and its claim are read, to decide and to record them.
  const item = await deps.tasks.get({ processId, task });
  // A task of another run than the cached view's: a rerun started since; read the process again.
  if (process && item?.run !== undefined && item.run !== process.run) process = await deps.processes.identity({ id: processId, fresh: true });
  const def = process ? await getDefinition(deps, process.definition, process.version) : undefined;
  const dag = def ? dagOf(def) : undefined;
  const declared = def ? declaredTaskOf(def, task) : undefined;
  if (!process || !def || !dag || !declared) throw await explainTaskConflict(deps, processId, task, 'fail', undefined, body.leaseToken);
  if (!declared.child && dag.tasks.get(task)?.process) throw new ProcessTaskNotClaimableError(task, 'failed');
  const { retryable: _r, retryAfterSeconds: _a, ...error } = body.error;
  if (alreadyFailed(item, body.leaseToken)) return outcomeOf(item);
  if (!item) throw await explainTaskConflict(deps, processId, task, 'fail', undefined, body.leaseToken);
  const at = instant(deps);
  const attempt = item.attempt ?? 1;
  const policy = taskPolicyOf(def, task);
  const decision = decideRetry(policy.retry, attempt, body.error, { now: at.now, random: deps.random() });
  // Bounded per attempt: the item keeps every attempt's record, beside the output or the full final error.
  const record = attemptRecord(item, { k: 'f', a: attempt, e: at.iso, x: JSON.stringify(summariseError(error, ATTEMPT_ERROR_LIMITS)) }, body.leaseToken);
  if (decision.retry) {
    const event = body.leaseToken === undefined ? 'retryManual' : 'retry';
    const r = await retryAttempt(deps, { processId, task, event, leaseToken: body.leaseToken, attempt, at, nextAttemptAt: decision.nextAttemptAt, error, record, mapRun: process.run });
    if (!r.ok) {
      if (alreadyFailed(r.current, body.leaseToken)) return outcomeOf(r.current);
      throw await explainTaskConflict(deps, processId, task, 'fail', r.current, body.leaseToken);
    }
    await handSlotOn(deps, body.leaseToken);
    return { status: TASK_STATUS.scheduled, nextAttemptAt: new Date(decision.nextAttemptAt).toISOString() };
  }
  const end = { ...endOf(deps, processId, task, body.leaseToken, process.run), ...pooledOf(def, task) };
  const child = declared.child && (await childEndingOf(deps, def, processId, declared.child, process.run, body.leaseToken === undefined ? 'scheduled' : 'running'));
  const { result, held } = await endHeldAware(end, body.leaseToken === undefined ? 'failManual' : 'fail', (e) =>
    deps.tasks.fail({ end: e, error, record, settles: child ? [] : failureSettles(def, dag, task), ...(child ? { child } : {}) }),
  );
  if (!result.ok) {
    if (alreadyFailed(result.current, body.leaseToken)) return outcomeOf(result.current);
    throw await explainTaskConflict(deps, processId, task, 'fail', result.current, body.leaseToken);
  }
  await handSlotOn(deps, body.leaseToken);
  if (child) {
    // A failed child applies no failure policy itself: its map checks its tolerance.
    await afterChildEnding(deps, processId, task, child, true);
    return { status: TASK_STATUS.failed };
  }
  if (held && (await stillPaused(deps, processId))) return { status: TASK_STATUS.failed };
  await followUpFailed(deps, processId, task);
  return { status: TASK_STATUS.failed };
}

/** What a repeated fail answers: the task as the first one left it. */
function outcomeOf(item: TaskItem | undefined): FailOutcome {
  if (isScheduledTask(item?.status) && item.nextAttemptAt !== undefined) return { status: TASK_STATUS.scheduled, nextAttemptAt: new Date(item.nextAttemptAt).toISOString() };
  return { status: TASK_STATUS.failed };
}

/**
 * The sweeper found a RUNNING attempt whose lease ran out (LeaseExpired) or
 * that passed its attemptTimeoutSeconds (AttemptTimedOut): either counts as a
 * failed attempt. Retried with attempts left, else the task fails for good.
 * Answers whether it changed the task.
 */
export async function expireAttempt(deps: AppDeps, processId: string, item: TaskItem): Promise<boolean> {
  if (item.leaseToken === undefined || item.definition === undefined || item.version === undefined) return false;
  const def = await getDefinition(deps, item.definition, item.version);
  const at = instant(deps);
  const attempt = item.attempt ?? 1;
  const lease = item.leaseExpiresAt ?? 0;
  const deadline = item.attemptDeadline ?? Number.POSITIVE_INFINITY;
  const timedOut = deadline <= at.now && deadline <= lease;
  const error: TaskError = timedOut
    ? { code: 'AttemptTimedOut', message: `attempt ${attempt} ran longer than its attemptTimeoutSeconds` }
    : { code: 'LeaseExpired', message: `the lease of attempt ${attempt} expired without a heartbeat` };
  const record = attemptRecord(item, { k: timedOut ? 't' : 'l', a: attempt, e: at.iso, x: JSON.stringify(error) }, item.leaseToken);
  const decision = decideRetry(taskPolicyOf(def, item.name).retry, attempt, error, { now: at.now, random: deps.random() });
  if (decision.retry) {
    const event = timedOut ? 'timeOutAttempt' : 'expireLease';
    const r = await retryAttempt(deps, { processId, task: item.name, event, leaseToken: item.leaseToken, attempt, at, nextAttemptAt: decision.nextAttemptAt, error, record, mapRun: item.run ?? 1 });
    return r.ok;
  }
  const dag = dagOf(def);
  const end: EndTask = { processId, task: item.name, leaseToken: item.leaseToken, iso: at.iso, now: at.now, expiresAt: at.expiresAt, run: item.run ?? 1, ...pooledOf(def, item.name) };
  const event = timedOut ? 'timeOutAttemptFinal' : 'expireLeaseFinal';
  const parent = parseChildName(item.name);
  const child = parent && (await childEndingOf(deps, def, processId, parent, item.run ?? 1, 'running'));
  const { result: r, held } = await endHeldAware(end, event, (e) =>
    deps.tasks.fail({ end: e, error, event, record, settles: child ? [] : failureSettles(def, dag, item.name), ...(child ? { child } : {}) }),
  );
  if (!r.ok) return false;
  if (child) {
    await afterChildEnding(deps, processId, item.name, child, true);
    return true;
  }
  if (held && (await stillPaused(deps, processId))) return true;
  await followUpFailed(deps, processId, item.name, {}, item.run ?? 1);
  return true;
}

/**
 * What a completion owes: schedule the children it made ready, complete the
 * process after its last sink, then count the completion in its run's
 * progress, last (see {@link finishFollowUp}: the count is the evidence that
 * the follow-up is done, so the task's sweep entry is left in place). Idempotent,
 * so the sweeper can call it again for a task whose completing call died
 * half-way. An optional task that failed owes the same (`resume.failed`): its
 * children run without it, and it leaves the sweep index instead.
 * `resume.from` counts through the steps: the single-need children first,
 * then the end decision's walk (see {@link endIfSinksSettled}).
 */
export async function followUpCompleted(
  deps: AppDeps,
  processId: string,
  process: ProcessIdentity,
  task: string,
  resume: { from?: number; budgetMs?: number; failed?: boolean } = {},
): Promise<void> {
  const def = await getDefinition(deps, process.definition, process.version);
  const dag = dagOf(def);
  if (!dag.tasks.has(task)) throw new TaskNotFoundError(processId, task);
  const children = dag.children.get(task) ?? [];
  const at = instant(deps);
  const from = resume.from ?? 0;
  const allSingle = children.filter((c) => dag.tasks.get(c)?.needs.length === 1);
  const single = allSingle.slice(from);
  const joins = children.filter((c) => (dag.tasks.get(c)?.needs.length ?? 0) > 1);
  const deadline = budgetedPassDeadline(deps, at, resume.budgetMs);
  // Small joins are counted here, not in the ending's transaction: before they are decided. A follow-up that was
  // cut short (resumed from a point, 0 included) counted them before its first pass, and reads them.
  const written = resume.from === undefined ? await settleSmallJoins(deps, dag, processId, task, process.run) : undefined;
  const [pass, joined] = await Promise.all([
    scheduleNewTasks(deps, def, processId, single, at, deadline, process.run),
    scheduleJoins(deps, def, processId, joins, at, process.run, undefined, written),
  ]);
  if (!pass.complete) {
    // A fan-out too wide for one call's budget: record where to resume and
    // leave the rest to the sweeper, due now. The caller's answer is not delayed.
    await deps.tasks.deferFollowUp({ processId, task, resumeFrom: from + pass.handled, at: deps.now() });
    return;
  }
  // After a sink; or, under skipDownstream, after counting into a skipped join: this may have been the last task able to run.
  if (dag.sinks.includes(task) || joined.skippedJoin) {
    const check = { from: Math.max(0, from - allSingle.length), deadline, after: task, ...(dag.sinks.includes(task) ? { settledSink: task } : {}) };
    const decided = await endIfSinksSettled(deps, def, processId, process.run, check);
    if (!decided.complete) {
      await deps.tasks.deferFollowUp({ processId, task, resumeFrom: allSingle.length + decided.handled, at: deps.now() });
      return;
    }
  }
  await finishFollowUp(deps, processId, def, task, process.run, resume.failed !== true);
}

/**
 * What a final failure owes, by the failure policy, then leave the sweep index. Idempotent.
 * - an `optional` task: nothing fails; its children run (as after a completion);
 * - `skipDownstream`: every descendant becomes SKIPPED; every other branch runs on, and the process ends once no
 *   task can run any more (`resume.from` counts through the skips, then the end decision's walk);
 * - `failFast`: the process fails, cancelling the rest.
 */
export async function followUpFailed(deps: AppDeps, processId: string, task: string, resume: { from?: number; budgetMs?: number } = {}, run?: number): Promise<void> {
  const identity = await deps.processes.identity({ id: processId, fresh: run !== undefined });
  if (!identity) return;
  // The failure of a task of an earlier run: the rerun since took over its consequences.
  if (run !== undefined && run !== identity.run) {
    await deps.tasks.clearSweep({ processId, task });
    return;
  }
  const def = await getDefinition(deps, identity.definition, identity.version);
  if (taskPolicyOf(def, task).optional) {
    await followUpCompleted(deps, processId, identity, task, { ...resume, failed: true });
    return;
  }
  if (def.onFailure === 'skipDownstream') {
    const deadline = budgetedPassDeadline(deps, instant(deps), resume.budgetMs);
    const from = resume.from ?? 0;
    const skips = await skipDownstream(deps, def, processId, task, identity.run, { from, deadline });
    const decided = skips.complete
      ? await endIfSinksSettled(deps, def, processId, identity.run, { from: Math.max(0, from - skips.total), deadline, after: task, culprit: task, settledSink: task })
      : skips;
    if (!decided.complete) {
      const resumeFrom = skips.complete ? skips.total + decided.handled : skips.handled;
      await deps.tasks.deferFollowUp({ processId, task, resumeFrom, at: deps.now() });
      return;
    }
    // The failed task gave its slot back (maxParallel): hand it on before leaving the sweep index.
    await dispatchWaiters(deps, def, processId, identity.run);
  } else {
    const item = await deps.tasks.get({ processId, task });
    await endProcess(deps, processId, 'fail', undefined, taskFailedError(task, item?.error?.message), item?.run ?? identity.run);
  }
  await deps.tasks.clearSweep({ processId, task });
}

/**
 * The record an ended attempt leaves on its task, for the history: when it
 * was scheduled and claimed, by whom (with a lease only), and its lease token
 * (so that a later stale call is matched to it).
 */
function attemptRecord(item: TaskItem, ended: Pick<AttemptRecord, 'k' | 'a' | 'e' | 'x'>, leaseToken: string | undefined): AttemptRecord {
  return {
    ...ended,
    ...(leaseToken === undefined ? {} : { t: leaseToken }),
    ...(item.scheduledAt ? { s: item.scheduledAt } : {}),
    ...(item.claimedAt ? { c: item.claimedAt } : {}),
    ...(item.workerId && leaseToken !== undefined ? { w: item.workerId } : {}),
  };
}

/**
 * A failed attempt with attempts left goes back to SCHEDULED with attempt + 1,
 * and its message goes out with the backoff as its delay (past SQS's longest
 * delay the sweeper sends it when due).
 */
async function retryAttempt(
  deps: AppDeps,
  args: { processId: string; task: string; event: RetryEvent; leaseToken: string | undefined; attempt: number; at: Instant; nextAttemptAt: number; error: TaskError; record: AttemptRecord; mapRun: number },
): Promise<Written<TaskItem>> {
  const { processId, task, at, nextAttemptAt } = args;
  const when = retrySchedule(deps, nextAttemptAt, at.now);
  const r = await deps.tasks.retry({
    ref: { processId, task },
    event: args.event,
    ...(args.leaseToken === undefined ? {} : { leaseToken: args.leaseToken }),
    attempt: args.attempt,
    now: at.now,
    iso: at.iso,
    nextAttemptAt,
    error: args.error,
    record: { ...args.record, n: nextAttemptAt },
    sweepAt: when.sweepAt,
    sweepReason: when.sweepReason,
    mapRun: args.mapRun,
  });
  if (r.ok && when.message) await sendBestEffort(deps, [when.message(processId, r.item)]);
  return r;
}

/** A repeat of a fail that was already recorded with this token (as a final failure or as a retried attempt). */
function alreadyFailed(item: TaskItem | undefined, leaseToken: string | undefined): boolean {
  if (!item || leaseToken === undefined) return false;
  if (isFailedTask(item.status) && item.leaseToken === leaseToken) return true;
  // Only this run's attempts: a token from before a rerun is stale, not a repeat.
  return currentRunRecords(item).some((r) => r.k === 'f' && r.t === leaseToken);
}

/**
 * Writes a task's ending; if it lost only because the task carries the pause mark
 * (its process was paused while it ran), writes it again as held. A held ending is
 * recorded as any other (output, counters), but its follow-up (children, process
 * end) waits on the sweep index for the resume. The normal path pays nothing: the
 * "not held" condition rides in the same write.
 */
async function endHeldAware(
  end: EndTask,
  event: Extract<TaskEvent, 'complete' | 'completeManual' | FinalFailEvent>,
  write: (end: EndTask) => Promise<Written<undefined, TaskItem>>,
): Promise<{ result: Written<undefined, TaskItem>; held: boolean }> {
  const result = await write(end);
  if (result.ok || result.current?.held !== true) return { result, held: false };
  const values = { ...(end.leaseToken === undefined ? {} : { leaseToken: end.leaseToken }), now: end.now, run: end.run, held: true };
  if (!guardsHold(taskGuards(event, values), result.current)) return { result, held: false };
  return { result: await write({ ...end, held: true }), held: true };
}

/** After a held ending: a process resumed meanwhile gets the follow-up at once (its resume pass may have missed it). */
async function stillPaused(deps: AppDeps, processId: string): Promise<boolean> {
  return isPausedProcess((await deps.processes.get({ id: processId }))?.status);
}

/** An ending of a task that holds a slot of its process's pool (`maxParallel`) gives it back with its write. */
function pooledOf(def: DefinitionVersionItem, task: string): { pooled?: true } {
  return holdsSlot(def, task) ? { pooled: true } : {};
}

function endOf(deps: AppDeps, processId: string, task: string, leaseToken: string | undefined, run: number): EndTask {
  const at = instant(deps);
  return { processId, task, ...(leaseToken === undefined ? {} : { leaseToken }), iso: at.iso, now: at.now, expiresAt: at.expiresAt, run };
}
