import { processIdOf, TASK_SK_PREFIX } from '#adapters/dynamo/keys.ts';
import type { DueKey, SweepIndex } from '#adapters/dynamo/sweep-index.ts';
import type { TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { finishCleanup } from './end-process.ts';
import { followUpCompleted, followUpFailed } from './end-task.ts';
import { mapLimit } from './map-limit.ts';
import type { OutgoingTaskMessage } from '#adapters/sqs/task-queue.ts';
import { sendBestEffort } from './scheduling.ts';
import { scheduleRoots } from './start-process.ts';

export interface SweepStats {
  readonly examined: number;
  readonly resent: number;
  readonly reenqueued: number;
  readonly followedUp: number;
  readonly processesRepaired: number;
  readonly errors: number;
}

/**
 * The recovery sweeper. Everything that owes work carries `sweepAt` on the
 * sparse sweep index, so a crash between any two AWS calls is finished here:
 * - a SCHEDULED task nobody claimed in time: its message is resent (backing off);
 * - a RUNNING task whose lease expired: back to SCHEDULED with attempt+1, resent;
 * - an ended task whose children or process end were not written: redone;
 * - a process whose roots or cancellation were not written: redone.
 * Every step is idempotent, and duplicate messages are harmless because claims are conditional.
 */
export async function sweep(deps: AppDeps, index: SweepIndex, options: { maxItems?: number } = {}): Promise<SweepStats> {
  const now = deps.now();
  const due = await index.due(now, options.maxItems ?? 500);
  const stats = { examined: due.length, resent: 0, reenqueued: 0, followedUp: 0, processesRepaired: 0, errors: 0 };
  await mapLimit(due, deps.settings.writeConcurrency, async (key) => {
    try {
      const outcome = key.sk.startsWith(TASK_SK_PREFIX) ? await sweepTask(deps, key, now) : await sweepProcess(deps, key);
      if (outcome) stats[outcome] += 1;
    } catch (error) {
      stats.errors += 1;
      deps.log.error('sweep of an item failed; it stays due', { pk: key.pk, sk: key.sk, error: String(error) });
    }
  });
  return stats;
}

type Outcome = 'resent' | 'reenqueued' | 'followedUp' | 'processesRepaired' | undefined;

async function sweepTask(deps: AppDeps, key: DueKey, now: number): Promise<Outcome> {
  const processId = processIdOf(key.pk);
  const item = await deps.tasks.get(processId, key.sk.slice(TASK_SK_PREFIX.length));
  if (!item || item.sweepAt === undefined || item.sweepAt > now) return undefined;
  switch (item.status) {
    case 'SCHEDULED':
      return resend(deps, processId, item, now);
    case 'RUNNING': {
      // A live lease: look again when it would expire (heartbeats may have moved it).
      if ((item.leaseExpiresAt ?? 0) > now) {
        await deps.tasks.moveRunningSweep(processId, item, item.leaseExpiresAt ?? now);
        return undefined;
      }
      const next = await deps.tasks.reenqueueExpired(processId, item, now, now + deps.settings.enqueueGraceMs);
      if (!next) return undefined;
      await sendBestEffort(deps, [messageOfItem(processId, next)]);
      return 'reenqueued';
    }
    case 'COMPLETED':
      await followUpCompleted(deps, processId, item.definition ?? '', item.version ?? 0, item.name, {
        from: item.resumeFrom ?? 0,
        budgetMs: deps.settings.sweepFollowUpBudgetMs,
      });
      return 'followedUp';
    case 'FAILED':
      await followUpFailed(deps, processId, item.name);
      return 'followedUp';
    default:
      await deps.tasks.clearSweep(processId, item.name);
      return undefined;
  }
}

async function resend(deps: AppDeps, processId: string, item: TaskItem, now: number): Promise<Outcome> {
  const sends = (item.sends ?? 0) + 1;
  const backoff = Math.min(deps.settings.maxResendIntervalMs, deps.settings.enqueueGraceMs * 2 ** sends);
  // Claim the resend first, so two sweepers never both resend the same message.
  if (!(await deps.tasks.deferEnqueueCheck(processId, item, now + backoff))) return undefined;
  await sendBestEffort(deps, [messageOfItem(processId, item)]);
  return 'resent';
}

async function sweepProcess(deps: AppDeps, key: DueKey): Promise<Outcome> {
  const process = await deps.processes.get(processIdOf(key.pk));
  if (!process || process.sweepAt === undefined) return undefined;
  if (process.status === 'RUNNING') {
    await scheduleRoots(deps, process.id, process.definition, process.version, process.sweepAt, {
      from: process.resumeFrom ?? 0,
      budgetMs: deps.settings.sweepFollowUpBudgetMs,
    });
  } else if (process.status === 'COMPLETED') {
    await deps.processes.clearSweep(process.id, process.sweepAt);
  } else {
    await finishCleanup(deps, process, deps.settings.sweepFollowUpBudgetMs);
  }
  return 'processesRepaired';
}

/** The message of a task as its item records it (for resends). */
function messageOfItem(processId: string, item: TaskItem): OutgoingTaskMessage {
  return {
    queue: item.queue ?? '',
    body: { processId, task: item.name, attempt: item.attempt ?? 1, definition: item.definition ?? '', version: item.version ?? 1 },
  };
}
