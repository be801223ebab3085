import type { AppDeps } from './deps.ts';
import { budgetedPass } from './budgeted-pass.ts';
import { skipTask } from './branching.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { endIfSinksSettled } from './end-process.ts';
import { followUpFailed } from './end-task.ts';
import type { ProcessIdentity } from './ports.ts';
import { scheduleJoins } from './scheduling.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';

/**
 * The follow-ups of tasks that a branch ended without running them (issue
 * 17). Each such task was written onto the sweep index, due at once, by the
 * write that ended it, so a follow-up that is cut short or dies is the
 * sweeper's to finish (duty `followUpSkipped`, or `followUpFailed` for a
 * `ConditionError`).
 */

/** A task a branch ended in a scheduling pass, whose follow-up is owed. */
export interface BranchEnding {
  readonly task: string;
  readonly kind: 'skipped' | 'failed';
}

/**
 * Runs owed follow-ups right away, one after another, while `deadline` has
 * not passed; the rest stay due on the sweep index. A skip cascade goes
 * depth first: a skipped task's single-need children are skipped and
 * followed up within the same deadline, so no call works past its budget.
 */
export async function followUpBranchEndings(deps: AppDeps, processId: string, process: ProcessIdentity, endings: readonly BranchEnding[], deadline: number): Promise<void> {
  // Failures first: under failFast a failure ends the process FAILED, and a skip's end decision run before it
  // would see every sink settled (the failure counted in the end counter) and complete the process instead.
  const ordered = [...endings.filter((e) => e.kind !== 'skipped'), ...endings.filter((e) => e.kind === 'skipped')];
  for (const ending of ordered) {
    const left = deadline - deps.now();
    if (left <= 0) return;
    if (ending.kind === 'skipped') await followUpSkipped(deps, processId, process, ending.task, { deadline });
    else await followUpFailed(deps, processId, ending.task, { budgetMs: left }, process.run);
  }
}

/**
 * What a skipped task owes, like a completion's follow-up but as a skipped
 * parent: each single-need child is SKIPPED (`UpstreamSkipped`, whatever its
 * join rule); each join it was counted in (as skipped, in the skip's own
 * write) is decided by its rule; after a sink, or a count into a join
 * already decided, the end decision. Then it leaves the sweep index.
 * Idempotent: a child already skipped is left alone (its own entry owes its
 * follow-up). `resume.from` counts through the children, then the end
 * decision's walk.
 */
export async function followUpSkipped(
  deps: AppDeps,
  processId: string,
  process: ProcessIdentity,
  task: string,
  resume: { from?: number; budgetMs?: number; deadline?: number } = {},
): Promise<void> {
  const def = await getDefinition(deps, process.definition, process.version);
  const dag = dagOf(def);
  const at = instant(deps);
  const deadline = resume.deadline ?? budgetedPassDeadline(deps, at, resume.budgetMs);
  const children = dag.children.get(task) ?? [];
  const single = children.filter((c) => dag.tasks.get(c)?.needs.length === 1);
  const joins = children.filter((c) => (dag.tasks.get(c)?.needs.length ?? 0) > 1);
  const from = resume.from ?? 0;
  const skipped: string[] = [];
  const pass = await budgetedPass(single.slice(from), { chunk: 1, lanes: deps.settings.writeConcurrency, deadline, now: deps.now }, async ([child]) => {
    if (child !== undefined && (await skipTask(deps, def, processId, child, 'UpstreamSkipped', process.run, at))) skipped.push(child);
  });
  const joined = await scheduleJoins(deps, def, processId, joins, at, process.run, deadline);
  if (!pass.complete) {
    await deps.tasks.deferFollowUp({ processId, task, resumeFrom: from + pass.handled, at: deps.now() });
    return;
  }
  await followUpBranchEndings(deps, processId, process, skipped.map((t) => ({ task: t, kind: 'skipped' as const })), deadline);
  if (dag.sinks.includes(task) || joined.skippedJoin) {
    const check = { from: Math.max(0, from - single.length), deadline, after: task, ...(dag.sinks.includes(task) ? { settledSink: task } : {}) };
    const decided = await endIfSinksSettled(deps, def, processId, process.run, check);
    if (!decided.complete) {
      await deps.tasks.deferFollowUp({ processId, task, resumeFrom: single.length + decided.handled, at: deps.now() });
      return;
    }
  }
  await deps.tasks.clearSweep({ processId, task });
}
