import { childName, parseChildName } from '#domain/map-children.ts';
import { waitOrderKey, type WaitKind } from '#domain/slot-pool.ts';
import { isPausedProcess, isRunningProcess, isRunningTask } from '#domain/status-predicates.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { declaredTaskOf, mapSettingsOf } from './map-specs.ts';
import type { OutgoingTaskMessage, ScheduleContext, Waiter } from './ports.ts';
import { messageFor, scheduleContext, sendBestEffort } from './scheduling.ts';
import { limitKeysAtScheduling } from './task-limit-keys.ts';
import { instant } from './timestamps.ts';

/**
 * `maxParallel` at run time: a process's slot pool (see `#domain/slot-pool.ts`).
 * - A task that becomes ready takes a slot in the transaction that schedules
 *   it ({@link pooledWrite}); without one it waits in the pool's wait list,
 *   in definition order. While any task waits, a newly ready one queues
 *   behind it rather than taking a slot that frees meanwhile.
 * - Every ending of a slot holder gives the slot back in its own transaction
 *   (`EndTask.pooled`), and its follow-up, which the sweep index owes until it
 *   is done, hands free slots to the first waiters ({@link dispatchWaiters}).
 * - Every scheduling pass ends with a dispatch too. A waiter is written before
 *   that dispatch and a slot is freed before its holder's, so whichever comes
 *   second sees the other: no waiter is left behind by a race.
 * A process without `maxParallel` never reaches any of this.
 */

/** Waiters read per query while dispatching. */
const WAITERS_PER_READ = 10;

/** Whether a task of this definition holds a slot while SCHEDULED or RUNNING: every task but a map itself (its children do). */
export function holdsSlot(def: DefinitionVersionItem, task: string): boolean {
  if (def.maxParallel === undefined) return false;
  const declared = declaredTaskOf(def, task);
  if (!declared) return false;
  return declared.child !== undefined || mapSettingsOf(def, task) === undefined;
}

/** A task's place in its pool's wait order: its definition order, then its lane (a child that starts a lane). */
function orderOf(def: DefinitionVersionItem, task: string): string {
  const child = parseChildName(task);
  const position = def.tasks.findIndex((t) => t.name === (child ? child.map : task));
  return waitOrderKey(Math.max(0, position), child?.index);
}

/**
 * The write of a scheduling pass under `maxParallel`: schedule and take a slot
 * in one transaction, or wait. A map task goes through `plain` (it holds no
 * slot). Answers whether the task was scheduled now (its message is the pass's to send).
 */
export function pooledWrite(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  run: number,
  kind: WaitKind,
  plain: (ctx: ScheduleContext) => Promise<boolean>,
  expectedOf: (task: string) => number | undefined = () => undefined,
): (ctx: ScheduleContext) => Promise<boolean> {
  const capacity = def.maxParallel;
  if (capacity === undefined) return plain;
  // Read once per pass: with waiters ahead, a newly ready task queues behind them (the pass's dispatch serves them in order).
  let queued: Promise<boolean> | undefined;
  return async (ctx) => {
    if (ctx.expands) return plain(ctx);
    queued ??= deps.slots.waiters({ processId, run, limit: 1 }).then((w) => w.length > 0);
    const expected = expectedOf(ctx.task);
    const waiter = { kind, task: ctx.task, ...(expected === undefined ? {} : { expected }) };
    if (await queued) {
      await wait(deps, def, processId, run, waiter);
      return false;
    }
    const outcome = await deps.slots.scheduleHolding({ kind, schedule: ctx, ...(expected === undefined ? {} : { expected }), capacity, expiresAt: instant(deps).expiresAt });
    if (outcome === 'full') await wait(deps, def, processId, run, waiter);
    return outcome === 'scheduled';
  };
}

async function wait(deps: AppDeps, def: DefinitionVersionItem, processId: string, run: number, w: Omit<Waiter, 'order'>): Promise<void> {
  await deps.slots.wait({ processId, run, order: orderOf(def, w.task), ...w, expiresAt: instant(deps).expiresAt });
}

/**
 * Hands free slots to the first waiters of a process's run, in wait order,
 * until the pool is full or nobody waits. Idempotent: a waiter already
 * scheduled (a repeat, a race with another dispatcher) is refused by its own
 * write and only leaves the list. Does nothing for a process that has ended
 * (its waiters expire with it) or a definition without `maxParallel`.
 */
export async function dispatchWaiters(deps: AppDeps, def: DefinitionVersionItem, processId: string, run: number): Promise<number> {
  const capacity = def.maxParallel;
  if (capacity === undefined) return 0;
  let scheduled = 0;
  let checked = false;
  for (;;) {
    const waiters = await deps.slots.waiters({ processId, run, limit: WAITERS_PER_READ });
    if (waiters.length === 0) return scheduled;
    if (!checked) {
      const status = (await deps.processes.get({ id: processId }))?.status;
      if (!isRunningProcess(status) && !isPausedProcess(status)) return scheduled;
      checked = true;
    }
    const at = instant(deps);
    const messages: OutgoingTaskMessage[] = [];
    for (const w of waiters) {
      const ctx = await contextOf(deps, def, processId, run, w);
      const outcome = ctx ? await deps.slots.scheduleHolding({ kind: w.kind, schedule: ctx, ...(w.expected === undefined ? {} : { expected: w.expected }), capacity, expiresAt: at.expiresAt }) : 'refused';
      if (outcome === 'full') {
        await sendBestEffort(deps, messages);
        return scheduled;
      }
      await deps.slots.leave({ processId, run, order: w.order });
      if (outcome === 'scheduled' && ctx) {
        scheduled += 1;
        messages.push(messageFor(ctx));
      }
    }
    await sendBestEffort(deps, messages);
  }
}

/** The schedule of a waiter; none for the lane of a map that no longer runs (it starts no child). */
async function contextOf(deps: AppDeps, def: DefinitionVersionItem, processId: string, run: number, w: Waiter): Promise<ScheduleContext | undefined> {
  if (w.kind === 'lane') {
    const child = parseChildName(w.task);
    const map = child && (await deps.tasks.get({ processId, task: child.map }));
    if (!child || !map || !isRunningTask(map.status) || (map.run ?? 1) !== run) return undefined;
    return scheduleContext(deps, def, processId, childName(child.map, child.index), 1, instant(deps), run);
  }
  const ctx = scheduleContext(deps, def, processId, w.task, 1, instant(deps), run);
  // Issue 18: a limited waiter's keys are recorded as any scheduling records them (one that fails is left to its claim,
  // which fails the task with the same code).
  const limitKeys = await limitKeysAtScheduling(deps, def, processId, w.task);
  return limitKeys?.kind === 'keys' ? { ...ctx, ...limitKeys.keys } : ctx;
}
