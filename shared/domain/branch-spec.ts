import { expressionProblems } from '#domain/expressions.ts';
import { needsOf, type LocatedSchemaProblem } from '#domain/map-spec.ts';
import type { JoinRule, TaskDocument, TaskSpec } from '#schemas/definition-schema.ts';

/**
 * The branch keys of a task (issue 17): `when`, a CEL condition over `input`
 * and `upstream`, and `join`, how a task with several needs treats parents
 * that were skipped. Pure. The shape of each key is zod's
 * (`taskBranchKeys`); this file checks the condition's expression and gives
 * the normalised form. The runtime decision is `#domain/branch-decision.ts`.
 */

/** The join rule a task follows when it names none. */
export const DEFAULT_JOIN_RULE: JoinRule = 'allSettled';

/**
 * The problems of every `when:` of a decoded document: each condition is
 * compiled in the `condition` context, with `upstream` naming only the task's
 * needs, and each problem is located at `tasks[i].when` with its line and
 * column within the expression. Runs on the raw document, so that these are
 * reported alongside any shape problem.
 *
 * @example
 * branchProblems([{ name: 'A', when: 'input.amount <' }], 'tasks')
 * // [{ at: ['tasks', 0, 'when'], message: 'Syntax error: …', within: { line: 1, column: 15 } }]
 */
export function branchProblems(raw: unknown, list: 'tasks' | 'steps'): LocatedSchemaProblem[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: unknown, i): LocatedSchemaProblem[] => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [];
    const when = (entry as Readonly<Record<string, unknown>>).when;
    if (typeof when !== 'string') return [];
    const needs = needsOf(raw, list, i);
    return expressionProblems(when, 'condition', needs === undefined ? {} : { needs }).map((p) => ({
      at: [list, i, 'when'],
      message: p.message,
      within: { line: p.line, column: p.column },
    }));
  });
}

/**
 * The branch keys of a normalised task: `when` as written, `join` only when it
 * is not the default, so that a spelled-out `allSettled` hashes like an
 * omitted one.
 *
 * @example
 * normaliseBranch({ name: 'ship', join: 'allSettled' }) // {}
 * normaliseBranch({ name: 'ship', when: 'input.express', join: 'anyCompleted' }) // { when: 'input.express', join: 'anyCompleted' }
 */
export function normaliseBranch(doc: Pick<TaskDocument, 'when' | 'join'>): Pick<TaskSpec, 'when' | 'join'> {
  return {
    ...(doc.when === undefined ? {} : { when: doc.when }),
    ...(doc.join === undefined || doc.join === DEFAULT_JOIN_RULE ? {} : { join: doc.join }),
  };
}

/** The join rule of a task (its own, or the default). */
export function joinRuleOf(task: Pick<TaskSpec, 'join'> | undefined): JoinRule {
  return task?.join ?? DEFAULT_JOIN_RULE;
}
