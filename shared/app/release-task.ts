import type { AppDeps } from './deps.ts';
import { parseChildName } from '#domain/map-children.ts';
import { explainTaskConflict } from './explain-conflict.ts';
import { MAX_SEND_DELAY_SECONDS } from './ports.ts';
import { messageOfItem, sendBestEffort } from './scheduling.ts';
import { instant } from './timestamps.ts';
import { TASK_STATUS, isRunningTask } from '#domain/status-predicates.ts';
import { notBehind } from './sweep-log.ts';
import { handSlotOn } from './hand-slot-on.ts';

/** What a release answers: the task is SCHEDULED again, at the same attempt. */
export interface Released {
  readonly status: typeof TASK_STATUS.scheduled;
  readonly attempt: number;
  /** With a delay: the task cannot be claimed before this. */
  readonly nextAttemptAt?: string;
}

/**
 * Gives a claimed task back (a worker shutting down, or one that cannot take
 * the work now): SCHEDULED again with the *same* attempt, because a release is
 * not a failure; the lease is fenced; the message is sent again, after
 * `delaySeconds` when given (up to SQS's 15 minutes), and a claim before then
 * gets 409 TaskNotActive naming the time.
 *
 * @example
 * await releaseTask(deps, processId, 'Review Credit', { leaseToken, delaySeconds: 30 });
 */
export async function releaseTask(deps: AppDeps, processId: string, task: string, body: { leaseToken: string; delaySeconds?: number }): Promise<Released> {
  const at = instant(deps);
  // A child of a map counts its release in its map's counters of the process's run.
  const mapRun = parseChildName(task) ? (await deps.processes.identity({ id: processId }))?.run : undefined;
  const delaySeconds = Math.min(body.delaySeconds ?? 0, MAX_SEND_DELAY_SECONDS);
  const notBefore = delaySeconds > 0 ? at.now + delaySeconds * 1000 : undefined;
  const result = await deps.tasks.release({
    processId,
    task,
    leaseToken: body.leaseToken,
    now: at.now,
    iso: at.iso,
    // The sweeper resends if the message is lost: a grace period after the task may be claimed again.
    sweepAt: notBehind(deps, (notBefore ?? at.now) + deps.settings.enqueueGraceMs),
    ...(notBefore === undefined ? {} : { notBefore }),
    ...(mapRun === undefined ? {} : { mapRun }),
  });
  if (!result.ok) throw await explainTaskConflict(deps, processId, task, 'release', result.current, body.leaseToken);
  await sendBestEffort(deps, [messageOfItem(processId, result.item, delaySeconds)]);
  await handSlotOn(deps, body.leaseToken);
  return {
    status: TASK_STATUS.scheduled,
    attempt: result.item.attempt ?? 1,
    ...(notBefore === undefined ? {} : { nextAttemptAt: new Date(notBefore).toISOString() }),
  };
}

/**
 * The operator's release of a RUNNING task whose worker is known dead, with
 * no lease token: reads the task, then releases the claim it saw (the
 * `releaseByOperator` row, guarded by that claim's token, so a worker that
 * completes meanwhile wins and the release answers TaskNotActive). The
 * attempt stays, the old lease is fenced (its holder's later calls get 409
 * LeaseMismatch), and the message is sent again at once.
 *
 * @example
 * await releaseTaskByOperator(deps, processId, 'Review Credit'); // { status: TASK_STATUS.scheduled, attempt: 1 }
 */
export async function releaseTaskByOperator(deps: AppDeps, processId: string, task: string): Promise<Released> {
  const item = await deps.tasks.get({ processId, task });
  if (!item || !isRunningTask(item.status) || item.leaseToken === undefined) {
    throw await explainTaskConflict(deps, processId, task, 'release', item, undefined);
  }
  const at = instant(deps);
  const result = await deps.tasks.release({
    processId,
    task,
    leaseToken: item.leaseToken,
    now: at.now,
    iso: at.iso,
    sweepAt: at.now + deps.settings.enqueueGraceMs,
    byOperator: true,
    // A child of a map counts its release in its map's counters of its own run.
    ...(parseChildName(task) ? { mapRun: item.run ?? 1 } : {}),
  });
  if (!result.ok) throw await explainTaskConflict(deps, processId, task, 'release', result.current, undefined);
  await sendBestEffort(deps, [messageOfItem(processId, result.item, 0)]);
  await handSlotOn(deps, item.leaseToken);
  return { status: TASK_STATUS.scheduled, attempt: result.item.attempt ?? 1 };
}
