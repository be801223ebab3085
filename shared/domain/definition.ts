import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type YAMLError } from 'yaml';
import { findCycles } from '#domain/dag.ts';
import { InvalidDefinitionError, type ProblemDetail } from '#domain/errors.ts';
import { canonicalFailureKeys, normaliseFailureKeys, type DefinitionFailureKeys, type TaskFailureSpec } from '#domain/failure-spec.ts';
import {
  DEFAULT_TIMEOUT_SECONDS,
  DefinitionDocumentSchema,
  MAX_TASKS,
  schemaProblems,
  type DefinitionDocument,
  type PathSegment,
  type SchemaProblem,
} from '#schemas/definition-schema.ts';

/** One task of a validated definition, with every default applied (failure keys: see failure-spec.ts). */
export interface TaskSpec extends TaskFailureSpec {
  readonly name: string;
  readonly needs: readonly string[];
  readonly queue: string;
  /** The lease a worker gets per claim. */
  readonly timeoutSeconds: number;
}

/** A validated, normalised definition (language v1). */
export interface DefinitionSpec extends DefinitionFailureKeys {
  readonly description?: string;
  readonly tasks: readonly TaskSpec[];
}

export interface ParseOptions {
  /** The configured queues; a task may only name one of these. */
  readonly queues: readonly string[];
  /** The queue of a task that names none. Trusted: it comes from configuration, not from the document. */
  readonly defaultQueue: string;
  /** @default 300 */
  readonly defaultTimeoutSeconds?: number;
}

/** Most cycles listed in one report: a 30 KB document can hold thousands of long cycles. */
const MAX_REPORTED_CYCLES = 50;

type Locate = (at: readonly PathSegment[]) => { line: number; column: number } | undefined;

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
  const { value, locate } = decode(text);
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
 * The canonical JSON of a spec: keys in a fixed order, tasks and needs in
 * declared order. Two documents that differ only in key order, formatting,
 * comments or spelled-out defaults have the same canonical form, which is how
 * an identical re-PUT is recognised.
 *
 * @example
 * canonicalDefinition({ tasks: [{ timeoutSeconds: 300, queue: 'default', needs: [], name: 'A' }] })
 * // '{"tasks":[{"name":"A","needs":[],"queue":"default","timeoutSeconds":300}]}'
 */
export function canonicalDefinition(spec: DefinitionSpec): string {
  const { process, tasks } = canonicalFailureKeys(spec);
  return JSON.stringify({
    ...(spec.description === undefined ? {} : { description: spec.description }),
    ...process,
    tasks: spec.tasks.map((t, i) => ({ name: t.name, needs: [...t.needs], queue: t.queue, timeoutSeconds: t.timeoutSeconds, ...tasks[i] })),
  });
}

function validate(doc: unknown, options: ParseOptions, locate: Locate | undefined): DefinitionSpec {
  const located = (problems: readonly SchemaProblem[]): ProblemDetail[] => problems.map((p) => toDetail(p, locate));
  if (!isRecord(doc)) {
    throw new InvalidDefinitionError(located([{ at: [], message: `a definition must be a mapping with a 'tasks' list, not ${kindOf(doc)}` }]));
  }
  const parsed = DefinitionDocumentSchema.safeParse(doc);
  const problems = [...(parsed.success ? [] : schemaProblems(parsed.error)), ...graphProblems(doc, options)];
  if (!parsed.success || problems.length > 0) throw new InvalidDefinitionError(located(problems));
  return normalise(parsed.data, options);
}

function normalise(doc: DefinitionDocument, options: ParseOptions): DefinitionSpec {
  const timeoutSeconds = doc.defaults?.timeoutSeconds ?? options.defaultTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const failure = normaliseFailureKeys(doc);
  const tasks = doc.tasks.map((t, i) => ({
    name: t.name,
    // No needs means a root: a task is never chained to the one declared before it.
    needs: t.needs ?? [],
    queue: t.queue ?? options.defaultQueue,
    timeoutSeconds: t.timeoutSeconds ?? timeoutSeconds,
    ...failure.tasks[i],
  }));
  return { ...(doc.description === undefined ? {} : { description: doc.description }), ...failure.process, tasks };
}

/** What the graph checks can read from a task even when its shape is wrong; shape problems are zod's to report. */
interface LooseTask {
  readonly name?: string;
  readonly needs: readonly { readonly name: string; readonly index: number }[];
  readonly queue?: string;
}

function looseTask(raw: unknown): LooseTask {
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
function graphProblems(doc: Readonly<Record<string, unknown>>, options: ParseOptions): SchemaProblem[] {
  // Past the limit zod already reports the size; skip the graph work a hostile document would cost.
  if (!Array.isArray(doc.tasks) || doc.tasks.length > MAX_TASKS) return [];
  const tasks = doc.tasks.map(looseTask);
  const problems: SchemaProblem[] = [];
  const firstIndex = new Map<string, number>();
  tasks.forEach((task, i) => {
    if (task.name === undefined) return;
    const first = firstIndex.get(task.name);
    if (first === undefined) firstIndex.set(task.name, i);
    else problems.push({ at: ['tasks', i, 'name'], message: `duplicate task name '${task.name}' (first declared at tasks[${first}])` });
  });
  const byLooseName = new Map([...firstIndex.keys()].map((name) => [looseName(name), name]));
  tasks.forEach((task, i) => {
    const label = task.name === undefined ? `tasks[${i}]` : `task '${task.name}'`;
    if (task.queue !== undefined && !options.queues.includes(task.queue)) {
      const message = `${label} uses queue '${task.queue}', which is not configured; configured queues: ${options.queues.join(', ')}`;
      problems.push({ at: ['tasks', i, 'queue'], message });
    }
    const listed = new Set<string>();
    for (const need of task.needs) {
      const at = ['tasks', i, 'needs', need.index];
      if (listed.has(need.name)) {
        problems.push({ at, message: `${label} lists need '${need.name}' more than once` });
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
 * Text to a plain value. JSON is YAML (the yaml package reads it as such), so
 * one parser gives source positions for both. For text that looks like JSON
 * and fails, JSON's own error is reported, since that is what the author meant
 * to write. Valid JSON that YAML still rejects is, in practice, JSON with
 * duplicate keys: the YAML errors are reported rather than silently keeping
 * the last value as JSON.parse would.
 */
function decode(text: string): { value: unknown; locate?: Locate } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: true, lineCounter });
  if (doc.errors.length > 0) {
    if (/^\s*[[{]/.test(text)) assertJson(text, doc.errors);
    throw new InvalidDefinitionError(doc.errors.map(yamlProblem));
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // e.g. too many aliases: the yaml package's guard against a "billion laughs" document.
    throw new InvalidDefinitionError([{ message: `YAML could not be read: ${(error as Error).message}` }], { cause: error });
  }
  return { value, locate: (at) => locateInYaml(doc, lineCounter, at) };
}

function yamlProblem(error: YAMLError): ProblemDetail {
  const start = error.linePos?.[0];
  const position = start === undefined ? {} : { line: start.line, column: start.col };
  if (error.code === 'MULTIPLE_DOCS') {
    return { message: 'a definition must be a single YAML document, but another one starts here', ...position };
  }
  if (error.code === 'DUPLICATE_KEY') return { message: 'duplicate key: keys of a mapping must be unique', ...position };
  // prettyErrors appends a source excerpt after the first line; line and column already locate it.
  return { message: `invalid YAML: ${(error.message.split('\n')[0] ?? '').replace(/:$/, '')}`, ...position };
}

/** Throws JSON's own syntax error, located, when `text` is not valid JSON. */
function assertJson(text: string, yamlErrors: readonly YAMLError[]): void {
  try {
    JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    // V8 gives an offset for some errors only; otherwise the YAML parser's first error is the best guess.
    const offset = /at position (\d+)/.exec(message)?.[1];
    const start = yamlErrors[0]?.linePos?.[0];
    const position = offset === undefined ? start && { line: start.line, column: start.col } : positionOf(text, Number(offset));
    throw new InvalidDefinitionError([{ message: `invalid JSON: ${message}`, ...position }], { cause: error });
  }
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Where the node a path names starts: the key for a mapping entry, the item for a list entry; else the nearest ancestor. */
function locateInYaml(doc: Document, lineCounter: LineCounter, at: readonly PathSegment[]): { line: number; column: number } | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const segment of at) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
      if (pair === undefined) break;
      if (isNode(pair.key)) offset = pair.key.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
      if (!isNode(node)) break;
      offset = node.range?.[0] ?? offset;
    } else {
      break;
    }
  }
  if (offset === undefined) return undefined;
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function toDetail(problem: SchemaProblem, locate: Locate | undefined): ProblemDetail {
  const path = formatPath(problem.at);
  return { ...(path === '' ? {} : { path }), message: problem.message, ...locate?.(problem.at) };
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
