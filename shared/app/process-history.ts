import { ProcessNotFoundError, ValidationError } from '#domain/errors.ts';
import type { HistoryQuery } from '#schemas/api.ts';
import { TaskErrorSchema, type AttemptRecord, type ProcessEventItem, type ProcessItem, type TaskError, type TaskItem } from '#schemas/items.ts';
import type { HistoryEventType } from '#schemas/history-events.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';

export { HISTORY_EVENT_TYPES, type HistoryEventType } from '#schemas/history-events.ts';

export interface HistoryEvent {
  readonly at: string;
  readonly type: HistoryEventType;
  readonly task?: string;
  readonly attempt?: number;
  readonly workerId?: string;
  readonly error?: unknown;
  readonly details?: Record<string, unknown>;
}

/**
 * GET /processes/{id}/history: every event of a process, in time order.
 *
 * Almost nothing is written for it. It is derived from what the process and task
 * items hold anyway: each task item's current attempt (scheduled, claimed,
 * ended) and its list of ended attempts and refused stale calls, which only
 * retries, failures and refusals append to. Only pauses and resumes have items
 * of their own (`EVENT#`). So it costs what reading the process costs (two
 * prefix queries of its partition), has no cap, and expires with the
 * process's items (TTL).
 *
 * @example
 * const { items, nextToken } = await getProcessHistory(deps, id, { limit: 100 });
 */
export async function getProcessHistory(deps: AppDeps, processId: string, query: HistoryQuery): Promise<{ items: HistoryEvent[]; nextToken?: string }> {
  const process = await deps.processes.get({ id: processId });
  if (!process) throw new ProcessNotFoundError(processId);
  const [def, items, paused] = await Promise.all([
    getDefinition(deps, process.definition, process.version),
    deps.tasks.listAll({ processId }),
    deps.processes.events({ id: processId }),
  ]);
  const order = new Map(dagOf(def).order.map((name, i) => [name, i]));
  const keyed = [...processEvents(process), ...paused.map(pauseEvent), ...items.flatMap((t) => taskEvents(t, order.get(t.name) ?? order.size))].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const after = decodeToken(query.nextToken);
  const rest = after === undefined ? keyed : keyed.filter((e) => e.key > after);
  const page = rest.slice(0, query.limit);
  const last = page.at(-1);
  return { items: page.map((e) => e.event), ...(rest.length > page.length && last ? { nextToken: Buffer.from(last.key, 'utf8').toString('base64url') } : {}) };
}

interface Keyed {
  readonly key: string;
  readonly event: HistoryEvent;
}

/**
 * The order of events: by time; at the same instant, the process's start,
 * then task events in the DAG's order (attempt by attempt, each in its own
 * order), then consequences (skips, cancellations), then the process's end.
 */
function keyOf(event: HistoryEvent, group: number, taskIndex: number, rank: number, seq = 0): Keyed {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return { key: [event.at, group, pad(taskIndex, 6), pad(event.attempt ?? 0, 6), rank, pad(seq, 6)].join('|'), event };
}

function processEvents(p: ProcessItem): Keyed[] {
  const events = [keyOf({ at: p.createdAt, type: 'ProcessStarted', details: { definition: p.definition, version: p.version } }, 0, 0, 0)];
  if (p.endedAt !== undefined && p.status !== 'RUNNING' && p.status !== 'PAUSED') {
    const type = p.status === 'COMPLETED' ? 'ProcessCompleted' : p.status === 'FAILED' ? 'ProcessFailed' : 'ProcessCancelled';
    events.push(keyOf({ at: p.endedAt, type, ...(p.error ? { error: p.error } : {}) }, 3, 0, 0));
  }
  return events;
}

/** A pause or resume, recorded as its own item (the only events that are); after the start at the same instant, in the order written. */
function pauseEvent(e: ProcessEventItem, seq: number): Keyed {
  return keyOf({ at: e.at, type: e.type, ...(e.reason === undefined ? {} : { details: { reason: e.reason } }) }, 0, 0, 1, seq);
}

const ENDED_BY: Record<'f' | 'l' | 't', HistoryEventType> = { f: 'TaskFailed', l: 'TaskLeaseExpired', t: 'TaskAttemptTimedOut' };

function taskEvents(t: TaskItem, index: number): Keyed[] {
  const task = t.name;
  const out: Keyed[] = [];
  const records = t.attempts ?? [];
  records.forEach((r, seq) => {
    if (r.k === 's') {
      out.push(keyOf({ at: r.e, type: 'StaleResultRejected', task, attempt: r.a, ...(r.w ? { workerId: r.w } : {}), details: { call: r.op ?? 'unknown' } }, 1, index, 5, seq));
      return;
    }
    out.push(...attemptStart(task, index, r.a, r.s, r.c, r.w));
    const willRetry = r.n !== undefined;
    // An attempt's record keeps a short error; the task's final one is kept whole on the item.
    const final = !willRetry && t.status === 'FAILED' && r.a === t.attempt;
    const error = final && t.error ? t.error : parseError(r.x);
    const details = { willRetry, ...(r.n === undefined ? {} : { nextAttemptAt: new Date(r.n).toISOString() }) };
    out.push(keyOf({ at: r.e, type: ENDED_BY[r.k], task, attempt: r.a, ...(r.w ? { workerId: r.w } : {}), ...(error ? { error } : {}), details }, 1, index, 3));
    // An expiry or timeout on the last attempt fails the task: say so.
    if (r.k !== 'f' && !willRetry) out.push(keyOf({ at: r.e, type: 'TaskFailed', task, attempt: r.a, ...(error ? { error } : {}), details }, 1, index, 4));
  });
  const attempt = t.attempt;
  const recorded = records.some((r) => r.k !== 's' && r.a === attempt);
  if (!recorded && attempt !== undefined && t.status !== 'PENDING' && t.status !== 'SKIPPED') out.push(...attemptStart(task, index, attempt, t.scheduledAt, t.claimedAt, t.workerId));
  if (t.endedAt === undefined || recorded) return out;
  const at = t.endedAt;
  switch (t.status) {
    case 'COMPLETED':
      out.push(keyOf({ at, type: 'TaskCompleted', task, ...(attempt ? { attempt } : {}), ...(t.workerId ? { workerId: t.workerId } : {}) }, 1, index, 3));
      break;
    case 'FAILED':
      out.push(keyOf({ at, type: 'TaskFailed', task, ...(attempt ? { attempt } : {}), ...(t.error ? { error: t.error } : {}), details: { willRetry: false } }, 1, index, 3));
      break;
    case 'SKIPPED':
      out.push(keyOf({ at, type: 'TaskSkipped', task, details: { because: t.skippedBecause } }, 2, index, 3));
      break;
    case 'CANCELLED':
      out.push(keyOf({ at, type: 'TaskCancelled', task, ...(attempt && t.scheduledAt ? { attempt } : {}) }, 2, index, 3));
      break;
    default:
      break;
  }
  return out;
}

function attemptStart(task: string, index: number, attempt: number, scheduledAt?: string, claimedAt?: string, workerId?: string): Keyed[] {
  const out: Keyed[] = [];
  if (scheduledAt) out.push(keyOf({ at: scheduledAt, type: 'TaskScheduled', task, attempt }, 1, index, 1));
  if (claimedAt) out.push(keyOf({ at: claimedAt, type: 'TaskClaimed', task, attempt, ...(workerId ? { workerId } : {}) }, 1, index, 2));
  return out;
}

function parseError(json: AttemptRecord['x']): TaskError | undefined {
  if (json === undefined) return undefined;
  const parsed = TaskErrorSchema.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : undefined;
}

function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^\d{4}-\d\d-\d\dT[^|]+\|\d\|\d{6}\|\d{6}\|\d\|\d{6}$/.test(key)) {
    throw new ValidationError('nextToken is not a token this API issued', [{ path: 'query.nextToken', message: 'malformed token' }]);
  }
  return key;
}
