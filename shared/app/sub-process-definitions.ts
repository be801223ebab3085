import type { DefinitionSpec } from '#domain/definition.ts';
import { definitionProblem } from '#domain/definition.ts';
import { InvalidDefinitionError, type ProblemDetail } from '#domain/errors.ts';
import type { AppDeps } from './deps.ts';

/**
 * At PUT: the definition (and version) each `process:` task names must
 * exist, so that a process never reaches a child it cannot start. Versions
 * are immutable and never deleted, so it still exists when the task runs. A
 * definition may name itself (a recursion, bounded at run time by the depth
 * limit): its next version is the one being PUT. Every problem is reported
 * at once, at `tasks[i].process.definition` (or `.version`).
 */
export async function checkSubProcessesExist(deps: AppDeps, name: string, spec: DefinitionSpec, text: string | undefined): Promise<void> {
  const named = spec.tasks.flatMap((t, i) => (t.process ? [{ i, process: t.process }] : []));
  if (named.length === 0) return;
  const heads = new Map(await Promise.all([...new Set(named.map((n) => n.process.definition))].map(async (d) => [d, await deps.definitions.getHead({ name: d })] as const)));
  const problems: ProblemDetail[] = [];
  for (const { i, process } of named) {
    const latest = heads.get(process.definition)?.latestVersion ?? 0;
    // Naming itself, a definition is at least the version this PUT may create.
    const reachable = process.definition === name ? latest + 1 : latest;
    if (reachable === 0) {
      problems.push(definitionProblem(text, ['tasks', i, 'process', 'definition'], `process.definition names '${process.definition}', which is not a definition (PUT it first)`));
    } else if (process.version !== undefined && process.version > reachable) {
      problems.push(
        definitionProblem(text, ['tasks', i, 'process', 'definition'], `process.version: definition '${process.definition}' has no version ${process.version} (its latest is ${latest})`),
      );
    }
  }
  if (problems.length > 0) throw new InvalidDefinitionError(problems);
}
