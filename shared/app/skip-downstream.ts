import type { DefinitionVersionItem } from '#schemas/items.ts';
import { budgetedPass, type PassResult } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';
import { settlesOf } from './settles.ts';
import { instant } from './timestamps.ts';
import { isSkippedTask } from '#domain/status-predicates.ts';

/**
 * skipDownstream: every task that depends on `failed`, directly or
 * transitively, becomes SKIPPED (`skippedBecause: failed`) and is never
 * scheduled. A skipped sink counts itself in the process's end counter in the
 * same write that skips it; joins are not counted, since they are skipped too.
 * Tasks that do not depend on `failed` are left to run to their ends.
 *
 * The skip spreads only through tasks it skipped: a descendant that had
 * already started (an `anyCompleted` join that another parent let run, a
 * task a branch skipped) stops it, and its own children wait for it as
 * usual. So a task is skipped when one of its needs is `failed` or a task
 * this skip skipped, as the model (`process-model.ts`) does. Parents come
 * before children in definition order, so each task waits for its needs'
 * outcomes in this pass (lanes run side by side), or reads them when an
 * earlier pass handled them.
 *
 * A budgeted pass over the descendants in definition order, from `from`: no
 * write starts past `deadline`, and `handled` says where to go on (of `total`).
 * Idempotent (a task already skipped is left alone), and confined to `run`
 * (a late pass never skips what a rerun reset).
 */
export async function skipDownstream(
  deps: AppDeps,
  def: DefinitionVersionItem,
  processId: string,
  failed: string,
  run: number,
  pass: { from: number; deadline: number },
): Promise<PassResult & { total: number }> {
  const dag = dagOf(def);
  const descendants = new Set<string>();
  const stack = [...(dag.children.get(failed) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (descendants.has(next)) continue;
    descendants.add(next);
    stack.push(...(dag.children.get(next) ?? []));
  }
  const at = instant(deps);
  const ordered = dag.order.filter((t) => descendants.has(t));
  const rest = ordered.slice(pass.from);
  // Whether each task was skipped by this failure: this pass's outcomes, and reads of what an earlier pass handled.
  const cut = new Map<string, Promise<boolean>>();
  const skippedByFailure = (task: string): Promise<boolean> => {
    if (task === failed) return Promise.resolve(true);
    let known = cut.get(task);
    if (!known) {
      known = deps.tasks.get({ processId, task }).then((item) => isSkippedTask(item?.status) && item.skippedBecause === failed && (item.run ?? 1) === run);
      cut.set(task, known);
    }
    return known;
  };
  const skipIfReached = async (task: string): Promise<boolean> => {
    const needs = (dag.tasks.get(task)?.needs ?? []).filter((n) => n === failed || descendants.has(n));
    const reached = await Promise.all(needs.map(skippedByFailure));
    if (!reached.some(Boolean)) return false;
    if (await deps.tasks.skip({ processId, task, run, because: failed, iso: at.iso, expiresAt: at.expiresAt, settles: settlesOf(dag, task, 'endOnly') })) return true;
    // Refused: skipped already (a redone pass), or started since, which stops the skip here.
    const item = await deps.tasks.get({ processId, task });
    return isSkippedTask(item?.status) && item.skippedBecause === failed && (item.run ?? 1) === run;
  };
  const done = await budgetedPass(rest, { chunk: 1, lanes: deps.settings.writeConcurrency, deadline: pass.deadline, now: deps.now }, async ([task]) => {
    if (task === undefined) return;
    // Registered before any await: a child handled in another lane finds it.
    const outcome = skipIfReached(task);
    cut.set(task, outcome);
    await outcome;
  });
  return { complete: done.complete, handled: Math.min(pass.from, ordered.length) + done.handled, total: ordered.length };
}
