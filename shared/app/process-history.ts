import { ProcessNotFoundError, ValidationError } from '#domain/errors.ts';
import type { HistoryQuery } from '#schemas/api.ts';
import { currentRunRecords, TaskErrorSchema, type AttemptRecord, type ProcessEventItem, type ProcessItem, type RunRecord, type TaskError, type TaskItem } from '#schemas/items.ts';
import type { HistoryEventType } from '#schemas/history-events.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { isCompletedTask, isEndedProcess, isFailedTask, isPendingTask, isSkippedTask, TASK_STATUS } from '#domain/status-predicates.ts';
import type { TERMINAL_PROCESS_STATUSES } from '#domain/lifecycle.ts';

export { HISTORY_EVENT_TYPES, type HistoryEventType } from '#schemas/history-events.ts';

export interface HistoryEvent {
  readonly at: string;
  readonly type: HistoryEventType;
  /** The run of the process the event belongs to (1 until a rerun). */
  readonly run: number;
  readonly task?: string;
  readonly attempt?: number;
  readonly workerId?: string;
  readonly error?: unknown;
  readonly details?: Record<string, unknown>;
}

/**
 * GET /processes/{id}/history: every event of a process, a page at a time.
 *
 * Almost nothing is written for it. It is derived from what the process and task
 * items hold anyway: each task item's current attempt (scheduled, claimed,
 * ended) and its list of ended attempts and refused stale calls, which only
 * retries, failures and refusals append to. Only pauses and resumes have items
 * of their own (`EVENT#`). It has no cap, and expires with the process's items (TTL).
 *
 * A process of up to {@link HISTORY_CHUNK} tasks is answered in time order, from one query of its task items. A
 * larger one is read from a cursor into the store, a bounded chunk per page (see `largeHistoryPage`).
 *
 * @example
 * const { items, nextToken } = await getProcessHistory(deps, id, { limit: 100 });
 */
export async function getProcessHistory(deps: AppDeps, processId: string, query: HistoryQuery): Promise<{ items: HistoryEvent[]; nextToken?: string }> {
  const process = await deps.processes.get({ id: processId });
  if (!process) throw new ProcessNotFoundError(processId);
  const def = await getDefinition(deps, process.definition, process.version);
  const order = new Map(dagOf(def).order.map((name, i) => [name, i]));
  if (order.size > HISTORY_CHUNK) return largeHistoryPage(deps, process, order, query);
  const [page, runs, paused] = await Promise.all([
    deps.tasks.page({ processId, limit: HISTORY_CHUNK, attempts: true }),
    process.run > 1 ? deps.processes.runs({ id: processId }) : Promise.resolve([]),
    deps.processes.events({ id: processId }),
  ]);
  const keyed = [
    ...processEvents(process, runs),
    ...paused.map((e, seq) => pauseEvent(e, seq, runs)),
    ...page.items.flatMap((t) => taskEvents(t, order.get(t.name) ?? order.size)),
  ].sort(byKey);
  const after = decodeToken(query.nextToken);
  const rest = after === undefined ? keyed : keyed.filter((e) => e.key > after);
  const slice = rest.slice(0, query.limit);
  const last = slice.at(-1);
  return { items: slice.map((e) => e.event), ...(rest.length > slice.length && last ? { nextToken: Buffer.from(last.key, 'utf8').toString('base64url') } : {}) };
}

/**
 * A process of up to this many tasks has its history in one store chunk (one query of its task items): it is
 * answered in time order, as it always was. A larger one is read a chunk at a time, from a cursor.
 */
export const HISTORY_CHUNK = 100;
/** Queries one page of a large history may make: a run of task items with no events cannot make a page read on. */
const MAX_CHUNKS_PER_PAGE = 10;

/**
 * The history of a process of more than {@link HISTORY_CHUNK} tasks, in an order that follows the store's cursor, so
 * that no page reads again what a page before it read (the process item aside): the first page starts with the
 * process's own events (start, reruns, pauses and resumes, ends) in time order; then come the tasks in name order
 * (the store's key order), each task's events in time order. A page holds whole tasks: it ends with the task that
 * reaches `limit`, so it may pass `limit` by that task's events.
 */
async function largeHistoryPage(deps: AppDeps, process: ProcessItem, order: ReadonlyMap<string, number>, query: HistoryQuery): Promise<{ items: HistoryEvent[]; nextToken?: string }> {
  const start = decodeCursorToken(query.nextToken);
  const events: HistoryEvent[] = [];
  if (start === undefined) {
    const [runs, paused] = await Promise.all([process.run > 1 ? deps.processes.runs({ id: process.id }) : Promise.resolve([]), deps.processes.events({ id: process.id })]);
    events.push(...[...processEvents(process, runs), ...paused.map((e, seq) => pauseEvent(e, seq, runs))].sort(byKey).map((e) => e.event));
  }
  let cursor = start?.after;
  for (let chunk = 0; chunk < MAX_CHUNKS_PER_PAGE && events.length < query.limit; chunk++) {
    // About three events a task (scheduled, claimed, ended): read about as many tasks as the page still needs.
    const want = Math.max(1, Math.min(HISTORY_CHUNK, Math.ceil((query.limit - events.length) / 3)));
    const page = await deps.tasks.page({ processId: process.id, limit: want, attempts: true, ...(cursor === undefined ? {} : { cursor }) });
    for (const item of page.items) events.push(...taskHistory(item, order.get(item.name) ?? order.size));
    if (page.cursor === undefined) return { items: events };
    cursor = page.cursor;
  }
  return { items: events, nextToken: Buffer.from(JSON.stringify({ after: cursor ?? '' }), 'utf8').toString('base64url') };
}

function byKey(a: Keyed, b: Keyed): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** A large history's token: where the store's read goes on (the process's own events came on the first page). */
function decodeCursorToken(token: string | undefined): { after?: string } | undefined {
  if (token === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'after' in parsed && typeof parsed.after === 'string') return parsed.after === '' ? {} : { after: parsed.after };
  } catch {
    // fall through: any token this API did not issue is the same 400
  }
  throw new ValidationError('nextToken is not a token this API issued', [{ path: 'query.nextToken', message: 'malformed token' }]);
}

/** One task's events, in the history's order (`GET /processes/{id}/tasks/{task}`); `index` is its place in the DAG's order. */
export function taskHistory(item: TaskItem, index: number): HistoryEvent[] {
  return taskEvents(item, index)
    .sort(byKey)
    .map((e) => e.event);
}

interface Keyed {
  readonly key: string;
  readonly event: HistoryEvent;
}

/**
 * The order of events: by time; at the same instant, by run; then the
 * process's start or rerun, then task events in the DAG's order (attempt by
 * attempt, each in its own order), then consequences (skips, cancellations),
 * then the process's end.
 */
function keyOf(event: HistoryEvent, group: number, taskIndex: number, rank: number, seq = 0): Keyed {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return { key: [event.at, pad(event.run, 6), group, pad(taskIndex, 6), pad(event.attempt ?? 0, 6), rank, pad(seq, 6)].join('|'), event };
}

const ENDED_PROCESS: Record<(typeof TERMINAL_PROCESS_STATUSES)[number], HistoryEventType> = { COMPLETED: 'ProcessCompleted', FAILED: 'ProcessFailed', CANCELLED: 'ProcessCancelled' };

/** The process's start, each run's end and each rerun (from its run record), and the current run's end. */
function processEvents(p: ProcessItem, runs: readonly RunRecord[]): Keyed[] {
  const firstVersion = runs[0]?.previousVersion ?? p.version;
  const events = [keyOf({ at: p.createdAt, type: 'ProcessStarted', run: 1, details: { definition: p.definition, version: firstVersion } }, 0, 0, 0)];
  // Issue 18: a start over its concurrency limit waited in its pool's queue, from its creation until it took a slot.
  if (p.queueTicket !== undefined) {
    const key = p.concurrencyKey === undefined ? {} : { concurrencyKey: p.concurrencyKey };
    events.push(keyOf({ at: p.createdAt, type: 'ProcessQueued', run: 1, details: key }, 0, 0, 1));
    if (p.startedAt !== undefined) {
      events.push(keyOf({ at: p.startedAt, type: 'ProcessDequeued', run: 1, details: { ...key, waitedMs: Date.parse(p.startedAt) - Date.parse(p.createdAt) } }, 0, 0, 2));
    }
  }
  for (const r of runs) {
    const ended = r.previous;
    if (ended.endedAt !== undefined && isEndedProcess(ended.status)) {
      events.push(keyOf({ at: ended.endedAt, type: ENDED_PROCESS[ended.status], run: r.run - 1, ...(ended.error ? { error: ended.error } : {}) }, 3, 0, 0));
    }
    const details = {
      version: r.version,
      previousVersion: r.previousVersion,
      ...(r.fromTasks ? { fromTasks: r.fromTasks } : {}),
      reset: r.reset,
      resetCount: r.resetCount,
      inputReplaced: r.inputReplaced,
    };
    events.push(keyOf({ at: r.at, type: 'ProcessRerun', run: r.run, details }, 0, 0, 0));
  }
  if (p.endedAt !== undefined && isEndedProcess(p.status)) {
    events.push(keyOf({ at: p.endedAt, type: ENDED_PROCESS[p.status], run: p.run, ...(p.error ? { error: p.error } : {}) }, 3, 0, 0));
  }
  return events;
}

/** A pause or resume, recorded as its own item (the only events that are); after the start at the same instant, in the order written. */
/** A pause or resume, in the run it happened in (one plus the reruns before it). */
function pauseEvent(e: ProcessEventItem, seq: number, runs: readonly RunRecord[]): Keyed {
  const run = 1 + runs.filter((r) => r.at <= e.at).length;
  return keyOf({ at: e.at, type: e.type, run, ...(e.reason === undefined ? {} : { details: { reason: e.reason } }) }, 0, 0, 1, seq);
}

const ENDED_BY: Record<'f' | 'l' | 't', HistoryEventType> = { f: 'TaskFailed', l: 'TaskLeaseExpired', t: 'TaskAttemptTimedOut' };

/**
 * A task's events: from its records (ended attempts, refused stale calls, and
 * what a rerun closed: completed, cancelled or skipped in an earlier run, each
 * run opened by a marker), then its current attempt from the item itself.
 */
function taskEvents(t: TaskItem, index: number): Keyed[] {
  const task = t.name;
  const child = t.childProcessId;
  const out: Keyed[] = [];
  const records = t.attempts ?? [];
  const lastMarker = records.findLastIndex((r) => r.k === 'r');
  // With its oldest records dropped, the first kept ones belong to the run before the first kept marker's.
  const firstRun = t.attemptsDropped === undefined ? 1 : (records.find((r) => r.k === 'r')?.r ?? t.run ?? 2) - 1;
  let run = firstRun;
  records.forEach((r, seq) => {
    const worker = r.w ? { workerId: r.w } : {};
    const attempt = r.a > 0 ? { attempt: r.a } : {};
    switch (r.k) {
      case 'r':
        run = r.r ?? run + 1;
        return;
      case 's':
        out.push(keyOf({ at: r.e, type: 'StaleResultRejected', run, task, ...attempt, ...worker, details: { call: r.op ?? 'unknown' } }, 1, index, 5, seq));
        return;
      case 'c':
        out.push(...attemptStart(task, index, run, r.a, r.s, r.c, r.w));
        out.push(keyOf({ at: r.e, type: 'TaskCompleted', run, task, ...attempt, ...worker }, 1, index, 3));
        return;
      case 'x':
        if (r.a > 0) out.push(...attemptStart(task, index, run, r.a, r.s, r.c, r.w));
        out.push(keyOf({ at: r.e, type: 'TaskCancelled', run, task, ...(r.s ? attempt : {}) }, 2, index, 3));
        return;
      case 'k':
        out.push(keyOf({ at: r.e, type: 'TaskSkipped', run, task, details: { because: r.b } }, 2, index, 3));
        return;
      default: {
        out.push(...attemptStart(task, index, run, r.a, r.s, r.c, r.w, child));
        const willRetry = r.n !== undefined;
        // An attempt's record keeps a short error; the task's final one (this run's) is kept whole on the item.
        const final = !willRetry && seq > lastMarker && isFailedTask(t.status) && r.a === t.attempt;
        const error = final && t.error ? t.error : parseError(r.x);
        const details = { willRetry, ...(r.n === undefined ? {} : { nextAttemptAt: new Date(r.n).toISOString() }) };
        if (child !== undefined && error?.code === 'ChildProcessFailed') out.push(childEnded(t, r.e, run, r.a, index, error.details));
        out.push(keyOf({ at: r.e, type: ENDED_BY[r.k], run, task, ...attempt, ...worker, ...(error ? { error } : {}), details }, 1, index, 3));
        // An expiry or timeout on the last attempt fails the task: say so.
        if (r.k !== 'f' && !willRetry) out.push(keyOf({ at: r.e, type: 'TaskFailed', run, task, ...attempt, ...(error ? { error } : {}), details }, 1, index, 4));
      }
    }
  });
  // The history says where it starts: the task's first event counts the records dropped before it.
  const first = out[0];
  if (t.attemptsDropped !== undefined && first) {
    out[0] = { ...first, event: { ...first.event, details: { ...first.event.details, earlierRecordsDropped: t.attemptsDropped } } };
  }
  run = t.run ?? run;
  const attempt = t.attempt;
  const recorded = currentRunRecords(t).some((r) => r.k !== 's' && r.a === attempt);
  if (!recorded && attempt !== undefined && !isPendingTask(t.status) && !isSkippedTask(t.status)) {
    if (t.mapTotal === undefined) out.push(...attemptStart(task, index, run, attempt, t.scheduledAt, t.claimedAt, t.workerId, child));
    else {
      // A map is claimed by no worker: the moment its items were stored (its RUNNING's start) is its expansion.
      out.push(...attemptStart(task, index, run, attempt, t.scheduledAt));
      if (t.claimedAt) out.push(keyOf({ at: t.claimedAt, type: 'MapExpanded', run, task, attempt, details: { total: t.mapTotal } }, 1, index, 2));
    }
  }
  if (t.limitRefusals !== undefined && t.lastRefusedAt !== undefined) {
    const keys = { ...(t.concurrencyKey === undefined ? {} : { concurrencyKey: t.concurrencyKey }), ...(t.rateKey === undefined ? {} : { rateKey: t.rateKey }) };
    out.push(keyOf({ at: t.lastRefusedAt, type: 'TaskClaimsRefused', run, task, details: { count: t.limitRefusals, ...keys } }, 1, index, 2, 1));
  }
  if (t.endedAt === undefined || recorded) return out;
  const at = t.endedAt;
  if (child !== undefined && (isCompletedTask(t.status) || (isFailedTask(t.status) && t.error?.code === 'ChildProcessFailed'))) {
    out.push(childEnded(t, at, run, attempt, index, isCompletedTask(t.status) ? { childProcessId: child, status: t.status } : t.error?.details));
  }
  switch (t.status) {
    case TASK_STATUS.completed:
      out.push(keyOf({ at, type: 'TaskCompleted', run, task, ...(attempt ? { attempt } : {}), ...(t.workerId ? { workerId: t.workerId } : {}) }, 1, index, 3));
      break;
    case TASK_STATUS.failed:
      out.push(keyOf({ at, type: 'TaskFailed', run, task, ...(attempt ? { attempt } : {}), ...(t.error ? { error: t.error } : {}), details: { willRetry: false } }, 1, index, 3));
      break;
    case TASK_STATUS.skipped:
      // A branch's skip names its reason (ConditionFalse, UpstreamSkipped); skipDownstream's, the failed task.
      out.push(keyOf({ at, type: 'TaskSkipped', run, task, details: t.skipReason ? { reason: t.skipReason } : { because: t.skippedBecause } }, 2, index, 3));
      break;
    case TASK_STATUS.cancelled:
      out.push(keyOf({ at, type: 'TaskCancelled', run, task, ...(attempt && t.scheduledAt ? { attempt } : {}) }, 2, index, 3));
      break;
    default:
      break;
  }
  return out;
}

function attemptStart(task: string, index: number, run: number, attempt: number, scheduledAt?: string, claimedAt?: string, workerId?: string, child?: string): Keyed[] {
  const out: Keyed[] = [];
  if (attempt < 1) return out;
  if (scheduledAt) out.push(keyOf({ at: scheduledAt, type: 'TaskScheduled', run, task, attempt }, 1, index, 1));
  // A process task is claimed by no worker: the start (or rerun) of its child is its attempt's start.
  if (claimedAt && child !== undefined) out.push(keyOf({ at: claimedAt, type: 'ChildProcessStarted', run, task, attempt, details: { childProcessId: child } }, 1, index, 2));
  else if (claimedAt) out.push(keyOf({ at: claimedAt, type: 'TaskClaimed', run, task, attempt, ...(workerId ? { workerId } : {}) }, 1, index, 2));
  return out;
}

/** The end of a process task's child, just before the task's own ending (same instant, ranked before it). */
function childEnded(t: TaskItem, at: string, run: number, attempt: number | undefined, index: number, details: unknown): Keyed {
  const fields = typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : { childProcessId: t.childProcessId };
  return keyOf({ at, type: 'ChildProcessEnded', run, task: t.name, ...(attempt ? { attempt } : {}), details: fields }, 1, index, 2, 1);
}

function parseError(json: AttemptRecord['x']): TaskError | undefined {
  if (json === undefined) return undefined;
  const parsed = TaskErrorSchema.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : undefined;
}

function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^\d{4}-\d\d-\d\dT[^|]+\|\d{6}\|\d\|\d{6}\|\d{6}\|\d\|\d{6}$/.test(key)) {
    throw new ValidationError('nextToken is not a token this API issued', [{ path: 'query.nextToken', message: 'malformed token' }]);
  }
  return key;
}
