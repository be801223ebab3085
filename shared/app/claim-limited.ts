import { ProcessPausedError, TaskNotActiveError } from '#domain/errors.ts';
import { ConcurrencyLimitedError, RateLimitedError } from '#domain/limit-errors.ts';
import { TaskLimitKeyError, type TaskLimitKeys } from '#domain/task-limits.ts';
import { evaluateLimitKeys, recordedLimitKeys } from './task-limit-keys.ts';
import { TASK_STATUS } from '#domain/status-predicates.ts';
import type { TaskItem } from '#schemas/items.ts';
import type { SlotItem } from '#schemas/slot-items.ts';
import { slotNumberOf } from '#schemas/slot-items.ts';
import type { TaskSpec } from '#schemas/definition-schema.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { explainTaskConflict } from './explain-conflict.ts';
import { failTask } from './end-task.ts';
import type { SlotClaim } from './ports.ts';
import type { Instant } from './timestamps.ts';

/** Races lost on a slot before the claim is refused with a short delay (another claim took the slot we chose). */
const SLOT_RACES = 3;
/** How long a claim that kept losing slot races waits: the slots are changing hands, so one should free soon. */
const CONTENDED_DELAY_MS = 1_000;

/**
 * Claims a task that has a concurrency or rate limit (issue 18): the plain
 * claim refused it (`unlimited` guard), so that its slots are taken here, in
 * the claim's own transaction. Its keys are evaluated over the process input
 * and the needs' outputs (fixed since the task was scheduled), the keys'
 * slots are read (one query each), a free slot of each is picked at random
 * (so that claims contend less), and the claim and the slots are written
 * together. A claim without a free slot is refused with `ConcurrencyLimited`
 * or `RateLimited` and `details.notBefore`, counted on the task; the task
 * stays SCHEDULED. A key that cannot be evaluated fails the task
 * (`ConcurrencyKeyError`). The concurrency slot's lease is the claim's:
 * `leaseMs` when the worker asked for one, else the task's timeout.
 */
export async function claimLimitedTask(deps: AppDeps, processId: string, task: string, workerId: string, scheduled: TaskItem, at: Instant, leaseMs?: number): Promise<TaskItem> {
  if (!scheduled.definition || scheduled.version === undefined) throw await explainTaskConflict(deps, processId, task, 'claim', scheduled, undefined);
  const def = await getDefinition(deps, scheduled.definition, scheduled.version);
  const spec = dagOf(def).tasks.get(task);
  if (!spec) throw await explainTaskConflict(deps, processId, task, 'claim', scheduled, undefined);
  const { input, paused } = await deps.processes.getClaimInput({ id: processId });
  // Paused: nothing is taken; the resume sends the message again.
  if (paused) throw new ProcessPausedError(processId);
  // The keys recorded when the task was scheduled; evaluated now only for a task that has none recorded.
  const limitKeys = recordedLimitKeys(spec, scheduled) ?? (await keysOf(deps, processId, task, spec, input));
  // Whether the task may be on its key's wait list: refused before, or by this call (its claim clears the entry).
  let waited = (scheduled.limitRefusals ?? 0) > 0;
  let onWaitList = false;
  for (let race = 0; ; ) {
    const [held, started] = await Promise.all([
      spec.concurrency && limitKeys.concurrencyKey !== undefined ? deps.taskLimits.slotsOf({ definition: def.name, task, kind: 'concurrency', key: limitKeys.concurrencyKey }) : undefined,
      spec.rateLimit && limitKeys.rateKey !== undefined ? deps.taskLimits.slotsOf({ definition: def.name, task, kind: 'rate', key: limitKeys.rateKey }) : undefined,
    ]);
    const claim: SlotClaim = { processId, task, workerId, leaseToken: deps.newToken(), now: at.now, iso: at.iso, definition: def.name, ...(leaseMs === undefined ? {} : { leaseMs }) };
    let concurrency: SlotClaim['concurrency'];
    let rate: SlotClaim['rate'];
    if (spec.concurrency && held && limitKeys.concurrencyKey !== undefined) {
      const pick = freeSlot(held, spec.concurrency.limit, at.now, deps.random());
      if (typeof pick !== 'number') {
        if (!onWaitList && scheduled.scheduledAt !== undefined) {
          // Wait, then look once more: a slot freed after our read, by a call that found no waiter yet, is ours.
          await deps.taskLimits.wait({ processId, task, definition: def.name, key: limitKeys.concurrencyKey, scheduledAt: scheduled.scheduledAt, expiresAt: at.expiresAt });
          onWaitList = waited = true;
          continue;
        }
        await refuse(deps, processId, task, limitKeys, at);
        throw new ConcurrencyLimitedError(task, limitKeys.concurrencyKey, spec.concurrency.limit, new Date(pick.notBefore).toISOString());
      }
      concurrency = { n: pick, key: limitKeys.concurrencyKey, limit: spec.concurrency.limit, timeoutMs: leaseMs ?? scheduled.timeoutMs ?? spec.timeoutSeconds * 1000 };
    }
    if (spec.rateLimit && started && limitKeys.rateKey !== undefined) {
      const pick = freeSlot(started, spec.rateLimit.limit, at.now, deps.random());
      if (typeof pick !== 'number') {
        await refuse(deps, processId, task, limitKeys, at);
        throw new RateLimitedError(task, limitKeys.rateKey, spec.rateLimit.limit, spec.rateLimit.periodSeconds, new Date(pick.notBefore).toISOString());
      }
      rate = { n: pick, key: limitKeys.rateKey, limit: spec.rateLimit.limit, periodMs: spec.rateLimit.periodSeconds * 1000 };
    }
    const waitedAt = waited && concurrency ? scheduled.scheduledAt : undefined;
    const outcome = await deps.taskLimits.claimWithSlots({ ...claim, ...(concurrency ? { concurrency } : {}), ...(rate ? { rate } : {}), ...(waitedAt === undefined ? {} : { waited: waitedAt }) });
    if (outcome.ok) return outcome.item;
    if (outcome.lost === 'task') {
      // Someone else's claim, a duplicate message, an ended task: the task's own conflict says which.
      throw await explainTaskConflict(deps, processId, task, 'claim', outcome.current ?? (await deps.tasks.get({ processId, task })), undefined);
    }
    race += 1;
    if (race >= SLOT_RACES) {
      await refuse(deps, processId, task, limitKeys, at);
      const notBefore = new Date(at.now + CONTENDED_DELAY_MS).toISOString();
      if (outcome.lost === 'concurrency' && concurrency) throw new ConcurrencyLimitedError(task, concurrency.key, concurrency.limit, notBefore);
      if (rate && spec.rateLimit) throw new RateLimitedError(task, rate.key, rate.limit, spec.rateLimit.periodSeconds, notBefore);
    }
  }
}

/**
 * A slot to try: one whose lease is over or was never taken, picked at random
 * among them; or, when every slot is held, when the first of them frees.
 */
export function freeSlot(slots: readonly SlotItem[], limit: number, now: number, random: number): number | { notBefore: number } {
  const busy = new Map<number, number>();
  for (const s of slots) {
    const n = slotNumberOf(s);
    if (n < limit && s.leaseExpiresAt !== undefined && s.leaseExpiresAt > now) busy.set(n, s.leaseExpiresAt);
  }
  const free = Array.from({ length: limit }, (_, n) => n).filter((n) => !busy.has(n));
  if (free.length > 0) return free[Math.min(free.length - 1, Math.floor(random * free.length))] ?? 0;
  return { notBefore: Math.min(...busy.values()) };
}

async function keysOf(deps: AppDeps, processId: string, task: string, spec: TaskSpec, input: unknown): Promise<TaskLimitKeys> {
  try {
    return await evaluateLimitKeys(deps, processId, spec, input);
  } catch (error) {
    if (!(error instanceof TaskLimitKeyError)) throw error;
    // The key can never be evaluated for this process: the task fails, as a map whose items fail does.
    await failTask(deps, processId, task, { error: { code: error.code, message: error.message, retryable: false } });
    throw new TaskNotActiveError(task, TASK_STATUS.failed, { cause: error });
  }
}

async function refuse(deps: AppDeps, processId: string, task: string, limitKeys: TaskLimitKeys, at: Instant): Promise<void> {
  await deps.taskLimits.refuse({ processId, task, iso: at.iso, ...limitKeys });
}
