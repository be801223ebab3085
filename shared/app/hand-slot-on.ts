import { isScheduledTask } from '#domain/status-predicates.ts';
import type { AppDeps } from './deps.ts';
import { messageOfItem } from './scheduling.ts';

/**
 * Waiters one freed slot looks at. Entries of tasks claimed, cancelled or
 * scheduled again since they waited are taken off and skipped; a list of
 * only such entries is cleaned a few at a time, by each call that frees a slot.
 */
const WAITERS_LOOKED_AT = 5;

/**
 * After a call freed a task's concurrency slot (complete, fail, retry,
 * release, cancel), hands the slot on: the first task still waiting on the
 * key's wait list is taken off it and its message is sent again now, so it
 * is claimed without waiting for its refused message's `notBefore`, which is
 * the first holder's lease expiry (issue 18: no waiting the full lease).
 *
 * Best effort, after the caller's write was committed: a failure here is
 * logged, never the caller's error. The waiter still has its delayed
 * message, so nothing is lost, only the early start. Two calls never take
 * the same entry (the delete is conditional), and a duplicate message is
 * refused by the claim's own guard.
 *
 * @param leaseToken the token of the attempt that ended: names the slot, if any (no read when it held none)
 */
export async function handSlotOn(deps: AppDeps, leaseToken: string | undefined): Promise<void> {
  if (leaseToken === undefined) return;
  try {
    const waiters = await deps.taskLimits.waitersOf({ leaseToken, limit: WAITERS_LOOKED_AT });
    for (const waiter of waiters) {
      if (!(await deps.taskLimits.leave({ waiter }))) continue;
      const item = await deps.tasks.get({ processId: waiter.processId, task: waiter.task });
      // Claimed, ended or scheduled again since it waited: its entry was stale. Held by a pause: its claim would be
      // refused, and the resume sends its message again (a refusal then puts it back in its place, by `scheduledAt`).
      if (!item || !isScheduledTask(item.status) || item.scheduledAt !== waiter.scheduledAt || item.held === true) continue;
      await deps.queue.send({ messages: [messageOfItem(waiter.processId, item)] });
      return;
    }
  } catch (error) {
    deps.log.warn('a freed concurrency slot was not handed on; the waiting task keeps its delayed message', { error: String(error) });
  }
}
