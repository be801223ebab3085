import type { JoinRule } from '#schemas/definition-schema.ts';
import { joinDecision, type JoinCount, type JoinDecision } from './branch-decision.ts';

/**
 * What a join's rule decides, for the parent whose count produced `count`: the decision if that count is the one
 * that turned the join from `wait` to `run` or `skip`, and `wait` otherwise (still undecided, or decided by an
 * earlier count, whose parent acts on it). The count was a settled parent that was not skipped (a completion, an
 * optional task's failure, a map's ending): the counter before it had one settled parent fewer, as many skipped.
 *
 * A join's counts go up one write at a time on one item, and a decision, once taken, never changes (counts only
 * grow), so exactly one count turns it: exactly one parent acts on it, without reading the counter again.
 *
 * @example
 * filledJoinDecision('allSettled', { expected: 3, settled: 3, skipped: 0 })   // 'run': this count filled it
 * filledJoinDecision('allSettled', { expected: 3, settled: 2, skipped: 0 })   // 'wait'
 * filledJoinDecision('anyCompleted', { expected: 3, settled: 2, skipped: 0 }) // 'wait': the first completion ran it
 */
export function filledJoinDecision(rule: JoinRule, count: JoinCount): JoinDecision {
  const after = joinDecision(rule, count);
  if (after === 'wait' || count.settled < 1) return 'wait';
  return joinDecision(rule, { ...count, settled: count.settled - 1 }) === 'wait' ? after : 'wait';
}
