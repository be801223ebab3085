import type { TaskItem } from '#schemas/items.ts';
import { budgetedPass } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';

/** Declared tasks per chunk of a walk, by default and at most: one `getMany` (DynamoDB's BatchGetItem takes 100 keys). */
export const WALK_CHUNK = 100;

/** Where a walk stopped. */
export interface WalkResult {
  /** The position of the first task not walked: the cursor to resume from. */
  readonly next: number;
  readonly complete: boolean;
}

/**
 * Walks a process's tasks in the definition's topological order from
 * `from`, a chunk of declared tasks at a time (`settings.passChunk`, at most
 * {@link WALK_CHUNK}), with their
 * items read in one bounded `getMany` (tasks without an item are absent from
 * the map). No chunk but the first starts at or past `deadline`, so a call's work is
 * bounded whatever the process's width; the caller records `next` as its
 * cursor and the sweeper resumes from it.
 *
 * Chunks run one after another, so a chunk may read back what the chunks
 * before it wrote (a rerun decides a task from its needs' items). A step
 * must be idempotent: a crash redoes the chunk it interrupted.
 *
 * @example
 * const walk = await walkOrder(deps, { processId, order: dag.order, from: 0, deadline }, async (names, items) => holdActive(names, items));
 * if (!walk.complete) await deps.processes.deferSweep({ id: processId, sweepAt, nextSweepAt: deps.now(), resumeFrom: walk.next });
 */
export async function walkOrder(
  deps: Pick<AppDeps, 'tasks' | 'now' | 'settings'>,
  args: { readonly processId: string; readonly order: readonly string[]; readonly from: number; readonly deadline: number },
  step: (names: readonly string[], items: ReadonlyMap<string, TaskItem>, position: number) => Promise<void>,
): Promise<WalkResult> {
  const chunk = Math.max(1, Math.min(WALK_CHUNK, deps.settings.passChunk ?? WALK_CHUNK));
  const start = Math.min(args.from, args.order.length);
  let position = start;
  // The first chunk always runs, so that every call moves the cursor on, however small its budget.
  while (position < args.order.length && (position === start || deps.now() < args.deadline)) {
    const names = args.order.slice(position, position + chunk);
    await step(names, await deps.tasks.getMany({ processId: args.processId, tasks: names }), position);
    position += names.length;
  }
  return { next: position, complete: position >= args.order.length };
}

/** Runs `write` for each of `items`, `lanes` at a time (the writes of one chunk of a walk). */
export async function inLanes<T>(deps: Pick<AppDeps, 'now'>, items: readonly T[], lanes: number, write: (item: T) => Promise<unknown>): Promise<void> {
  await budgetedPass(items, { chunk: 1, lanes, deadline: Number.POSITIVE_INFINITY, now: deps.now }, async ([item]) => {
    if (item !== undefined) await write(item);
  });
}
