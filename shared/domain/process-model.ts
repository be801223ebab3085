import type { Dag } from '#domain/dag.ts';
import {
  COUNTED_TASK_STATUS,
  guardsHold,
  isTerminalProcess,
  isTerminalTask,
  processAllows,
  taskGuards,
  TASK_TRANSITIONS,
  type ProcessEvent,
  type ProcessStatus,
  type TaskEvent,
  type TaskStatus,
} from '#domain/lifecycle.ts';
import { joinDecision, type SkipReason } from '#domain/branch-decision.ts';

/**
 * A pure model of one process run, driven by the lifecycle table: every event
 * is checked with the same guards the stores write ({@link taskGuards}), so
 * the property tests exercise the table itself, not a parallel copy of it.
 * Joins and the process end count *settled* parents and sinks. Failure
 * semantics follow the definition's policy ({@link ModelPolicy}): attempts,
 * optional tasks, failFast or skipDownstream.
 */

/** The failure semantics a model run follows. */
export interface ModelPolicy {
  readonly onFailure: 'failFast' | 'skipDownstream';
  /** Attempts per task, the first included. @default 3 */
  readonly maxAttempts?: (task: string) => number;
  /** Tasks whose final failure triggers no policy. */
  readonly optional?: ReadonlySet<string>;
  /** What each task's `when` decides when it is ready (absent: true, it runs; `error`: it fails with ConditionError). */
  readonly conditions?: (task: string) => boolean | 'error';
}

export const FAIL_FAST: ModelPolicy = { onFailure: 'failFast' };

/** Time as the guards see it: a live lease runs out after NOW, an expired one at EXPIRED. */
const NOW = 1;
const LEASE_ENDS = 2;

/** One task in the model. A task without an item (never scheduled nor counted) is `undefined`. */
export interface ModelTask {
  readonly status: TaskStatus;
  readonly attempt: number;
  readonly leaseToken?: string;
  /** Parents settled so far (joins only). */
  readonly settled?: number;
  /** Of those, parents that were SKIPPED. */
  readonly skipped?: number;
  /** Why a branch skipped it. */
  readonly skipReason?: SkipReason;
}

export interface ModelState {
  readonly status: ProcessStatus;
  readonly policy: ModelPolicy;
  /** Tasks that failed for good and are not optional, or were skipped: the process cannot complete. */
  readonly failures: number;
  /** Items by task name; PENDING tasks that nothing has touched have none. */
  readonly tasks: ReadonlyMap<string, ModelTask>;
  /** Sinks settled so far. */
  readonly settledSinks: number;
}

export type ModelEvent =
  | { readonly type: 'claim'; readonly task: string; readonly leaseToken: string }
  | { readonly type: 'complete'; readonly task: string; readonly leaseToken?: string }
  | { readonly type: 'fail'; readonly task: string; readonly leaseToken?: string; readonly retryable?: boolean }
  | { readonly type: 'expireLease'; readonly task: string; readonly leaseToken: string }
  | { readonly type: 'cancel' }
  | { readonly type: 'timeout' };

export interface Transition {
  readonly state: ModelState;
  /** Tasks newly SCHEDULED by this event, in the DAG's declaration order. */
  readonly scheduled: readonly string[];
  /** Why the event is not allowed; the state is then the input state, unchanged. */
  readonly rejected?: string;
}

/** The status of a task in the model: PENDING when it has no item. */
export function statusOf(state: ModelState, task: string): TaskStatus {
  return state.tasks.get(task)?.status ?? 'PENDING';
}

/**
 * A new process: roots SCHEDULED at attempt 1. A DAG without tasks is COMPLETED at once.
 *
 * @example
 * const { state, scheduled } = initialState(buildDag(spec));
 * scheduled // the roots, e.g. ['Open Loan Application']
 */
export function initialState(dag: Dag, policy: ModelPolicy = FAIL_FAST): Transition {
  let state: ModelState = { status: dag.tasks.size === 0 ? 'COMPLETED' : 'RUNNING', policy, failures: 0, tasks: new Map(), settledSinks: 0 };
  const scheduled: string[] = [];
  for (const root of dag.roots) {
    if (isTerminalProcess(state.status)) break;
    const t = becomeReady(dag, state, root);
    state = t.state;
    scheduled.push(...t.scheduled);
  }
  return { state, scheduled };
}

/** Whether a task has settled for its children: COMPLETED, or an optional task FAILED. */
export function settledFor(state: ModelState, task: string): boolean {
  const status = statusOf(state, task);
  return status === 'COMPLETED' || (status === 'FAILED' && (state.policy.optional?.has(task) ?? false));
}

/**
 * Applies one event. Never throws: an event the table does not allow (wrong
 * status, stale lease token, unknown task, ended process) comes back with
 * `rejected` set and the input state unchanged.
 *
 * @example
 * let t = initialState(dag);
 * t = applyEvent(dag, t.state, { type: 'claim', task: 'A', leaseToken: 'l1' });
 * t = applyEvent(dag, t.state, { type: 'complete', task: 'A', leaseToken: 'l1' });
 * t.scheduled // children of A whose needs have now all settled
 */
/** The model follows one run of a process (reruns are tested on the engines). */
const MODEL_RUN = 1;

export function applyEvent(dag: Dag, state: ModelState, event: ModelEvent): Transition {
  if (isTerminalProcess(state.status)) return reject(state, `process is ${state.status}`);
  if (event.type === 'cancel') return endProcess(dag, state, 'cancel', 'CANCELLED');
  if (event.type === 'timeout') return endProcess(dag, state, 'fail', 'FAILED');
  if (!dag.tasks.has(event.task)) return reject(state, `unknown task '${event.task}'`);
  const item = state.tasks.get(event.task);
  const row = rowOf(state, event, item);
  const values = {
    ...('leaseToken' in event && event.leaseToken !== undefined ? { leaseToken: event.leaseToken } : {}),
    now: event.type === 'expireLease' ? LEASE_ENDS : NOW,
    attempt: item?.attempt ?? 1,
    run: MODEL_RUN,
    // The model has no pause: no task is ever held.
    held: false,
  };
  const asItem = item && { status: item.status, attempt: item.attempt, leaseToken: item.leaseToken, leaseExpiresAt: LEASE_ENDS, run: MODEL_RUN };
  if (!guardsHold(taskGuards(row, values), asItem)) {
    return reject(state, `task '${event.task}' is ${item?.status ?? 'PENDING'}; '${row}' needs ${TASK_TRANSITIONS[row].from.join(' or ')}${TASK_TRANSITIONS[row].guards.includes('lease' as never) ? ' and the current lease' : ''}`);
  }
  const current = item as ModelTask;
  switch (row) {
    case 'claim':
      return { state: withTask(state, event.task, { ...current, status: 'RUNNING', leaseToken: (event as { leaseToken: string }).leaseToken }), scheduled: [] };
    case 'retry':
    case 'retryManual':
    case 'expireLease':
      return { state: withTask(state, event.task, { ...withoutLease(current), status: 'SCHEDULED', attempt: current.attempt + 1 }), scheduled: [event.task] };
    case 'complete':
    case 'completeManual':
      return settle(dag, withTask(state, event.task, { ...current, status: 'COMPLETED' }), event.task);
    default:
      return failFinally(dag, withTask(state, event.task, { ...current, status: 'FAILED' }), event.task);
  }
}

/** The row an event takes: a failed attempt is retried while attempts are left (and the error allows it). */
function rowOf(state: ModelState, event: Extract<ModelEvent, { task: string }>, item: ModelTask | undefined): TaskEvent {
  const attemptsLeft = (item?.attempt ?? 1) < (state.policy.maxAttempts?.(event.task) ?? 3);
  switch (event.type) {
    case 'claim':
      return 'claim';
    case 'expireLease':
      return attemptsLeft ? 'expireLease' : 'expireLeaseFinal';
    case 'complete':
      return event.leaseToken === undefined ? 'completeManual' : 'complete';
    case 'fail': {
      const retry = attemptsLeft && event.retryable !== false;
      if (event.leaseToken === undefined) return retry ? 'retryManual' : 'failManual';
      return retry ? 'retry' : 'fail';
    }
    default:
      return assertNever(event);
  }
}

/**
 * A task failed for good: an optional one settles like a completion;
 * otherwise failFast ends the process, and skipDownstream skips every
 * descendant and ends the process once every sink has settled and no task
 * can run any more (every other branch runs to its end).
 */
function failFinally(dag: Dag, state: ModelState, task: string): Transition {
  if (state.policy.optional?.has(task)) return settle(dag, state, task);
  const failed = { ...state, failures: state.failures + 1 };
  if (state.policy.onFailure === 'failFast') return endProcess(dag, failed, 'fail', 'FAILED');
  const tasks = new Map(failed.tasks);
  let settledSinks = failed.settledSinks + (dag.sinks.includes(task) ? 1 : 0);
  const stack = [...(dag.children.get(task) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    const item = tasks.get(next);
    if (!guardsHold(taskGuards('skip', { run: MODEL_RUN }), item)) continue;
    tasks.set(next, { attempt: 1, ...item, status: 'SKIPPED' });
    if (dag.sinks.includes(next)) settledSinks += 1;
    stack.push(...(dag.children.get(next) ?? []));
  }
  return { state: endIfSettled(dag, { ...failed, tasks, settledSinks }), scheduled: [] };
}

function withoutLease(task: ModelTask): ModelTask {
  const { leaseToken: _fenced, ...rest } = task;
  return rest;
}

function withTask(state: ModelState, name: string, task: ModelTask): ModelState {
  return { ...state, tasks: new Map(state.tasks).set(name, task) };
}

/**
 * A task settled (completed, or an optional task failed; or `skipped` by a branch): count it in each child, as a
 * skipped parent when it was skipped. A child still PENDING is decided by its join rule (a child with one need
 * too): it waits, becomes ready (its condition then decides), or is SKIPPED (`UpstreamSkipped`).
 */
function settle(dag: Dag, state: ModelState, name: string, as: 'completed' | 'skipped' = 'completed'): Transition {
  let current: ModelState = { ...state, settledSinks: state.settledSinks + (dag.sinks.includes(name) ? 1 : 0) };
  const scheduled: string[] = [];
  // Children are in declaration order, so `scheduled` is too.
  for (const child of dag.children.get(name) ?? []) {
    if (isTerminalProcess(current.status)) break;
    const spec = dag.tasks.get(child);
    const expected = spec?.needs.length ?? 0;
    const item = current.tasks.get(child);
    if (!guardsHold(taskGuards('settleParent', { expected }), item)) continue;
    const counted: ModelTask = { status: COUNTED_TASK_STATUS, attempt: 1, ...item, settled: (item?.settled ?? 0) + 1, skipped: (item?.skipped ?? 0) + (as === 'skipped' ? 1 : 0) };
    current = withTask(current, child, counted);
    if (!guardsHold(taskGuards('scheduleAnyJoin', { run: MODEL_RUN }), counted)) continue;
    const decision = joinDecision(spec?.join ?? 'allSettled', { expected, settled: counted.settled ?? 0, skipped: counted.skipped ?? 0 });
    if (decision === 'wait') continue;
    const t = decision === 'skip' ? skipTask(dag, current, child, 'UpstreamSkipped') : becomeReady(dag, current, child);
    current = t.state;
    scheduled.push(...t.scheduled);
  }
  return { state: endIfSettled(dag, current), scheduled };
}

/** A task whose parents let it run: its condition decides whether it is SCHEDULED, SKIPPED or FAILED (ConditionError). */
function becomeReady(dag: Dag, state: ModelState, task: string): Transition {
  const condition = state.policy.conditions?.(task) ?? true;
  if (condition === false) return skipTask(dag, state, task, 'ConditionFalse');
  const item = state.tasks.get(task);
  if (condition === 'error') {
    if (!guardsHold(taskGuards('failCondition', { run: MODEL_RUN }), item)) return { state, scheduled: [] };
    return failFinally(dag, withTask(state, task, { attempt: 1, ...item, status: 'FAILED' }), task);
  }
  return { state: withTask(state, task, { attempt: 1, ...item, status: 'SCHEDULED' }), scheduled: [task] };
}

/** A branch skips a ready task: SKIPPED with its reason, then counted in its children as a skipped parent. */
function skipTask(dag: Dag, state: ModelState, task: string, reason: SkipReason): Transition {
  const item = state.tasks.get(task);
  if (!guardsHold(taskGuards('skipReady', { run: MODEL_RUN }), item)) return { state, scheduled: [] };
  return settle(dag, withTask(state, task, { attempt: 1, ...item, status: 'SKIPPED', skipReason: reason }), task, 'skipped');
}

/**
 * The end decision: nothing ends before every sink has settled. Then the
 * process is COMPLETED when nothing failed; with a failure (skipDownstream) it
 * ends FAILED only once no task can run any more, so nothing is cancelled.
 */
function endIfSettled(dag: Dag, state: ModelState): ModelState {
  if (isTerminalProcess(state.status) || state.settledSinks !== dag.sinks.length) return state;
  const canRun = dag.order.some((name) => !isTerminalTask(statusOf(state, name)));
  // An anyCompleted join may end a sink while its other parents still run: the process waits for them.
  const waitsForAll = state.failures > 0 || [...dag.tasks.values()].some((t) => t.join === 'anyCompleted');
  if (waitsForAll && canRun) return state;
  return { ...state, status: state.failures === 0 ? 'COMPLETED' : 'FAILED' };
}

/** Ends the process: every task that has not ended is CANCELLED (PENDING ones get a tombstone). */
function endProcess(dag: Dag, state: ModelState, event: ProcessEvent, status: ProcessStatus): Transition {
  if (!processAllows(event, state.status)) return reject(state, `process is ${state.status}`);
  return { state: { ...state, status, tasks: cancelUnfinished(dag, state) }, scheduled: [] };
}

function cancelUnfinished(dag: Dag, state: ModelState): Map<string, ModelTask> {
  const tasks = new Map(state.tasks);
  for (const name of dag.order) {
    const task = tasks.get(name);
    if (guardsHold(taskGuards('cancel', { run: MODEL_RUN }), task)) tasks.set(name, { attempt: 1, ...task, status: 'CANCELLED' });
  }
  return tasks;
}

function reject(state: ModelState, reason: string): Transition {
  return { state, scheduled: [], rejected: reason };
}

function assertNever(value: never): never {
  throw new Error(`unexpected event ${JSON.stringify(value)}`);
}
