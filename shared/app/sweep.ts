import { isTerminalTask, processSweepDuty, taskSweepDuty, type SweepDuty } from '#domain/lifecycle.ts';
import { parseChildName } from '#domain/map-children.ts';
import { expandMap } from './map-expansion.ts';
import { startChild } from './child-start.ts';
import { followUpChild, teardownMap } from './map-settling.ts';
import type { TaskItem } from '#schemas/items.ts';
import { budgetedPass } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';
import { endProcess, finishCleanup } from './end-process.ts';
import { expireAttempt, followUpCompleted, followUpFailed } from './end-task.ts';
import { followUpSkipped } from './branch-follow-up.ts';
import type { DueEntry, DueItem } from './ports.ts';
import { finishPause, finishResume } from './pause-process.ts';
import { messageOfItem, sendBestEffort } from './scheduling.ts';
import { continueRerun } from './rerun-pass.ts';
import { scheduleRoots } from './start-process.ts';
import { sweepPool } from './process-pools.ts';
import { isCompletedTask, isPausedProcess, isRunningTask } from '#domain/status-predicates.ts';
import { completionCounted } from './count-completion.ts';
import { advanceCursors, sweepHorizon } from './sweep-log.ts';
import { getDefinition } from './definitions.ts';
import { instant } from './timestamps.ts';

export interface SweepStats {
  readonly examined: number;
  readonly resent: number;
  readonly reenqueued: number;
  readonly followedUp: number;
  readonly processesRepaired: number;
  readonly errors: number;
  /** How overdue the oldest due item was (ms; 0 when nothing was due): the sweeper's lag. */
  readonly lagMs: number;
  /** Entries the shards' cursors moved past (read for the last time); a full page of them means more may be due. */
  readonly passed: number;
}

type Outcome = 'resent' | 'reenqueued' | 'followedUp' | 'processesRepaired' | undefined;

/**
 * What handling an entry came to. `settled`: the entry may stay where it is (its work is done, its evidence read) or
 * has moved ahead; otherwise the sweeper makes sure it moved (`revisit`) before its shard's cursor passes it.
 */
interface Handled {
  readonly outcome?: Outcome;
  readonly settled?: true;
}
const SETTLED: Handled = { settled: true };

/**
 * The recovery sweeper. Everything that owes work carries `sweepAt` and a
 * `sweepReason` on the sparse sweep index, so a crash between any two calls is
 * finished here. The index is a log the sweeper walks with a cursor per shard
 * (`sweep-log.ts`): an entry is read once, when its time has passed; one whose
 * work is done stays where it is (a completion's count is its evidence), and
 * one that still owes work later is moved ahead of the cursor. What is owed comes from the lifecycle's duty table
 * ({@link taskSweepDuty}, {@link processSweepDuty}), by the stored reason and
 * the item's status:
 * - a SCHEDULED task nobody claimed in time: its message is resent (backing off);
 * - a RUNNING task whose lease expired or whose attempt passed its deadline: a failed
 *   attempt (retried with backoff, or the task fails and its failure policy applies);
 * - a retry due after more than 15 minutes: its message is sent;
 * - a process past its `timeoutSeconds`: it fails (ProcessTimedOut);
 * - an ended task whose children or process end were not written: redone;
 * - a process whose roots or cancellation were not written: redone;
 * - a resumed process whose resume pass was not finished: finished;
 * - a paused process whose pause pass (the marks) was not finished: finished;
 * - a pass too long for one call (roots, cleanup, rerun, pause, resume): resumed from its cursor;
 * - a task marked while its process is paused: its resend or follow-up waits for the resume.
 * Every step is idempotent, and duplicate messages are harmless because claims are conditional.
 */
export async function sweep(deps: AppDeps, options: { maxItems?: number } = {}): Promise<SweepStats> {
  const now = deps.now();
  const horizon = sweepHorizon(deps, now);
  const walk = await deps.sweepIndex.walk({ horizon, maxItems: options.maxItems ?? 500 });
  const due = walk.entries;
  const lagMs = due.length === 0 ? 0 : Math.max(0, now - Math.min(...due.map((d) => d.position.sweepAt)));
  const stats = { examined: due.length, resent: 0, reenqueued: 0, followedUp: 0, processesRepaired: 0, errors: 0, lagMs, passed: 0 };
  const passed = new Set<DueEntry>();
  await budgetedPass(due, { chunk: 1, lanes: deps.settings.writeConcurrency, deadline: Number.POSITIVE_INFINITY, now: deps.now }, async ([entry]) => {
    if (!entry) return;
    const visit = await visitEntry(deps, entry, now);
    if (visit.outcome) stats[visit.outcome] += 1;
    if (visit.failed) stats.errors += 1;
    if (visit.passed) passed.add(entry);
  });
  stats.passed = await advanceCursors(deps, walk, passed, horizon);
  return stats;
}

/** What one visit of an entry did: its outcome, whether its duty failed, and whether the cursor may pass it. */
export interface Visit {
  readonly outcome?: Outcome;
  readonly failed: boolean;
  /** Settled (done, or moved ahead): the shard's cursor may pass it. */
  readonly passed: boolean;
}

/**
 * The sweeper's visit of one entry of the log: the duty its item owes (by its reason and status), then, unless that
 * settled it, a `revisit` that moves it ahead if it is still where it was read. A done entry (a counted completion) is
 * settled by a read, with no write.
 */
export async function visitEntry(deps: AppDeps, entry: DueEntry, now: number): Promise<Visit> {
  const { item } = entry;
  let handled: Handled = {};
  let failed = false;
  try {
    handled = item.kind === 'task' ? await sweepTask(deps, item, now) : item.kind === 'pool' ? await sweepPoolItem(deps, item.pool) : await sweepProcess(deps, item);
  } catch (error) {
    failed = true;
    deps.log.error('sweep of an item failed; it stays due', { ...whereOf(item), error: String(error) });
  }
  const outcome = handled.outcome === undefined ? {} : { outcome: handled.outcome };
  if (handled.settled) return { ...outcome, failed, passed: true };
  // Not known to be done or moved: make sure it is not left behind the cursor (a read; a write only if it is still there).
  try {
    await deps.sweepIndex.revisit({ entry, at: now });
    return { ...outcome, failed, passed: true };
  } catch (error) {
    deps.log.error('a sweep entry could not be moved; its shard waits for it', { ...whereOf(item), error: String(error) });
    return { ...outcome, failed: true, passed: false };
  }
}

function whereOf(item: DueItem): Record<string, string> {
  return item.kind === 'pool' ? { pool: item.pool } : { processId: item.processId, ...(item.kind === 'task' ? { task: item.task } : {}) };
}

/** A concurrency pool whose queue may wait for a slot (issue 18): its dequeues, then off the index or later. */
async function sweepPoolItem(deps: AppDeps, pool: string): Promise<Handled> {
  return (await sweepPool(deps, pool)) ? { outcome: 'processesRepaired' } : {};
}

async function sweepTask(deps: AppDeps, due: Extract<DueItem, { kind: 'task' }>, now: number): Promise<Handled> {
  const { processId } = due;
  const item = await deps.tasks.get({ processId, task: due.task });
  // Moved or cleared since the index was read (its new place, if any, is ahead of the cursor), or gone.
  if (!item || item.sweepAt !== due.sweepAt) return SETTLED;
  if (item.sweepAt > now) return SETTLED;
  const duty: SweepDuty | undefined = taskSweepDuty(item.sweepReason ?? 'enqueue', item.status);
  switch (duty) {
    case 'resend':
      if (await waitsForResume(deps, processId, item, now)) return {};
      return { outcome: await resend(deps, processId, item, now) };
    case 'expireLease': {
      // A live lease within its attempt's deadline: look again when either would run out (heartbeats may have moved the lease).
      const lease = item.leaseExpiresAt ?? 0;
      const deadline = item.attemptDeadline ?? Number.POSITIVE_INFINITY;
      if (lease > now && deadline > now) {
        await deps.tasks.watchLease({ processId, item, at: Math.min(lease, deadline) });
        return {};
      }
      return (await expireAttempt(deps, processId, item)) ? { outcome: 'reenqueued' } : {};
    }
    case 'followUpCompleted': {
      // The happy path: the completion was counted, the last step of its follow-up. Nothing is owed; no write.
      if (isCompletedTask(item.status) && item.definition !== undefined && item.version !== undefined) {
        const def = await getDefinition(deps, item.definition, item.version);
        if ((await completionCounted(deps, processId, def, item.name, item.run ?? 1)) === true) return SETTLED;
      }
      if (await waitsForResume(deps, processId, item, now)) return {};
      if (parseChildName(item.name)) {
        await followUpChild(deps, processId, item.name, deps.settings.sweepFollowUpBudgetMs);
        return { outcome: 'followedUp' };
      }
      const process = await deps.processes.identity({ id: processId, fresh: true });
      // A completion of an earlier run: the rerun since scheduled what it made ready.
      if (!process || process.run !== (item.run ?? 1)) {
        await deps.tasks.clearSweep({ processId, task: item.name });
        return {};
      }
      // Its count comes last (the completing call may have died before it): counted, it stays settled here.
      await followUpCompleted(deps, processId, process, item.name, { ...(item.resumeFrom === undefined ? {} : { from: item.resumeFrom }), budgetMs: deps.settings.sweepFollowUpBudgetMs });
      return { outcome: 'followedUp', settled: true };
    }
    case 'followUpFailed':
      if (await waitsForResume(deps, processId, item, now)) return {};
      if (parseChildName(item.name)) {
        await followUpChild(deps, processId, item.name, deps.settings.sweepFollowUpBudgetMs);
        return { outcome: 'followedUp' };
      }
      await followUpFailed(deps, processId, item.name, { ...(item.resumeFrom === undefined ? {} : { from: item.resumeFrom }), budgetMs: deps.settings.sweepFollowUpBudgetMs }, item.run ?? 1);
      return { outcome: 'followedUp' };
    case 'followUpSkipped': {
      if (await waitsForResume(deps, processId, item, now)) return {};
      const process = await deps.processes.identity({ id: processId, fresh: true });
      // A skip of an earlier run: the rerun since decided that task again.
      if (!process || process.run !== (item.run ?? 1)) {
        await deps.tasks.clearSweep({ processId, task: item.name });
        return {};
      }
      await followUpSkipped(deps, processId, process, item.name, { from: item.resumeFrom ?? 0, budgetMs: deps.settings.sweepFollowUpBudgetMs });
      return { outcome: 'followedUp' };
    }
    case 'expandMap':
      await expandMap(deps, processId, item, deps.settings.sweepFollowUpBudgetMs);
      return { outcome: 'followedUp' };
    case 'teardownMap':
      await teardownMap(deps, processId, item, deps.settings.sweepFollowUpBudgetMs);
      return { outcome: 'followedUp' };
    case 'startChild':
      await startChild(deps, processId, item);
      return { outcome: 'followedUp' };
    case 'clear':
      await deps.tasks.clearSweep({ processId, task: item.name });
      return {};
    default:
      return {};
  }
}

/**
 * A task marked while its process was paused: while the process is still PAUSED, its
 * resend or follow-up waits (the entry moves later, not lost); the resume pass does it.
 * Only marked tasks pay for the read of the process.
 */
async function waitsForResume(deps: AppDeps, processId: string, item: TaskItem, now: number): Promise<boolean> {
  if (item.held !== true || !isPausedProcess((await deps.processes.get({ id: processId }))?.status)) return false;
  const later = now + deps.settings.maxResendIntervalMs;
  if (isTerminalTask(item.status)) await deps.tasks.deferFollowUp({ processId, task: item.name, resumeFrom: item.resumeFrom ?? 0, at: later });
  else await deps.tasks.deferResend({ processId, item, nextSweepAt: later });
  return true;
}

async function resend(deps: AppDeps, processId: string, item: TaskItem, now: number): Promise<Outcome> {
  const child = parseChildName(item.name);
  if (child && !isRunningTask((await deps.tasks.get({ processId, task: child.map }))?.status)) {
    // A child scheduled as its map ended early: cancelled, never sent again.
    await deps.maps.cancelChild({ processId, task: item.name, status: 'scheduled', run: item.run ?? 1, iso: new Date(now).toISOString(), expiresAt: instant(deps).expiresAt });
    return undefined;
  }
  const sends = (item.sends ?? 0) + 1;
  const backoff = Math.min(deps.settings.maxResendIntervalMs, deps.settings.enqueueGraceMs * 2 ** sends);
  // Claim the resend first, so two sweepers never both resend the same message.
  if (!(await deps.tasks.deferResend({ processId, item, nextSweepAt: now + backoff }))) return undefined;
  await sendBestEffort(deps, [messageOfItem(processId, item)]);
  return 'resent';
}

async function sweepProcess(deps: AppDeps, due: Extract<DueItem, { kind: 'process' }>): Promise<Handled> {
  const process = await deps.processes.get({ id: due.processId });
  // Moved or cleared since the index was read (its new place, if any, is ahead of the cursor), or gone.
  if (!process || process.sweepAt !== due.sweepAt) return SETTLED;
  switch (processSweepDuty(process.sweepReason ?? 'roots', process.status)) {
    case 'scheduleRoots':
      await scheduleRoots(deps, process.id, process.definition, process.version, process.sweepAt, {
        from: process.resumeFrom ?? 0,
        budgetMs: deps.settings.sweepFollowUpBudgetMs,
        ...(process.deadlineAt === undefined ? {} : { deadlineAt: process.deadlineAt }),
      });
      return { outcome: 'processesRepaired' };
    case 'timeOutProcess': {
      if ((process.deadlineAt ?? 0) > deps.now()) return {};
      const message = `the process ran longer than its timeoutSeconds (deadline ${new Date(process.deadlineAt ?? 0).toISOString()})`;
      await endProcess(deps, process.id, 'fail', process, { code: 'ProcessTimedOut', message });
      return { outcome: 'processesRepaired' };
    }
    case 'finishCleanup':
      await finishCleanup(deps, process, deps.settings.sweepFollowUpBudgetMs);
      return { outcome: 'processesRepaired' };
    case 'continueRerun':
      await continueRerun(deps, process, deps.settings.sweepFollowUpBudgetMs);
      return { outcome: 'processesRepaired' };
    case 'finishResume':
      await finishResume(deps, process, deps.settings.sweepFollowUpBudgetMs);
      return { outcome: 'processesRepaired' };
    case 'finishPause':
      await finishPause(deps, process, deps.settings.sweepFollowUpBudgetMs);
      return { outcome: 'processesRepaired' };
    case 'clear':
      await deps.processes.clearSweep({ id: process.id, sweepAt: process.sweepAt });
      return { outcome: 'processesRepaired' };
    default:
      return {};
  }
}
