import type { Dag } from './dag.ts';
import type { TaskStatus } from './lifecycle.ts';

/** What a rerun needs to know of a task as it is stored (absent: the task never got an item). */
export interface TaskState {
  readonly status: TaskStatus;
  /** The run the item belongs to (absent: the first). */
  readonly run?: number;
}

/** Why a kept task stops a rerun onto another version. */
export interface VersionDifference {
  readonly task: string;
  readonly problem: 'missing' | 'needs';
  readonly message: string;
}

/** Which tasks a rerun resets and which it keeps, in the order of the version it runs on. */
export interface RerunPlan {
  /** Tasks that run again: back to PENDING with attempt 1 (or new in this version). */
  readonly reset: readonly string[];
  /** COMPLETED tasks that keep their output and do not run again. */
  readonly kept: readonly string[];
  /** Reset tasks whose needs are all kept (roots included): scheduled at once. */
  readonly ready: readonly string[];
  /** Kept tasks the target version cannot take as they are (empty when it runs on the same version). */
  readonly differences: readonly VersionDifference[];
}

/**
 * Plans run `run` of a process that ran on `from` and will run on `to`.
 *
 * A task runs again when it did not complete (FAILED, CANCELLED, SKIPPED, or
 * never reached), when it is named in `fromTasks`, when it is new in `to`, or
 * when anything it needs runs again: a task whose upstream produces a new
 * output must see it. A task already reset for `run` (a pass resumed by the
 * sweeper) counts as reset, so planning again gives the same plan. Every
 * other task completed and is kept.
 *
 * What is kept is decided on the graph the process ran (`from`). Each kept
 * task must exist in `to` with the same needs (as a set): otherwise its
 * output would feed a graph it was not computed for. Each such task is a
 * difference. With none, `to` keeps the same tasks, and what is new in it
 * runs.
 *
 * Pure: statuses come in as data.
 *
 * @example
 * planRerun(chain, chain, new Map([['A', { status: 'COMPLETED' }], ['B', { status: 'FAILED' }]]), [], 2)
 * // { reset: ['B', 'C'], kept: ['A'], ready: ['B'], differences: [] }
 */
export function planRerun(from: Dag, to: Dag, tasks: ReadonlyMap<string, TaskState>, fromTasks: readonly string[], run: number): RerunPlan {
  const forced = new Set(fromTasks);
  const keepable = (name: string): boolean => {
    const task = tasks.get(name);
    return task !== undefined && (task.run ?? 1) < run && task.status === 'COMPLETED' && !forced.has(name);
  };
  // What the process ran decides what is kept: a completed task is kept unless something it needed runs again.
  const ranAgain = runsAgainIn(from, keepable);
  const keptBefore = new Set(from.order.filter((name) => !ranAgain.has(name)));
  const differences: VersionDifference[] = [];
  for (const name of keptBefore) {
    const target = to.tasks.get(name);
    if (!target) {
      differences.push({ task: name, problem: 'missing', message: `task '${name}' completed and would be kept, but the target version has no such task` });
      continue;
    }
    const was = [...(from.tasks.get(name)?.needs ?? [])].sort();
    const now = [...target.needs].sort();
    if (was.join('\u0000') !== now.join('\u0000')) {
      differences.push({
        task: name,
        problem: 'needs',
        message: `task '${name}' completed with needs [${was.join(', ')}] and would be kept, but in the target version it needs [${now.join(', ')}]`,
      });
    }
  }
  const runsAgain = runsAgainIn(to, (name) => keptBefore.has(name) && keepable(name));
  const reset = to.order.filter((name) => runsAgain.has(name));
  const kept = to.order.filter((name) => !runsAgain.has(name));
  const keptSet = new Set(kept);
  const ready = reset.filter((name) => (to.tasks.get(name)?.needs ?? []).every((need) => keptSet.has(need)));
  return { reset, kept, ready, differences };
}

/**
 * A rerun's plan a chunk at a time, in the topological order of `to`: what a
 * budgeted pass (or a budgeted dry plan) decides of the tasks `names`, which
 * follow every task decided before them.
 *
 * A task runs again when it is new in `to`, when its needs differ between the
 * versions, when it cannot be kept (not COMPLETED in an earlier run, or named
 * in `fromTasks`), or when a need runs again. With no version differences
 * (checked first, {@link versionDifferences}) this is {@link planRerun}'s
 * answer: a task whose needs changed cannot have been kept on `from`, or it
 * would be a difference.
 *
 * `runsAgainBefore` answers for a need decided in an earlier chunk: a pass
 * reads it back from what it wrote (an item reset for `run` runs again; one
 * of an earlier run was kept), a dry plan from its memory.
 *
 * @example
 * planRerunChunk(chain, chain, ['B', 'C'], states, [], 2, () => false) // { reset: ['B', 'C'], kept: [] } when B failed
 */
export function planRerunChunk(
  from: Dag,
  to: Dag,
  names: readonly string[],
  tasks: ReadonlyMap<string, TaskState>,
  fromTasks: readonly string[],
  run: number,
  runsAgainBefore: (name: string) => boolean,
): { reset: string[]; kept: string[] } {
  const forced = new Set(fromTasks);
  const decided = new Map<string, boolean>();
  const runsAgain = (name: string): boolean => decided.get(name) ?? runsAgainBefore(name);
  for (const name of names) {
    const task = tasks.get(name);
    const was = from.tasks.get(name)?.needs;
    const needs = to.tasks.get(name)?.needs ?? [];
    const keepable = was !== undefined && sameNeeds(was, needs) && task !== undefined && (task.run ?? 1) < run && task.status === 'COMPLETED' && !forced.has(name);
    decided.set(name, !keepable || needs.some(runsAgain));
  }
  return { reset: names.filter((n) => decided.get(n) === true), kept: names.filter((n) => decided.get(n) === false) };
}

/**
 * The tasks whose states decide whether a rerun onto `to` has version
 * differences: every task of `from` that `to` lacks or gives other needs,
 * with everything upstream of it in `from`. Usually a handful, whatever the
 * process's width, so a rerun reads these instead of the whole process.
 */
export function differenceInputs(from: Dag, to: Dag): string[] {
  const wanted = new Set<string>();
  const stack = differenceCandidates(from, to);
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (wanted.has(name)) continue;
    wanted.add(name);
    stack.push(...(from.tasks.get(name)?.needs ?? []));
  }
  return from.order.filter((n) => wanted.has(n));
}

/**
 * The differences of {@link planRerun}, from the states of
 * {@link differenceInputs} alone: a task `to` lacks or gives other needs is a
 * difference when it would be kept on `from` (it and everything upstream of
 * it completed in an earlier run, none named in `fromTasks`).
 */
export function versionDifferences(from: Dag, to: Dag, tasks: ReadonlyMap<string, TaskState>, fromTasks: readonly string[], run: number): VersionDifference[] {
  const forced = new Set(fromTasks);
  const keepable = (name: string): boolean => {
    const task = tasks.get(name);
    return task !== undefined && (task.run ?? 1) < run && task.status === 'COMPLETED' && !forced.has(name);
  };
  const inputs = differenceInputs(from, to);
  const ranAgain = new Set<string>();
  for (const name of inputs) {
    if (!keepable(name) || (from.tasks.get(name)?.needs ?? []).some((n) => ranAgain.has(n))) ranAgain.add(name);
  }
  return differenceCandidates(from, to)
    .filter((name) => !ranAgain.has(name))
    .map((name) => differenceOf(from, to, name));
}

function differenceCandidates(from: Dag, to: Dag): string[] {
  return from.order.filter((name) => {
    const target = to.tasks.get(name);
    return target === undefined || !sameNeeds(from.tasks.get(name)?.needs ?? [], target.needs);
  });
}

function differenceOf(from: Dag, to: Dag, name: string): VersionDifference {
  const target = to.tasks.get(name);
  if (!target) return { task: name, problem: 'missing', message: `task '${name}' completed and would be kept, but the target version has no such task` };
  const was = [...(from.tasks.get(name)?.needs ?? [])].sort();
  const now = [...target.needs].sort();
  return {
    task: name,
    problem: 'needs',
    message: `task '${name}' completed with needs [${was.join(', ')}] and would be kept, but in the target version it needs [${now.join(', ')}]`,
  };
}

function sameNeeds(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

/** The tasks of `dag` that run again: every one that cannot be kept, and everything downstream of those. */
function runsAgainIn(dag: Dag, keepable: (name: string) => boolean): Set<string> {
  const runsAgain = new Set<string>();
  for (const name of dag.order) {
    if (!keepable(name) || (dag.tasks.get(name)?.needs ?? []).some((need) => runsAgain.has(need))) runsAgain.add(name);
  }
  return runsAgain;
}
