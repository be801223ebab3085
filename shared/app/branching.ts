import { CONDITION_ERROR_CODE, type SkipReason } from '#domain/branch-decision.ts';
import { ExpressionError } from '#domain/errors.ts';
import { evaluateExpression } from '#domain/expressions.ts';
import type { DefinitionVersionItem, TaskError } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';
import type { SettleCount, UpstreamResult } from './ports.ts';
import { failureSettles, settlesOf } from './settles.ts';
import type { Instant } from './timestamps.ts';

/**
 * Branches at run time (issue 17): what a ready task's `when` decides, and the
 * writes that end a task a branch takes out of the run (SKIPPED, or FAILED
 * with `ConditionError`) without scheduling it. Each such write puts the task
 * on the sweep index for its follow-up, due at once: the caller runs the
 * follow-up right away when its budget allows (`branch-follow-up.ts`), and the
 * sweeper does it otherwise, or after a crash.
 */

/** What becomes of a ready task: it runs, or its condition skips it, or its condition failed to evaluate. */
export type ConditionOutcome = { readonly kind: 'run' } | { readonly kind: 'skip' } | { readonly kind: 'fail'; readonly error: TaskError };

const RUN: ConditionOutcome = { kind: 'run' };

/**
 * Evaluates a ready task's `when` once, over the process input and its
 * parents' outputs (`upstream`: a skipped parent is absent, a failed optional
 * one is null). No `when`: it runs. The result is deterministic within a run
 * (the input and the outputs no longer change), so deciding again after a
 * crash decides the same. An error, or a result that is not a bool, is a
 * `ConditionError` naming the expression and the error.
 */
export async function conditionOf(deps: AppDeps, def: DefinitionVersionItem, processId: string, task: string): Promise<ConditionOutcome> {
  const spec = dagOf(def).tasks.get(task);
  const when = spec?.when;
  if (spec === undefined || when === undefined) return RUN;
  const [input, results] = await Promise.all([
    deps.processes.getInput({ id: processId }),
    spec.needs.length > 0 ? deps.tasks.getUpstream({ processId, tasks: spec.needs }) : Promise.resolve(new Map<string, UpstreamResult>()),
  ]);
  const upstream: Record<string, unknown> = {};
  for (const [name, r] of results) if (!r.failed && r.skipped !== true) upstream[name] = r.output;
  for (const [name, r] of results) if (r.failed) upstream[name] = null;
  let value: unknown;
  try {
    value = evaluateExpression(when, 'condition', { input, upstream });
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    return { kind: 'fail', error: conditionError(task, error.message) };
  }
  if (typeof value !== 'boolean') {
    return { kind: 'fail', error: conditionError(task, `condition ${JSON.stringify(when)} must be true or false, but it gave ${JSON.stringify(value)}`) };
  }
  return value ? RUN : { kind: 'skip' };
}

function conditionError(task: string, message: string): TaskError {
  return { code: CONDITION_ERROR_CODE, message: `the condition of task '${task}' failed: ${message}` };
}

/** What a task a branch ended counts in its own write: its joins (as a skipped parent, when skipped) and the process end. */
function branchSettles(def: DefinitionVersionItem, task: string, skipped: boolean): SettleCount[] {
  return settlesOf(dagOf(def), task, skipped ? 'everyJoin' : 'children').map((s) => (skipped && s.task !== undefined ? { ...s, skipped: true } : s));
}

/**
 * Ends a ready task SKIPPED with `reason`, never scheduled: counted in its
 * joins as a skipped parent, in the process end when it is a sink, and in its
 * run's progress, in one write; on the sweep index for its follow-up. False
 * when another caller decided it first (exactly once, from the table's row).
 */
export async function skipTask(deps: AppDeps, def: DefinitionVersionItem, processId: string, task: string, reason: SkipReason, run: number, at: Instant): Promise<boolean> {
  return deps.tasks.skipReady({ processId, task, run, reason, iso: at.iso, expiresAt: at.expiresAt, sweepAt: at.now, settles: branchSettles(def, task, true) });
}

/**
 * Ends a ready task FAILED with its condition's error, never scheduled; its
 * failure policy is owed (the follow-up of a failure). A condition is
 * deterministic, so no retry would help: the task's retry policy is not used.
 * An optional task counts in its joins (its children run without it).
 */
export async function failOnCondition(deps: AppDeps, def: DefinitionVersionItem, processId: string, task: string, error: TaskError, run: number, at: Instant): Promise<boolean> {
  const settles = failureSettles(def, dagOf(def), task);
  return deps.tasks.failCondition({ processId, task, run, error, iso: at.iso, expiresAt: at.expiresAt, sweepAt: at.now, settles });
}
