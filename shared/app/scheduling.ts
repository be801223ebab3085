import type { StoredDefinition } from '#adapters/dynamo/definition-store.ts';
import type { ScheduleContext } from '#adapters/dynamo/task-store.ts';
import type { OutgoingTaskMessage } from '#adapters/sqs/task-queue.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';
import { mapLimit } from './map-limit.ts';
import type { Instant } from './timestamps.ts';

/** The scheduling record and the message for one task of a process. */
export function scheduleContext(deps: AppDeps, def: StoredDefinition, processId: string, task: string, attempt: number, at: Instant): ScheduleContext {
  const spec = dagOf(def).tasks.get(task);
  if (!spec) throw new Error(`task '${task}' is not in ${def.name}@${def.version}`);
  return {
    processId,
    task,
    definition: def.name,
    version: def.version,
    queue: spec.queue,
    timeoutSeconds: spec.timeoutSeconds,
    attempt,
    iso: at.iso,
    // Due when the message should have been claimed, and never after a lease
    // taken right away would expire: a claim then needs no index write.
    sweepAt: at.now + Math.min(deps.settings.enqueueGraceMs, spec.timeoutSeconds * 1000),
  };
}

export function messageFor(ctx: ScheduleContext): OutgoingTaskMessage {
  return {
    queue: ctx.queue,
    body: { processId: ctx.processId, task: ctx.task, attempt: ctx.attempt, definition: ctx.definition, version: ctx.version },
  };
}

/**
 * Schedules tasks that have no item yet (roots, or tasks with one need).
 * The conditional put makes each happen once, whoever calls it and however often.
 * Returns the messages of the tasks this call scheduled.
 */
export async function scheduleNewTasks(
  deps: AppDeps,
  def: StoredDefinition,
  processId: string,
  tasks: readonly string[],
  at: Instant,
): Promise<OutgoingTaskMessage[]> {
  const results = await mapLimit(tasks, deps.settings.writeConcurrency, async (task) => {
    const ctx = scheduleContext(deps, def, processId, task, 1, at);
    return (await deps.tasks.scheduleNew(ctx)) ? messageFor(ctx) : undefined;
  });
  return results.filter((m): m is OutgoingTaskMessage => m !== undefined);
}

/**
 * Schedules the joins among `tasks` whose counters show every need completed.
 * Reads the counters first (a read is cheaper than a failed conditional write);
 * the conditional update still decides, so two callers never both schedule.
 */
export async function scheduleReadyJoins(
  deps: AppDeps,
  def: StoredDefinition,
  processId: string,
  joins: readonly string[],
  at: Instant,
): Promise<OutgoingTaskMessage[]> {
  if (joins.length === 0) return [];
  const dag = dagOf(def);
  const counters = await deps.tasks.getMany(processId, joins, ['status', 'done']);
  const ready = joins.filter((j) => {
    const c = counters.get(j);
    return c?.status === 'PENDING' && c.done === dag.tasks.get(j)?.needs.length;
  });
  const results = await mapLimit(ready, deps.settings.writeConcurrency, async (task) => {
    const ctx = scheduleContext(deps, def, processId, task, 1, at);
    return (await deps.tasks.scheduleJoin(ctx, dag.tasks.get(task)?.needs.length ?? 0)) ? messageFor(ctx) : undefined;
  });
  return results.filter((m): m is OutgoingTaskMessage => m !== undefined);
}

/**
 * Sends messages after their tasks were written. A failed send is not an
 * error for the caller: the task is SCHEDULED and on the sweep index, and the
 * sweeper resends its message after the enqueue grace period.
 */
export async function sendBestEffort(deps: AppDeps, messages: readonly OutgoingTaskMessage[]): Promise<void> {
  if (messages.length === 0) return;
  try {
    await deps.queue.send(messages);
  } catch (error) {
    deps.log.warn('task messages not sent; the sweeper will resend them', { count: messages.length, error: String(error) });
  }
}
