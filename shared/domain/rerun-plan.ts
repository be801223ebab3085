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

/** The tasks of `dag` that run again: every one that cannot be kept, and everything downstream of those. */
function runsAgainIn(dag: Dag, keepable: (name: string) => boolean): Set<string> {
  const runsAgain = new Set<string>();
  for (const name of dag.order) {
    if (!keepable(name) || (dag.tasks.get(name)?.needs ?? []).some((need) => runsAgain.has(need))) runsAgain.add(name);
  }
  return runsAgain;
}
