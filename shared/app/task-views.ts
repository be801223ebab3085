import type { DefinitionVersionItem, TaskItem } from '#schemas/items.ts';
import type { TaskViewBody } from '#schemas/responses.ts';
import type { MapCounts } from '#domain/map-children.ts';
import type { AppDeps } from './deps.ts';
import { taskPolicyOf } from './definitions.ts';
import { TASK_STATUS, isCompletedTask, isScheduledTask } from '#domain/status-predicates.ts';

/** One task as the API shows it (a task without an item is PENDING): the response schema's type, so the two cannot drift. */
export type TaskView = TaskViewBody;

/**
 * How large a response that gathers many tasks may grow: under 1 MiB, with room for what wraps the tasks. Far
 * below Lambda's 6 MB, so a page of 500 tasks with 256 KiB outputs each still answers.
 */
export const RESPONSE_BUDGET_BYTES = 1024 * 1024 - 4 * 1024;

/** The view of one task of `def`, from its item (undefined: PENDING, no item yet). */
export function taskView(def: DefinitionVersionItem, name: string, spec: { needs: readonly string[]; queue: string }, item: TaskItem | undefined, counts?: MapCounts): TaskView {
  return {
    name,
    status: item?.status ?? TASK_STATUS.pending,
    needs: [...spec.needs],
    queue: spec.queue,
    attempt: item?.attempt ?? 0,
    maxAttempts: taskPolicyOf(def, name).retry.maxAttempts,
    ...(isScheduledTask(item?.status) && item.nextAttemptAt !== undefined ? { nextAttemptAt: new Date(item.nextAttemptAt).toISOString() } : {}),
    ...(item?.lastError ? { lastError: item.lastError } : {}),
    ...(item?.skippedBecause ? { skippedBecause: item.skippedBecause } : {}),
    ...(item?.skipReason ? { skipReason: item.skipReason } : {}),
    ...(item?.workerId ? { workerId: item.workerId } : {}),
    ...(item?.output !== undefined && isCompletedTask(item.status) ? { output: item.output } : {}),
    ...(item?.error ? { error: item.error } : {}),
    ...(item?.scheduledAt ? { scheduledAt: item.scheduledAt } : {}),
    ...(item?.claimedAt ? { claimedAt: item.claimedAt } : {}),
    ...(item?.endedAt ? { endedAt: item.endedAt } : {}),
    ...(item?.index === undefined ? {} : { index: item.index }),
    ...(item?.childProcessId === undefined ? {} : { childProcessId: item.childProcessId }),
    ...(item?.concurrencyKey === undefined ? {} : { concurrencyKey: item.concurrencyKey }),
    ...(item?.rateKey === undefined ? {} : { rateKey: item.rateKey }),
    ...(item?.limitRefusals === undefined ? {} : { limitRefusals: item.limitRefusals }),
    ...(item?.lastRefusedAt === undefined ? {} : { lastRefusedAt: item.lastRefusedAt }),
    ...(counts ? { map: { total: counts.total, scheduled: counts.scheduled, running: counts.running, completed: counts.completed, failed: counts.failed, cancelled: counts.cancelled } } : {}),
  };
}

/**
 * The counters of the maps among some task items (those whose items are stored: `mapTotal` is set), by task
 * name: one read of a map's counter items each.
 */
export async function mapCountsOf(deps: AppDeps, processId: string, items: Iterable<TaskItem>): Promise<Map<string, MapCounts>> {
  const maps = [...items].filter((i) => i.mapTotal !== undefined);
  const counted = await Promise.all(maps.map((i) => deps.maps.counts({ processId, map: i.name, run: i.run ?? 1, total: i.mapTotal ?? 0 })));
  return new Map(maps.map((i, k) => [i.name, counted[k]!]));
}

/**
 * Keeps outputs and final errors, task by task in order, while the response stays within `budget` bytes: from the
 * first task whose payload would not fit, every payload is left out and the task says `outputOmitted: true`. A
 * client then reads those tasks one by one (`GET /processes/{id}/tasks/{task}`).
 *
 * @param others what the rest of the response takes (its JSON without the tasks' payloads)
 */
export function fitPayloads(views: readonly TaskView[], others: number, budget = RESPONSE_BUDGET_BYTES): TaskView[] {
  // Start from every payload left out (the flag counted), then put them back in order while they fit.
  const omitted = views.map(withoutPayload);
  let used = others + bytes(omitted);
  let fits = true;
  return views.map((view, i) => {
    const left = omitted[i]!;
    if (left === view) return view;
    const extra = bytes(view) - bytes(left);
    fits = fits && used + extra <= budget;
    if (!fits) return left;
    used += extra;
    return view;
  });
}

function withoutPayload(view: TaskView): TaskView {
  if (view.output === undefined && view.error === undefined) return view;
  const { output: _output, error: _error, ...rest } = view;
  return { ...rest, outputOmitted: true };
}

/** JSON size in bytes, as the response will be written. */
export function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}
