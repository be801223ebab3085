import { isTerminalTask } from '#domain/lifecycle.ts';
import type { DefinitionVersionItem, TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, taskPolicyOf } from './definitions.ts';
import { isFailedTask, isSkippedTask } from '#domain/status-predicates.ts';

/**
 * Where a look at a process's end starts and how long it may take. The look is resumable: a caller that gets
 * `cutShort` records `at` (for example as its task's `resumeFrom`) and the sweeper passes it back as `from`.
 */
export interface EndCheck {
  /** Where a cut-short look stopped (0: from the start). */
  readonly from?: number;
  /** No read starts at or after this moment (epoch ms). */
  readonly deadline: number;
  /** The task whose ending asks: the walk starts right after it in the definition order (see {@link endVerdict}). */
  readonly after?: string;
  /** A task known to have failed for good (the caller's own failure, or the cause of a skip it saw). */
  readonly culprit?: string;
  /** The caller is a sink that has just settled: a process with one sink needs no read to know its sinks settled. */
  readonly settledSink?: string;
}

/** What a look at a process's end found. */
export type EndVerdict =
  /** A task can still run (or a sink has not settled): a later ending decides. */
  | { readonly kind: 'running' }
  /** Nothing can run any more: COMPLETED without a culprit, FAILED because of it with one. */
  | { readonly kind: 'ended'; readonly culprit?: string }
  /** Out of budget: look again from `at`. */
  | { readonly kind: 'cutShort'; readonly at: number };

/** The walk's reads grow from one task to a full batch: the next task in line is usually the one still running. */
const BATCHES = [1, 10, 100] as const;

/**
 * Whether a process can end, and how. Every definition waits for its sinks
 * (the END counter, or the one sink's own item). A failFast definition then
 * ends COMPLETED: a failure there ends the process at once, elsewhere.
 *
 * skipDownstream lets every branch that does not depend on a failed task run
 * to its end, including branches whose only use was a skipped join (their
 * results are kept). So once the sinks have settled, the process ends only
 * when no task can run any more: a walk of the definition order, through
 * `getMany`, that stops at the first task not yet ended. It starts right
 * after the asking task and wraps around (the next one in line is usually the
 * one still running), reads 1, 10, then 100 tasks at a time, and starts no
 * read past the deadline, so no call does work that grows with the process.
 * Past the deadline it answers `cutShort`; a task's ending is stable within a
 * run, so going on from there later is sound.
 *
 * The walk also finds the culprit (the first task FAILED for good, or the
 * cause of a skip). When a walk resumed from `from` > 0 saw none, a second
 * walk from the start looks for one (positions n..2n-1); finding none means
 * every task completed.
 *
 * Cost: the END read, plus for skipDownstream the walk. An exact count of
 * settled tasks (progress counters) answers the same question in one read.
 */
export async function endVerdict(deps: AppDeps, def: DefinitionVersionItem, processId: string, check: EndCheck): Promise<EndVerdict> {
  const dag = dagOf(def);
  const from = check.from ?? 0;
  if (from === 0 && !(await sinksSettled(deps, dag.sinks, processId, check.settledSink))) return { kind: 'running' };
  // An anyCompleted join may run (and end a sink) while its other parents still run: then the walk decides too.
  if (def.onFailure !== 'skipDownstream' && ![...dag.tasks.values()].some((t) => t.join === 'anyCompleted')) return { kind: 'ended' };
  const order = dag.order;
  const n = order.length;
  if (n === 0) return { kind: 'ended' };
  const start = check.after === undefined ? 0 : (order.indexOf(check.after) + 1) % n;
  // The culprit named is the first failure the walk comes across; the caller's own is the fallback.
  let culprit: string | undefined;
  const culpritOf = (t: TaskItem): string | undefined =>
    isSkippedTask(t.status) ? t.skippedBecause : isFailedTask(t.status) && !taskPolicyOf(def, t.name).optional ? t.name : undefined;
  // Phase 1: is every task ended? (positions 0..n-1, rotated to start after the asking task.)
  let at = from;
  for (let batch = 0; at < n; batch++) {
    if (deps.now() >= check.deadline) return { kind: 'cutShort', at };
    const size = Math.min(BATCHES[Math.min(batch, BATCHES.length - 1)] ?? 100, n - at);
    const names = Array.from({ length: size }, (_, i) => order[(start + at + i) % n] as string);
    const items = await deps.tasks.getMany({ processId, tasks: names });
    for (const name of names) {
      const item = items.get(name);
      if (!item || !isTerminalTask(item.status)) return { kind: 'running' };
      culprit ??= culpritOf(item);
    }
    at += size;
  }
  culprit ??= check.culprit;
  if (culprit !== undefined || from === 0) return { kind: 'ended', ...(culprit === undefined ? {} : { culprit }) };
  // Phase 2: a resumed walk saw no failure; look for one from the start (positions n..2n-1).
  for (let batch = 0; at < 2 * n; batch++) {
    if (deps.now() >= check.deadline) return { kind: 'cutShort', at };
    const size = Math.min(BATCHES[Math.min(batch, BATCHES.length - 1)] ?? 100, 2 * n - at);
    const names = order.slice(at - n, at - n + size);
    const items = await deps.tasks.getMany({ processId, tasks: names });
    for (const name of names) {
      const found = items.get(name);
      const cause = found && culpritOf(found);
      if (cause !== undefined) return { kind: 'ended', culprit: cause };
    }
    at += size;
  }
  return { kind: 'ended' };
}

/** Whether every sink has settled: one sink's own item (no read when it is the caller), or the END counter. */
async function sinksSettled(deps: AppDeps, sinks: readonly string[], processId: string, settledSink: string | undefined): Promise<boolean> {
  if (sinks.length !== 1) return (await deps.processes.settledSinks({ id: processId })) >= sinks.length;
  const [sink] = sinks as [string];
  if (sink === settledSink) return true;
  const item = await deps.tasks.get({ processId, task: sink });
  return item !== undefined && isTerminalTask(item.status);
}
