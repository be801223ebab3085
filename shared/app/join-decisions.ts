import { joinDecision, type JoinDecision } from '#domain/branch-decision.ts';
import { joinRuleOf } from '#domain/branch-spec.ts';
import type { Dag } from '#domain/dag.ts';
import { filledJoinDecision } from '#domain/filled-join.ts';
import { guardsHold, taskGuards } from '#domain/lifecycle.ts';
import { isPendingTask } from '#domain/status-predicates.ts';
import type { AppDeps } from './deps.ts';
import type { JoinCounter } from './ports.ts';

/** What a follow-up decides of the joins its task feeds: each one's decision, and whether one was decided already. */
export interface JoinDecisions {
  readonly decisions: ReadonlyMap<string, JoinDecision>;
  /** A join was no longer PENDING (SKIPPED, or started by an anyCompleted rule): the task may have been the last to run. */
  readonly skippedJoin: boolean;
}

/**
 * Decides each of `joins` by its rule from its counter (`joinDecision`): wait, run or skip.
 *
 * A join that this follow-up's own count reached (`written`: the counter as `settleOnce` left it) is not read: it
 * is decided only if that count is what turned it (`filledJoinDecision`), so of the parents counted side by side
 * exactly one acts on it, and the others neither read it nor try a write that would be refused (and billed).
 * Every other join is read, and decided by what it shows, whoever filled it: a wide join (counted in the endings'
 * transactions), and a small one whose count was refused as already made. That is a follow-up redone after a
 * crash, perhaps between the count that filled the join and its scheduling: the read and the conditional write
 * then finish what the first try left, so no join is stranded.
 */
export async function joinDecisions(
  deps: AppDeps,
  dag: Dag,
  processId: string,
  joins: readonly string[],
  run: number,
  written?: ReadonlyMap<string, JoinCounter | false>,
): Promise<JoinDecisions> {
  const toRead = joins.filter((j) => !written?.get(j));
  const read = toRead.length === 0 ? new Map<string, JoinCounter>() : await deps.tasks.getCounters({ processId, tasks: toRead });
  const decisions = new Map<string, JoinDecision>();
  let skippedJoin = false;
  for (const j of joins) {
    const own = written?.get(j);
    const counter = own || read.get(j);
    if (counter && !isPendingTask(counter.status)) skippedJoin = true;
    if (!counter || !guardsHold(taskGuards('scheduleAnyJoin', { run }), counter)) {
      decisions.set(j, 'wait');
      continue;
    }
    const rule = joinRuleOf(dag.tasks.get(j));
    const count = { expected: dag.tasks.get(j)?.needs.length ?? 0, settled: counter.settled, skipped: counter.skipped ?? 0 };
    decisions.set(j, own ? filledJoinDecision(rule, count) : joinDecision(rule, count));
  }
  return { decisions, skippedJoin };
}
