import { ProcessNotFoundError, TaskNotFoundError, ValidationError } from '#domain/errors.ts';
import { isActiveTask, type TaskStatus } from '#domain/lifecycle.ts';
import { isPendingTask } from '#domain/status-predicates.ts';
import type { DefinitionVersionItem, ProcessItem, TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { taskHistory, type HistoryEvent } from './process-history.ts';
import { bytes, fitPayloads, mapCountsOf, taskView, type TaskView } from './task-views.ts';
import { declaredTaskOf, mapSettingsOf } from './map-specs.ts';

/** `GET /processes/{id}/tasks` and `.../tasks/active`: a page size from 1 to 500, 100 by default. */
export interface TaskPageQuery {
  readonly limit: number;
  readonly status?: TaskStatus;
  readonly nextToken?: string;
}

export interface TaskPage {
  readonly items: TaskView[];
  readonly nextToken?: string;
}

/**
 * One page of a process's tasks, PENDING ones included, in the store's key order: task names in UTF-8 byte order.
 * That order is what makes a page one bounded query (the definition's order would need a read per task, 1 read
 * unit each, where a query of 100 small items costs about 10). One query of at most `limit` task items, merged
 * with the definition's names (a task without an item is PENDING); with a status filter a page may hold fewer
 * tasks than `limit`, and `nextToken` says whether to go on. Outputs are kept while the page stays under 1 MiB.
 */
export async function readTaskPage(deps: AppDeps, process: ProcessItem, def: DefinitionVersionItem, query: TaskPageQuery & { wanted?: (status: TaskStatus) => boolean }): Promise<TaskPage> {
  const dag = dagOf(def);
  const after = decodeCursor(query.nextToken);
  const filtered = query.status !== undefined && !isPendingTask(query.status);
  const read = await deps.tasks.page({
    processId: process.id,
    limit: query.limit,
    outputs: true,
    ...(after === undefined ? {} : { cursor: after }),
    ...(filtered ? { status: query.status } : {}),
  });
  const byName = new Map(read.items.map((t) => [t.name, t]));
  const end = read.cursor;
  let names: string[];
  let next: string | undefined;
  if (filtered) {
    // Every task in this status has an item: the page is what the query found.
    names = read.items.map((t) => t.name).filter((n) => dag.tasks.has(n));
    next = end;
  } else {
    // The names this read covers: after the cursor, up to where the query stopped. PENDING ones have no item.
    const covered = sortedNames(def).filter((n) => (after === undefined || compareNames(n, after) > 0) && (end === undefined || compareNames(n, end) <= 0));
    names = covered.slice(0, query.limit);
    const last = names.at(-1);
    next = covered.length > query.limit ? last : end !== undefined && sortedNames(def).some((n) => compareNames(n, end) > 0) ? end : undefined;
  }
  const wanted = query.wanted ?? ((s: TaskStatus) => query.status === undefined || s === query.status);
  const counts = await mapCountsOf(deps, process.id, read.items);
  const views = names.map((n) => taskView(def, n, dag.tasks.get(n)!, byName.get(n), counts.get(n))).filter((v) => wanted(v.status));
  const nextToken = next === undefined ? undefined : encodeCursor(next);
  return { items: fitPayloads(views, bytes({ items: [], nextToken })), ...(nextToken === undefined ? {} : { nextToken }) };
}

/** GET /processes/{id}/tasks: every task of the process, a page at a time, optionally in one status. */
export async function listTasks(deps: AppDeps, processId: string, query: TaskPageQuery & { map?: string }): Promise<TaskPage> {
  const { process, def } = await processAndDefinition(deps, processId);
  if (query.map !== undefined) return readChildrenPage(deps, process, def, { ...query, map: query.map });
  return readTaskPage(deps, process, def, query);
}

/**
 * One page of a map's children, in index order, with their outputs (under 1 MiB): a few blocks of 100 read at
 * most (`MapStore.children`), so a status filter may answer a short page with a `nextToken` to go on from.
 */
async function readChildrenPage(deps: AppDeps, process: ProcessItem, def: DefinitionVersionItem, query: TaskPageQuery & { map: string }): Promise<TaskPage> {
  const spec = dagOf(def).tasks.get(query.map);
  if (!spec || !mapSettingsOf(def, query.map)) throw new TaskNotFoundError(process.id, query.map);
  const map = await deps.tasks.get({ processId: process.id, task: query.map });
  const total = map?.mapTotal ?? 0;
  const from = decodeChildCursor(query.nextToken, query.map);
  const page = await deps.maps.children({ processId: process.id, map: query.map, from, total, limit: query.limit, outputs: true, ...(query.status === undefined ? {} : { status: query.status }) });
  const views = page.items.map((c) => taskView(def, c.name, spec, c));
  const nextToken = page.next === undefined ? undefined : Buffer.from(JSON.stringify({ map: query.map, from: page.next }), 'utf8').toString('base64url');
  return { items: fitPayloads(views, bytes({ items: [], nextToken })), ...(nextToken === undefined ? {} : { nextToken }) };
}

function decodeChildCursor(token: string | undefined, map: string): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { map?: unknown; from?: unknown };
    if (parsed.map === map && typeof parsed.from === 'number' && Number.isInteger(parsed.from) && parsed.from >= 0) return parsed.from;
  } catch {
    // fall through
  }
  throw new ValidationError('nextToken is not a token this API issued for these children', [{ path: 'query.nextToken', message: 'malformed token' }]);
}

/** GET /processes/{id}/tasks/active: the tasks that are SCHEDULED or RUNNING, paged as {@link listTasks}. */
export async function listActiveTasks(deps: AppDeps, processId: string, query: Omit<TaskPageQuery, 'status'> = { limit: 100 }): Promise<TaskPage> {
  const { process, def } = await processAndDefinition(deps, processId);
  return readTaskPage(deps, process, def, { ...query, wanted: isActiveTask });
}

/** One task with its output, or final error, and the events of every attempt (as the history tells them). */
export type TaskDetail = TaskView & { readonly events: readonly HistoryEvent[] };

/** GET /processes/{id}/tasks/{task}: one task, whole: one read of its item. A name not in the definition is a 404. */
export async function getTask(deps: AppDeps, processId: string, task: string): Promise<TaskDetail> {
  const { def } = await processAndDefinition(deps, processId);
  const dag = dagOf(def);
  const declared = declaredTaskOf(def, task);
  const spec = declared ? dag.tasks.get(declared.task) : undefined;
  if (!declared || !spec) throw new TaskNotFoundError(processId, task);
  const item: TaskItem | undefined = await deps.tasks.get({ processId, task });
  const counts = item ? await mapCountsOf(deps, processId, [item]) : new Map<string, never>();
  return { ...taskView(def, task, spec, item, counts.get(task)), events: item ? taskHistory(item, dag.order.indexOf(declared.task)) : [] };
}

async function processAndDefinition(deps: AppDeps, processId: string): Promise<{ process: ProcessItem; def: DefinitionVersionItem }> {
  const process = await deps.processes.get({ id: processId });
  if (!process) throw new ProcessNotFoundError(processId);
  return { process, def: await getDefinition(deps, process.definition, process.version) };
}

const sortedCache = new WeakMap<DefinitionVersionItem, string[]>();

/** The definition's task names in the store's key order, computed once per cached version. */
function sortedNames(def: DefinitionVersionItem): string[] {
  let names = sortedCache.get(def);
  if (!names) {
    names = [...dagOf(def).order].sort(compareNames);
    sortedCache.set(def, names);
  }
  return names;
}

/** DynamoDB's sort-key order: UTF-8 bytes (not JavaScript's UTF-16 order). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encodeCursor(name: string): string {
  return Buffer.from(JSON.stringify({ after: name }), 'utf8').toString('base64url');
}

function decodeCursor(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed && typeof parsed.after === 'string' && parsed.after.length > 0) return parsed.after;
  } catch {
    // fall through: any token this API did not issue is the same 400
  }
  throw new ValidationError('nextToken is not a token this API issued', [{ path: 'query.nextToken', message: 'malformed token' }]);
}
