import type { DefinitionVersionItem } from '#schemas/items.ts';
import { budgetedPass, type PassResult } from './budgeted-pass.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';
import { settlesOf } from './settles.ts';
import { instant } from './timestamps.ts';

/**
 * skipDownstream: every task that depends on `failed`, directly or
 * transitively, becomes SKIPPED (`skippedBecause: failed`) and is never
 * scheduled. A skipped sink counts itself in the process's end counter in the
 * same write that skips it; joins are not counted, since they are skipped too.
 * Tasks that do not depend on `failed` are left to run to their ends.
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
  const done = await budgetedPass(rest, { chunk: 1, lanes: deps.settings.writeConcurrency, deadline: pass.deadline, now: deps.now }, async ([task]) => {
    if (task === undefined) return;
    await deps.tasks.skip({ processId, task, run, because: failed, iso: at.iso, expiresAt: at.expiresAt, settles: settlesOf(dag, task, 'endOnly') });
  });
  return { complete: done.complete, handled: Math.min(pass.from, ordered.length) + done.handled, total: ordered.length };
}
