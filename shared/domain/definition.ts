import { findCycles } from '#domain/dag.ts';
import { decodeDefinitionText, type Locate } from '#domain/definition-text.ts';
import { InvalidDefinitionError, type ProblemDetail } from '#domain/errors.ts';
import { inputSchemaProblems } from '#domain/input-schema.ts';
import { canonicalFailureKeys, normaliseFailureKeys } from '#domain/failure-spec.ts';
import { canonicalCompensation, normaliseCompensation } from '#domain/compensation.ts';
import { mapProblems, normaliseMap, type LocatedSchemaProblem } from '#domain/map-spec.ts';
import { normaliseSubProcess, subProcessProblems } from '#domain/sub-process-spec.ts';
import { taskLimitProblems } from '#domain/task-limits.ts';
import { normaliseProcessConcurrency, processConcurrencyProblems } from '#domain/process-concurrency.ts';
import { branchProblems, normaliseBranch } from '#domain/branch-spec.ts';
import {
  DEFAULT_TIMEOUT_SECONDS,
  DefinitionDocumentSchema,
  DefinitionSpecSchema,
  MAX_TASKS,
  schemaProblems,
  type DefinitionDocument,
  type DefinitionSpec,
  type PathSegment,
  type SchemaProblem,
  type TaskSpec,
} from '#schemas/definition-schema.ts';

export type { DefinitionSpec, TaskSpec };

/** What {@link checkDefinition} needs to know of the deployment. */
export interface CheckOptions {
  /**
   * The configured queues; a task may only name one of these. Undefined when
   * the caller does not know them (a client building a workflow): queue names
   * and the default queue are then left to the server.
   */
  readonly queues?: readonly string[];
  /**
   * The queue of a task that names none. Trusted: it comes from configuration,
   * not from the document. Undefined when none is configured: every task must
   * then name its queue.
   */
  readonly defaultQueue?: string;
}

export interface ParseOptions extends CheckOptions {
  readonly queues: readonly string[];
  /** @default 300 */
  readonly defaultTimeoutSeconds?: number;
}

/** Most cycles listed in one report: a 30 KB document can hold thousands of long cycles. */
const MAX_REPORTED_CYCLES = 50;

/**
 * Parses YAML or JSON text into a validated, normalised spec. Problems found
 * in YAML source carry the 1-based line and column where they start.
 *
 * @throws InvalidDefinitionError listing every problem found, not just the first.
 * @example
 * const spec = parseDefinition('tasks:\n  - name: A\n  - name: B\n    needs: [A]\n', { queues: ['default'], defaultQueue: 'default' });
 * spec.tasks[1] // { name: 'B', needs: ['A'], queue: 'default', timeoutSeconds: 300 }
 */
export function parseDefinition(text: string, options: ParseOptions): DefinitionSpec {
  const { value, locate } = decodeDefinitionText(text);
  return validate(value, options, locate);
}

/**
 * Validates an already-decoded document (e.g. a JSON request body) with the
 * same rules and errors as {@link parseDefinition}, but without source positions.
 *
 * @throws InvalidDefinitionError listing every problem found.
 * @example
 * validateDefinition({ tasks: [{ name: 'A' }] }, { queues: ['default'], defaultQueue: 'default' });
 * // { tasks: [{ name: 'A', needs: [], queue: 'default', timeoutSeconds: 300 }] }
 */
export function validateDefinition(doc: unknown, options: ParseOptions): DefinitionSpec {
  return validate(doc, options, undefined);
}

/**
 * Checks a decoded document with the server's rules, without normalising it:
 * what a client runs before sending a document it built. With no `queues`,
 * queue names are not checked.
 *
 * @throws InvalidDefinitionError listing every problem found.
 * @example
 * checkDefinition({ steps: ['Extract', 'Load'] }); // passes
 * checkDefinition({ steps: [{ name: 'Load', needs: ['Extract'] }] }); // throws: a step cannot have 'needs'
 */
export function checkDefinition(doc: unknown, options: CheckOptions = {}): void {
  const { problems } = documentProblems(doc, options);
  if (problems.length > 0) throw new InvalidDefinitionError(problems.map((p) => toDetail(p, undefined)));
}

/**
 * The canonical JSON of a spec: every field of the normalised spec (as
 * {@link DefinitionSpecSchema} lists them, so a new field counts without an
 * edit here), object keys sorted at every level, lists in declared order. Two
 * documents that differ only in key order, formatting, comments, spelled-out
 * defaults or `steps:` versus the equivalent `tasks:` have the same canonical
 * form, which is how an identical re-PUT is recognised.
 *
 * @example
 * canonicalDefinition({ tasks: [{ timeoutSeconds: 300, queue: 'default', needs: [], name: 'A' }] })
 * // '{"tasks":[{"name":"A","needs":[],"queue":"default","timeoutSeconds":300}]}'
 */
export function canonicalDefinition(spec: DefinitionSpec): string {
  const parsed = DefinitionSpecSchema.parse(spec);
  // Failure keys hash by the policy they resolve to: a spelled-out default hashes like an omitted one.
  const failure = canonicalFailureKeys(parsed);
  const { timeoutSeconds: _timeout, onFailure: _onFailure, defaults: _defaults, compensation, ...rest } = parsed;
  const tasks = parsed.tasks.map(({ retry: _retry, optional: _optional, attemptTimeoutSeconds: _attempt, ...t }, i) => ({ ...t, ...failure.tasks[i] }));
  // Compensation hashes by what it resolves to: `on: [FAILED]` spelled out hashes like an omitted `on`.
  return stableJson({ ...rest, ...failure.process, ...(compensation === undefined ? {} : { compensation: canonicalCompensation(compensation) }), tasks });
}

/** JSON with object keys sorted, so that key order never changes the text. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );
}

function validate(doc: unknown, options: ParseOptions, locate: Locate | undefined): DefinitionSpec {
  const { problems, document } = documentProblems(doc, options);
  if (document === undefined || problems.length > 0) throw new InvalidDefinitionError(problems.map((p) => toDetail(p, locate)));
  return normalise(document, options);
}

/** Every problem of a decoded document: its shape, its form (`tasks` or `steps`), its input schema and its graph. */
function documentProblems(doc: unknown, options: CheckOptions): { problems: LocatedSchemaProblem[]; document?: DefinitionDocument } {
  if (!isRecord(doc)) return { problems: [{ at: [], message: `a definition must be a mapping with a 'tasks' list, not ${kindOf(doc)}` }] };
  const parsed = DefinitionDocumentSchema.safeParse(doc);
  const inputSchema = parsed.success ? parsed.data.inputSchema : undefined;
  const problems = [
    ...(parsed.success ? [] : schemaProblems(parsed.error)),
    ...formProblems(doc),
    ...(inputSchema === undefined ? [] : inputSchemaProblems(inputSchema)),
    ...graphProblems(doc, options),
    ...(doc.tasks === undefined ? mapProblems(doc.steps, 'steps') : mapProblems(doc.tasks, 'tasks')),
    ...(doc.tasks === undefined ? subProcessProblems(doc.steps, 'steps') : subProcessProblems(doc.tasks, 'tasks')),
    ...(doc.tasks === undefined ? taskLimitProblems(doc.steps, 'steps') : taskLimitProblems(doc.tasks, 'tasks')),
    ...processConcurrencyProblems(doc.concurrency),
    ...(doc.tasks === undefined ? branchProblems(doc.steps, 'steps') : branchProblems(doc.tasks, 'tasks')),
  ];
  return parsed.success ? { problems, document: parsed.data } : { problems };
}

/** A definition is a DAG (`tasks`) or a routine (`steps`): exactly one of the two. */
function formProblems(doc: Readonly<Record<string, unknown>>): SchemaProblem[] {
  if (doc.tasks !== undefined && doc.steps !== undefined) {
    return [{ at: ['steps'], message: "a definition has either 'tasks' (a graph) or 'steps' (a routine), not both" }];
  }
  if (doc.tasks === undefined && doc.steps === undefined) {
    return [{ at: ['tasks'], message: "a definition needs a 'tasks' list (or a 'steps' list for a routine)" }];
  }
  return [];
}

/** Defaults applied; a routine becomes the equivalent graph, each step needing the one before it. */
function normalise(doc: DefinitionDocument, options: ParseOptions): DefinitionSpec {
  const timeoutSeconds = doc.defaults?.timeoutSeconds ?? options.defaultTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const entries = doc.tasks ?? (doc.steps ?? []).map((step, i, steps) => ({ ...step, needs: i === 0 ? [] : [steps[i - 1]?.name ?? ''] }));
  const failure = normaliseFailureKeys({ ...doc, tasks: entries });
  const tasks = entries.map((t, i) => ({
    name: t.name,
    // No needs means a root: a task is never chained to the one declared before it.
    needs: t.needs ?? [],
    // Checked: a task without a queue is a problem when no default is configured.
    queue: t.queue ?? options.defaultQueue ?? '',
    timeoutSeconds: t.timeoutSeconds ?? timeoutSeconds,
    ...failure.tasks[i],
    ...(t.map === undefined ? {} : { map: normaliseMap(t.map) }),
    ...(t.process === undefined ? {} : { process: normaliseSubProcess(t.process) }),
    ...(t.concurrency === undefined ? {} : { concurrency: t.concurrency }),
    ...(t.rateLimit === undefined ? {} : { rateLimit: t.rateLimit }),
    ...normaliseBranch(t),
  }));
  return {
    ...(doc.description === undefined ? {} : { description: doc.description }),
    ...failure.process,
    ...(doc.maxParallel === undefined ? {} : { maxParallel: doc.maxParallel }),
    ...(doc.compensation === undefined ? {} : { compensation: normaliseCompensation(doc.compensation) }),
    ...(doc.inputSchema === undefined ? {} : { inputSchema: doc.inputSchema }),
    ...(doc.concurrency === undefined ? {} : { concurrency: normaliseProcessConcurrency(doc.concurrency) }),
    tasks,
  };
}

/** What the graph checks can read from a task even when its shape is wrong; shape problems are zod's to report. */
interface LooseTask {
  readonly name?: string;
  readonly needs: readonly { readonly name: string; readonly index: number }[];
  readonly queue?: string;
}

function looseTask(raw: unknown): LooseTask {
  // A step written as a bare name.
  if (typeof raw === 'string') return { name: raw, needs: [] };
  if (!isRecord(raw)) return { needs: [] };
  const needs = Array.isArray(raw.needs) ? raw.needs.flatMap((name: unknown, index) => (typeof name === 'string' ? [{ name, index }] : [])) : [];
  return {
    needs,
    ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
    ...(typeof raw.queue === 'string' ? { queue: raw.queue } : {}),
  };
}

/**
 * The checks that need the whole document: duplicate names, configured queues,
 * unknown and repeated needs, cycles. They run even when the shape is wrong so
 * that one round trip shows every problem.
 */
function graphProblems(doc: Readonly<Record<string, unknown>>, options: CheckOptions): SchemaProblem[] {
  // Both lists present is a problem of its own; the graph is then that of `tasks`.
  const list = doc.tasks === undefined ? 'steps' : 'tasks';
  const raw = doc[list];
  // Past the limit zod already reports the size; skip the graph work a hostile document would cost.
  if (!Array.isArray(raw) || raw.length > MAX_TASKS) return [];
  // A step's needs are implied (and `needs:` in a step is a problem of its own): no unknown needs, no cycles.
  const tasks = raw.map((entry: unknown) => (list === 'steps' ? { ...looseTask(entry), needs: [] } : looseTask(entry)));
  const problems: SchemaProblem[] = [];
  const firstIndex = new Map<string, number>();
  tasks.forEach((task, i) => {
    if (task.name === undefined) return;
    const first = firstIndex.get(task.name);
    if (first === undefined) firstIndex.set(task.name, i);
    else problems.push({ at: [list, i, 'name'], message: `duplicate task name '${task.name}' (first declared at ${list}[${first}])` });
  });
  const byLooseName = new Map([...firstIndex.keys()].map((name) => [looseName(name), name]));
  tasks.forEach((task, i) => {
    const label = task.name === undefined ? `${list}[${i}]` : `task '${task.name}'`;
    const { queues, defaultQueue } = options;
    if (queues !== undefined && task.queue !== undefined && !queues.includes(task.queue)) {
      const message = `${label} uses queue '${task.queue}', which is not configured; configured queues: ${queues.join(', ')}`;
      problems.push({ at: [list, i, 'queue'], message });
    }
    if (queues !== undefined && defaultQueue === undefined && task.queue === undefined) {
      const message = `${label} names no queue, and this deployment has no default queue; name one of: ${queues.join(', ')}`;
      problems.push({ at: [list, i], message });
    }
    const listed = new Set<string>();
    for (const need of task.needs) {
      const at = [list, i, 'needs', need.index];
      if (listed.has(need.name)) {
        problems.push({ at, message: `${label} lists need '${need.name}' more than once` });
      } else if (/[[\]]/.test(need.name)) {
        const map = need.name.replace(/\[.*$/s, '');
        const message = `${label} needs '${need.name}', but a task cannot need one child of a map (children are addressed as name[index]); need the whole map${map === '' ? '' : `, '${map}'`}`;
        problems.push({ at, message });
      } else if (!firstIndex.has(need.name)) {
        const close = byLooseName.get(looseName(need.name));
        const hint = close === undefined ? '' : `; did you mean '${close}'?`;
        problems.push({ at, message: `${label} needs '${need.name}', which is not a task in this definition${hint}` });
      }
      listed.add(need.name);
    }
  });
  return [...problems, ...cycleProblems(tasks, firstIndex)];
}

/** One problem per cycle, located at the need that closes it. Duplicate names take their first declaration. */
function cycleProblems(tasks: readonly LooseTask[], firstIndex: ReadonlyMap<string, number>): SchemaProblem[] {
  const edges = new Map([...firstIndex].map(([name, i]) => [name, tasks[i]?.needs.map((n) => n.name) ?? []]));
  const cycles = findCycles(edges, { limit: MAX_REPORTED_CYCLES + 1 });
  const problems = cycles.slice(0, MAX_REPORTED_CYCLES).map((cycle): SchemaProblem => {
    const from = cycle.at(-2) ?? '';
    const to = cycle.at(-1) ?? '';
    const i = firstIndex.get(from) ?? 0;
    const needIndex = tasks[i]?.needs.find((n) => n.name === to)?.index ?? 0;
    return { at: ['tasks', i, 'needs', needIndex], message: `cycle: ${cycle.join(' -> ')}` };
  });
  if (cycles.length > MAX_REPORTED_CYCLES) {
    problems.push({ at: [], message: `more cycles exist; only the first ${MAX_REPORTED_CYCLES} are listed` });
  }
  return problems;
}

/** Case and spacing differences are the likely typos in a need, and cheap to match on. */
function looseName(name: string): string {
  return name.toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * A problem found after validation (by a use case that can read the store,
 * e.g. a compensation definition that does not exist), located like the
 * others: its path, and for YAML or JSON text the line and column where it
 * starts. Reads the text again: for the error path only.
 *
 * @example
 * definitionProblem('compensation:\n  definition: nope\ntasks: [A]\n', ['compensation', 'definition'], 'no such definition')
 * // { path: 'compensation.definition', message: 'no such definition', line: 2, column: 3 }
 */
export function definitionProblem(text: string | undefined, at: readonly PathSegment[], message: string): ProblemDetail {
  return toDetail({ at, message }, text === undefined ? undefined : decodeDefinitionText(text).locate);
}

function toDetail(problem: LocatedSchemaProblem, locate: Locate | undefined): ProblemDetail {
  const path = formatPath(problem.at);
  return { ...(path === '' ? {} : { path }), message: problem.message, ...locate?.(problem.at, problem.within) };
}

/** `['tasks', 2, 'needs', 0]` to `tasks[2].needs[0]`; keys that are not identifiers are quoted. */
function formatPath(at: readonly PathSegment[]): string {
  return at.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`;
    if (/^[A-Za-z_$][\w$]*$/.test(segment)) return path === '' ? segment : `${path}.${segment}`;
    return `${path}[${JSON.stringify(segment)}]`;
  }, '');
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'an empty document';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}
