import type { Dag } from '#domain/dag.ts';

/**
 * The statuses of processes and tasks, and a pure reference model of one
 * process run. The model is what the persisted implementation must agree
 * with: property tests drive it with random events, and integration tests use
 * it as an oracle for the real thing.
 */

export const PROCESS_STATUSES = ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

export const TASK_STATUSES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses a task never leaves. */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'];
/** Statuses of a task that is on a queue or held by a worker. */
export const ACTIVE_TASK_STATUSES: readonly TaskStatus[] = ['SCHEDULED', 'RUNNING'];
/** Statuses a process never leaves. */
export const TERMINAL_PROCESS_STATUSES: readonly ProcessStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED'];

/** @example isTerminalTask('SKIPPED') // true */
export function isTerminalTask(status: TaskStatus): boolean {
  return TERMINAL_TASK_STATUSES.includes(status);
}

/** @example isActiveTask('SCHEDULED') // true */
export function isActiveTask(status: TaskStatus): boolean {
  return ACTIVE_TASK_STATUSES.includes(status);
}

/** @example isTerminalProcess('RUNNING') // false */
export function isTerminalProcess(status: ProcessStatus): boolean {
  return TERMINAL_PROCESS_STATUSES.includes(status);
}

export interface Progress {
  readonly total: number;
  readonly completed: number;
  /** Whole percent, rounded down so that 100 means everything is done. */
  readonly percent: number;
}

/**
 * Progress of a process as shown by the API.
 *
 * @example
 * progressOf(3, 2) // { total: 3, completed: 2, percent: 66 }
 * progressOf(0, 0) // { total: 0, completed: 0, percent: 0 }
 */
export function progressOf(total: number, completed: number): Progress {
  return { total, completed, percent: total === 0 ? 0 : Math.floor((100 * completed) / total) };
}

/** One task in the model. `attempt` counts claims that lost their lease, starting at 1. */
export interface ModelTask {
  readonly status: TaskStatus;
  readonly attempt: number;
}

export interface ModelState {
  readonly status: ProcessStatus;
  readonly tasks: ReadonlyMap<string, ModelTask>;
  /** Unmet needs per task; a task is scheduled when its count reaches 0. */
  readonly remaining: ReadonlyMap<string, number>;
}

export type ModelEvent =
  | { readonly type: 'claim'; readonly task: string }
  | { readonly type: 'complete'; readonly task: string }
  | { readonly type: 'fail'; readonly task: string }
  | { readonly type: 'leaseExpired'; readonly task: string }
  | { readonly type: 'cancel' };

export interface Transition {
  readonly state: ModelState;
  /** Tasks newly SCHEDULED by this event, in the DAG's declaration order. */
  readonly scheduled: readonly string[];
  /** Why the event is not allowed; the state is then the input state, unchanged. */
  readonly rejected?: string;
}

/**
 * The state of a new process: roots SCHEDULED, every other task PENDING, all
 * at attempt 1. A DAG without tasks is COMPLETED at once (every task is done).
 *
 * @example
 * const { state, scheduled } = initialState(buildDag(spec));
 * scheduled // the roots, e.g. ['Open Loan Application']
 */
export function initialState(dag: Dag): Transition {
  const tasks = new Map<string, ModelTask>();
  const remaining = new Map<string, number>();
  for (const [name, spec] of dag.tasks) {
    tasks.set(name, { status: spec.needs.length === 0 ? 'SCHEDULED' : 'PENDING', attempt: 1 });
    remaining.set(name, spec.needs.length);
  }
  return { state: { status: dag.tasks.size === 0 ? 'COMPLETED' : 'RUNNING', tasks, remaining }, scheduled: [...dag.roots] };
}

/**
 * Applies one event. Never throws: an event that is not allowed (on a
 * terminal process or task, on an unknown task, or in the wrong status) comes
 * back with `rejected` set and the input state unchanged.
 *
 * - claim: SCHEDULED to RUNNING.
 * - complete: RUNNING or SCHEDULED to COMPLETED; each child's unmet count drops
 *   by one and a child reaching 0 is SCHEDULED, so a join fires exactly once.
 *   The process is COMPLETED when every task is.
 * - fail: RUNNING or SCHEDULED to FAILED; the process FAILS and every other
 *   non-terminal task is CANCELLED.
 * - leaseExpired: RUNNING back to SCHEDULED with the next attempt.
 * - cancel: the process and every non-terminal task are CANCELLED.
 *
 * @example
 * let t = initialState(dag);
 * t = applyEvent(dag, t.state, { type: 'claim', task: 'A' });
 * t = applyEvent(dag, t.state, { type: 'complete', task: 'A' });
 * t.scheduled // children of A whose needs are now all met
 */
export function applyEvent(dag: Dag, state: ModelState, event: ModelEvent): Transition {
  if (isTerminalProcess(state.status)) return reject(state, `process is ${state.status}`);
  if (event.type === 'cancel') return { state: settle(state, 'CANCELLED'), scheduled: [] };
  const task = state.tasks.get(event.task);
  if (task === undefined) return reject(state, `unknown task '${event.task}'`);
  if (isTerminalTask(task.status)) return reject(state, `task '${event.task}' is ${task.status}`);
  switch (event.type) {
    case 'claim':
      if (task.status !== 'SCHEDULED') return reject(state, `task '${event.task}' is ${task.status}; only a SCHEDULED task can be claimed`);
      return { state: withTask(state, event.task, { ...task, status: 'RUNNING' }), scheduled: [] };
    case 'leaseExpired':
      if (task.status !== 'RUNNING') return reject(state, `task '${event.task}' is ${task.status}; only a RUNNING task holds a lease`);
      return { state: withTask(state, event.task, { status: 'SCHEDULED', attempt: task.attempt + 1 }), scheduled: [event.task] };
    case 'complete':
      if (!isActiveTask(task.status)) return reject(state, `task '${event.task}' is ${task.status}; only an active task can complete`);
      return complete(dag, state, event.task);
    case 'fail':
      if (!isActiveTask(task.status)) return reject(state, `task '${event.task}' is ${task.status}; only an active task can fail`);
      return { state: settle(withTask(state, event.task, { ...task, status: 'FAILED' }), 'FAILED'), scheduled: [] };
    default:
      return assertNever(event);
  }
}

function withTask(state: ModelState, name: string, task: ModelTask): ModelState {
  return { ...state, tasks: new Map(state.tasks).set(name, task) };
}

function complete(dag: Dag, state: ModelState, name: string): Transition {
  const tasks = new Map(state.tasks);
  const remaining = new Map(state.remaining);
  tasks.set(name, { status: 'COMPLETED', attempt: state.tasks.get(name)?.attempt ?? 1 });
  const scheduled: string[] = [];
  // Children are in declaration order, so `scheduled` is too.
  for (const child of dag.children.get(name) ?? []) {
    const left = (remaining.get(child) ?? 0) - 1;
    remaining.set(child, left);
    const current = tasks.get(child);
    if (left === 0 && current?.status === 'PENDING') {
      tasks.set(child, { ...current, status: 'SCHEDULED' });
      scheduled.push(child);
    }
  }
  const done = [...tasks.values()].every((t) => t.status === 'COMPLETED');
  return { state: { status: done ? 'COMPLETED' : 'RUNNING', tasks, remaining }, scheduled };
}

/** Ends the process: every task that is not yet terminal is CANCELLED. */
function settle(state: ModelState, status: ProcessStatus): ModelState {
  const tasks = new Map<string, ModelTask>();
  for (const [name, task] of state.tasks) tasks.set(name, isTerminalTask(task.status) ? task : { ...task, status: 'CANCELLED' });
  return { ...state, status, tasks };
}

function reject(state: ModelState, reason: string): Transition {
  return { state, scheduled: [], rejected: reason };
}

function assertNever(value: never): never {
  throw new Error(`unexpected event ${JSON.stringify(value)}`);
}
