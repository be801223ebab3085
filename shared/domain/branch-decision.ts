import type { JoinRule } from '#schemas/definition-schema.ts';

/**
 * What becomes of a task whose parents have settled (issue 17): it runs, or
 * a branch skips it. Pure: the engine (`#app/branching.ts`) and the in-memory
 * model (`process-model.ts`) decide with these same functions.
 */

/**
 * Why a branch skipped a task. Both are *intended* skips: a process whose
 * tasks all COMPLETED or were skipped for one of these reasons ends
 * COMPLETED. A skip after a failure (skipDownstream) carries no reason but
 * `skippedBecause` (the failed task), and the process cannot complete.
 * - `ConditionFalse`: its `when` was false.
 * - `UpstreamSkipped`: its parents were skipped, as its join rule says (its one parent; all of them; any of them under
 *   `allCompleted`).
 */
export const SKIP_REASONS = ['ConditionFalse', 'UpstreamSkipped'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** The error code of a task whose condition failed to evaluate. */
export const CONDITION_ERROR_CODE = 'ConditionError';

/** What a join's counter holds: how many parents it has, how many settled, and of those how many were skipped. */
export interface JoinCount {
  readonly expected: number;
  readonly settled: number;
  readonly skipped: number;
}

/** A join's decision: not yet, run (its condition still to check), or skip (`UpstreamSkipped`). */
export type JoinDecision = 'wait' | 'run' | 'skip';

/**
 * What a join's rule decides from its counter. A failed parent never gets
 * here: failFast ends the process, skipDownstream skips the join, and an
 * optional failed parent counts as a completed one (its children run).
 * - `allSettled`: once every parent settled, run if one completed, skip if all were skipped;
 * - `allCompleted`: once every parent settled, run only if none was skipped;
 * - `anyCompleted`: run on the first completed parent; skip once all settled skipped.
 *
 * @example
 * joinDecision('allSettled', { expected: 2, settled: 2, skipped: 1 })   // 'run'
 * joinDecision('allCompleted', { expected: 2, settled: 2, skipped: 1 }) // 'skip'
 * joinDecision('anyCompleted', { expected: 3, settled: 1, skipped: 0 }) // 'run'
 */
export function joinDecision(rule: JoinRule, count: JoinCount): JoinDecision {
  const completed = count.settled - count.skipped;
  if (rule === 'anyCompleted' && completed > 0) return 'run';
  if (count.settled < count.expected) return 'wait';
  if (rule === 'allCompleted') return count.skipped > 0 ? 'skip' : 'run';
  return completed > 0 ? 'run' : 'skip';
}
