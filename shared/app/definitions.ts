import { createHash } from 'node:crypto';
import type { DefinitionVersionItem as StoredDefinition } from '#schemas/items.ts';
import { buildDag, type Dag } from '#domain/dag.ts';
import { parseChildName } from '#domain/map-children.ts';
import { canonicalDefinition, definitionProblem, parseDefinition, validateDefinition, type DefinitionSpec } from '#domain/definition.ts';
import { ConcurrencyConflictError, DefinitionNotFoundError, InvalidDefinitionError, type ProblemDetail } from '#domain/errors.ts';
import { defaultQueueOf } from '#config/queues.ts';
import { resolveTaskPolicy, type TaskFailurePolicy } from '#domain/retry-policy.ts';
import type { AppDeps } from './deps.ts';
import type { Page } from './ports.ts';
import { instant } from './timestamps.ts';
import { checkSubProcessesExist } from './sub-process-definitions.ts';

/** Most counters one completion may bump in its transaction (DynamoDB allows 100 actions). */
export const MAX_COUNTERS_PER_TASK = 99;

/**
 * Largest stored definition (bytes of its JSON form). A version is one
 * DynamoDB item (400 KB at most); normalising a compact YAML document (every
 * default written out) can make it larger than the request was.
 */
export const MAX_STORED_DEFINITION_BYTES = 350_000;

/** A stored version as the API shows it: the normalised spec (inputSchema included), name, version and creation time. */
export type DefinitionView = Omit<StoredDefinition, 'contentHash'>;

/** A definition document as it arrived: YAML text or an already-decoded JSON value. */
export type DefinitionDocument = { readonly yaml: string } | { readonly json: unknown };

/**
 * Stores a definition. Identical content returns the latest version
 * (`created: false`); changed content appends version + 1. Versions are
 * immutable; a race with another writer re-reads and retries.
 *
 * @example
 * const { created, definition } = await putDefinition(deps, 'loan', { yaml: 'tasks: [{name: A}]' });
 */
export async function putDefinition(deps: AppDeps, name: string, doc: DefinitionDocument): Promise<{ created: boolean; definition: DefinitionView }> {
  const options = { queues: deps.settings.queues, defaultQueue: defaultQueueOf(deps.settings.queues, deps.settings.defaultQueue) };
  const spec = 'yaml' in doc ? parseDefinition(doc.yaml, options) : validateDefinition(doc.json, options);
  checkTransactionLimits(spec);
  await checkCompensationExists(deps, spec, 'yaml' in doc ? doc.yaml : undefined);
  await checkSubProcessesExist(deps, name, spec, 'yaml' in doc ? doc.yaml : undefined);
  const contentHash = createHash('sha256').update(canonicalDefinition(spec)).digest('hex');
  for (let attempt = 0; attempt < 5; attempt++) {
    const head = await deps.definitions.getHead({ name });
    if (head && head.contentHash === contentHash) {
      const existing = await deps.definitions.getVersion({ name, version: head.latestVersion });
      if (existing) return { created: false, definition: toDefinitionView(existing) };
    }
    const stored: StoredDefinition = {
      name,
      version: (head?.latestVersion ?? 0) + 1,
      ...spec,
      contentHash,
      createdAt: instant(deps).iso,
    };
    const size = Buffer.byteLength(JSON.stringify(stored), 'utf8');
    if (size > MAX_STORED_DEFINITION_BYTES) {
      throw new InvalidDefinitionError([
        { message: `the definition takes ${size} bytes once normalised; the limit is ${MAX_STORED_DEFINITION_BYTES} (shorter task names or fewer tasks)` },
      ]);
    }
    const result = await deps.definitions.appendVersion({ definition: stored });
    if (result.kind === 'created') return { created: true, definition: toDefinitionView(stored) };
  }
  throw new ConcurrencyConflictError(`definition '${name}'`);
}

/** The latest version, or the given one. */
export async function getDefinition(deps: AppDeps, name: string, version?: number): Promise<StoredDefinition> {
  const v = version ?? (await deps.definitions.getHead({ name }))?.latestVersion;
  const def = v === undefined ? undefined : await deps.definitions.getVersion({ name, version: v });
  if (!def) throw new DefinitionNotFoundError(name, version);
  return def;
}

export async function listDefinitions(
  deps: AppDeps,
  limit: number,
  nextToken?: string,
): Promise<Page<{ name: string; latestVersion: number; description?: string }>> {
  const page = await deps.definitions.listHeads({ limit, ...(nextToken === undefined ? {} : { nextToken }) });
  return {
    items: page.items.map((h) => ({ name: h.name, latestVersion: h.latestVersion, ...(h.description ? { description: h.description } : {}) })),
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

export function toDefinitionView(def: StoredDefinition): DefinitionView {
  const { contentHash: _, name, version, createdAt, ...spec } = def;
  return { name, version, ...spec, createdAt };
}

/** A task's failure semantics, resolved from the stored definition (issue 7). */
export function taskPolicyOf(def: StoredDefinition, task: string): TaskFailurePolicy {
  let byTask = policies.get(def);
  if (!byTask) {
    byTask = new Map(def.tasks.map((t) => [t.name, resolveTaskPolicy(def.defaults, t)]));
    policies.set(def, byTask);
  }
  // A child of a map (`resize[41]`) runs with its map's keys.
  return byTask.get(task) ?? byTask.get(parseChildName(task)?.map ?? '') ?? resolveTaskPolicy(def.defaults, {});
}

const policies = new WeakMap<StoredDefinition, Map<string, TaskFailurePolicy>>();

const dags = new WeakMap<StoredDefinition, Dag>();

/** The DAG of a stored definition, built once per cached version. */
export function dagOf(def: StoredDefinition): Dag {
  let dag = dags.get(def);
  if (!dag) {
    dag = buildDag(def);
    dags.set(def, dag);
  }
  return dag;
}

/**
 * The definition (and version) a `compensation:` names must exist when the
 * definition is PUT, so that a process never ends with nothing to start.
 * Versions are immutable and never deleted, so it still exists when needed.
 */
async function checkCompensationExists(deps: AppDeps, spec: DefinitionSpec, text: string | undefined): Promise<void> {
  const compensation = spec.compensation;
  if (compensation === undefined) return;
  const head = await deps.definitions.getHead({ name: compensation.definition });
  if (head === undefined) {
    const message = `compensation.definition names '${compensation.definition}', which is not a definition (PUT it first)`;
    throw new InvalidDefinitionError([definitionProblem(text, ['compensation', 'definition'], message)]);
  }
  if (compensation.version !== undefined && compensation.version > head.latestVersion) {
    const message = `compensation.version: definition '${compensation.definition}' has no version ${compensation.version} (its latest is ${head.latestVersion})`;
    throw new InvalidDefinitionError([definitionProblem(text, ['compensation', 'version'], message)]);
  }
}

/**
 * A completion counts itself in each join it feeds within one transaction, so a
 * task may feed at most 99 multi-need tasks (plus the end counter). Checked at
 * PUT time so that a process can never hit it at run time.
 */
function checkTransactionLimits(spec: DefinitionSpec): void {
  const dag = buildDag(spec);
  const manySinks = dag.sinks.length > 1;
  const problems: ProblemDetail[] = [];
  // Under maxParallel an ending also gives its slot back in the same transaction: one counter fewer.
  const limit = MAX_COUNTERS_PER_TASK - (spec.maxParallel === undefined ? 0 : 1);
  spec.tasks.forEach((t, i) => {
    const joins = (dag.children.get(t.name) ?? []).filter((c) => (dag.tasks.get(c)?.needs.length ?? 0) > 1).length;
    const counters = joins + (manySinks && dag.sinks.includes(t.name) ? 1 : 0);
    if (counters > limit) {
      problems.push({
        path: `tasks[${i}]`,
        message: `task '${t.name}' is needed by ${joins} tasks that have several needs; the limit is ${limit}${limit < MAX_COUNTERS_PER_TASK ? ' with maxParallel' : ''}`,
      });
    }
  });
  if (problems.length > 0) throw new InvalidDefinitionError(problems);
}
