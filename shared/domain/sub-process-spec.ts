import { expressionProblems } from '#domain/expressions.ts';
import type { LocatedSchemaProblem } from '#domain/map-spec.ts';
import type { PathSegment } from '#schemas/definition-schema.ts';
import type { SubProcessDocument, SubProcessSpec } from '#schemas/sub-process-schema.ts';

/**
 * The `process:` key of a task (issue 17, part 3), kept apart from the rest
 * of the definition language: the rules across a task's keys and the `input`
 * expression. Pure. Its shape is zod's (`SubProcessDocumentSchema`); whether
 * the child definition exists is the PUT's check (it needs the store).
 */

/**
 * The problems of every `process:` of a decoded document that zod cannot see:
 * a task that is also a `map`, a process task naming a `queue` (its child's
 * tasks have queues; it has none), and the problems of its `input`
 * expression (checked with its task's needs).
 *
 * @example
 * subProcessProblems([{ name: 'kyc', process: { definition: 'kyc-check' }, map: { items: 'input.x' } }], 'tasks')
 * // [{ at: ['tasks', 0, 'process'], message: "a task runs a sub-process ('process') or a map ('map'), not both" }]
 */
export function subProcessProblems(raw: unknown, list: 'tasks' | 'steps'): LocatedSchemaProblem[] {
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((entry: unknown, i): LocatedSchemaProblem[] => {
    if (!isRecord(entry) || entry.process === undefined) return [];
    const at: PathSegment[] = [list, i, 'process'];
    const problems: LocatedSchemaProblem[] = [];
    if (entry.map !== undefined) problems.push({ at, message: "a task runs a sub-process ('process') or a map ('map'), not both" });
    if (entry.queue !== undefined) problems.push({ at: [list, i, 'queue'], message: 'a process task has no queue of its own: its child process runs on the queues of its own tasks' });
    if (isRecord(entry.process) && typeof entry.process.input === 'string') {
      for (const p of expressionProblems(entry.process.input, 'subProcessInput', { needs: needsOf(raw, list, i) })) {
        problems.push({ at: [...at, 'input'], message: p.message, within: { line: p.line, column: p.column } });
      }
    }
    return problems;
  });
}

/** A step needs the step before it; a task, what it lists. */
function needsOf(raw: readonly unknown[], list: 'tasks' | 'steps', i: number): string[] {
  if (list === 'steps') {
    const before = i === 0 ? undefined : raw[i - 1];
    const name = typeof before === 'string' ? before : isRecord(before) && typeof before.name === 'string' ? before.name : undefined;
    return name === undefined ? [] : [name];
  }
  const needs = (raw[i] as Readonly<Record<string, unknown>>).needs;
  return Array.isArray(needs) ? needs.filter((n): n is string => typeof n === 'string') : [];
}

/**
 * A validated `process:` with its default: `onParentEnd: cancel`, so a
 * spelled-out default is stored (and hashed) like an omitted one.
 *
 * @example
 * normaliseSubProcess({ definition: 'kyc-check' }) // { definition: 'kyc-check', onParentEnd: 'cancel' }
 */
export function normaliseSubProcess(doc: SubProcessDocument): SubProcessSpec {
  return {
    definition: doc.definition,
    ...(doc.version === undefined ? {} : { version: doc.version }),
    ...(doc.input === undefined ? {} : { input: doc.input }),
    onParentEnd: doc.onParentEnd ?? 'cancel',
  };
}

/**
 * The id of the child process of a process task: derived from the parent's id
 * and the task's name, so every attempt to start it (a crash, a duplicate
 * call, the sweeper) names the same process, and its conditional start is the
 * guard. Attempts and reruns of the task do not start another child: they
 * rerun this one from its failure. Pure: the hashing is the caller's.
 *
 * @example
 * childProcessKey('p-1', 'kyc') // 'child:p-1:kyc'
 */
export function childProcessKey(parentId: string, task: string): string {
  return `child:${parentId}:${task}`;
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
