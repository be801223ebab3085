import { describe, expect, it } from 'vitest';
import { buildDag } from '#domain/dag.ts';
import type { DefinitionSpec } from '#domain/definition.ts';
import { ACTIVE_TASK_STATUSES, isTerminalProcess, isTerminalTask, TERMINAL_TASK_STATUSES, type TaskStatus } from '#domain/lifecycle.ts';
import { applyEvent, initialState, statusOf, type ModelEvent, type ModelState, type Transition } from '#domain/process-model.ts';
import { progressOf } from '#domain/progress.ts';

const spec = (...tasks: [string, string[]][]): DefinitionSpec => ({
  tasks: tasks.map(([name, needs]) => ({ name, needs, queue: 'default', timeoutSeconds: 300 })),
});

// Open feeds Score and Review; Notify joins them.
const dag = buildDag(spec(['Open', []], ['Score', ['Open']], ['Review', ['Open']], ['Notify', ['Score', 'Review']]));

/** Applies events in turn; each must be accepted. */
function run(...events: ModelEvent[]): Transition {
  return events.reduce((t, event) => {
    const next = applyEvent(dag, t.state, event);
    expect(next.rejected, `${event.type} was rejected`).toBeUndefined();
    return next;
  }, initialState(dag));
}

const statuses = (state: ModelState): Record<string, TaskStatus> => Object.fromEntries(dag.order.map((name) => [name, statusOf(state, name)]));
const claim = (task: string): ModelEvent => ({ type: 'claim', task, leaseToken: `lease-${task}` });
/** Completes with the lease of `claim(task)`; without one when the task was never claimed. */
const complete = (task: string, leaseToken?: string): ModelEvent => ({ type: 'complete', task, ...(leaseToken ? { leaseToken } : {}) });
const completeClaimed = (task: string): ModelEvent => complete(task, `lease-${task}`);

describe('statuses', () => {
  it('classifies terminal and active task statuses', () => {
    expect(TERMINAL_TASK_STATUSES).toEqual(['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED']);
    expect(ACTIVE_TASK_STATUSES).toEqual(['SCHEDULED', 'RUNNING']);
    expect((['PENDING', 'SCHEDULED', 'RUNNING'] as const).map(isTerminalTask)).toEqual([false, false, false]);
    expect((['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const).map(isTerminalTask)).toEqual([true, true, true, true]);
  });

  it('classifies terminal process statuses', () => {
    expect((['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const).map(isTerminalProcess)).toEqual([false, false, true, true, true]);
  });

  it('computes progress in whole percent, rounded down, and 0 for no tasks', () => {
    const none = { failed: 0, skipped: 0, cancelled: 0 };
    expect(progressOf(3, { completed: 2 })).toEqual({ total: 3, completed: 2, ...none, percent: 66 });
    expect(progressOf(3, { completed: 3 })).toEqual({ total: 3, completed: 3, ...none, percent: 100 });
    expect(progressOf(200, { completed: 1 })).toEqual({ total: 200, completed: 1, ...none, percent: 0 });
    expect(progressOf(0, { completed: 0 })).toEqual({ total: 0, completed: 0, ...none, percent: 0 });
    expect(progressOf(4, { completed: 1, failed: 1, skipped: 1, cancelled: 1 }).percent).toBe(100);
  });
});

describe('the process model', () => {
  it('starts with the roots SCHEDULED and everything else PENDING at attempt 1', () => {
    const { state, scheduled } = initialState(dag);
    expect(scheduled).toEqual(['Open']);
    expect(state.status).toBe('RUNNING');
    expect(statuses(state)).toEqual({ Open: 'SCHEDULED', Score: 'PENDING', Review: 'PENDING', Notify: 'PENDING' });
    expect([...state.tasks.values()].every((t) => t.attempt === 1)).toBe(true);
  });

  it('claims a SCHEDULED task and schedules its children when it completes', () => {
    expect(statuses(run(claim('Open')).state).Open).toBe('RUNNING');
    const t = run(claim('Open'), completeClaimed('Open'));
    expect(t.scheduled).toEqual(['Score', 'Review']);
    expect(statuses(t.state)).toMatchObject({ Open: 'COMPLETED', Score: 'SCHEDULED', Review: 'SCHEDULED' });
  });

  it('completes a SCHEDULED task without a claim', () => {
    expect(run(complete('Open')).scheduled).toEqual(['Score', 'Review']);
  });

  it('fires a join exactly once, when its last need completes', () => {
    const first = run(complete('Open'), complete('Score'));
    expect(first.scheduled).toEqual([]);
    expect(first.state.tasks.get('Notify')).toMatchObject({ status: 'PENDING', settled: 1 });
    const last = applyEvent(dag, first.state, complete('Review'));
    expect(last.scheduled).toEqual(['Notify']);
    expect(statuses(last.state).Notify).toBe('SCHEDULED');
  });

  it('completes the process when every task has completed', () => {
    const before = run(complete('Open'), complete('Score'), complete('Review'));
    expect(before.state.status).toBe('RUNNING');
    expect(applyEvent(dag, before.state, complete('Notify')).state.status).toBe('COMPLETED');
  });

  it('fails the process on a failed task and cancels every task that has not ended', () => {
    const t = run(complete('Open'), claim('Score'), { type: 'fail', task: 'Score', leaseToken: 'lease-Score', retryable: false });
    expect(t.state.status).toBe('FAILED');
    expect(t.scheduled).toEqual([]);
    expect(statuses(t.state)).toEqual({ Open: 'COMPLETED', Score: 'FAILED', Review: 'CANCELLED', Notify: 'CANCELLED' });
  });

  it('re-schedules a task whose lease expired, with the next attempt', () => {
    const t = run(claim('Open'), { type: 'expireLease', task: 'Open', leaseToken: 'lease-Open' });
    expect(t.scheduled).toEqual(['Open']);
    expect(t.state.tasks.get('Open')).toEqual({ status: 'SCHEDULED', attempt: 2 });
    expect(applyEvent(dag, t.state, claim('Open')).state.tasks.get('Open')).toEqual({ status: 'RUNNING', attempt: 2, leaseToken: 'lease-Open' });
    // The expired lease is fenced: its holder can no longer complete.
    expect(applyEvent(dag, applyEvent(dag, t.state, { type: 'claim', task: 'Open', leaseToken: 'second' }).state, completeClaimed('Open')).rejected).toMatch(/current lease/);
  });

  it('cancels the process and every task that has not ended', () => {
    const t = run(complete('Open'), { type: 'cancel' });
    expect(t.state.status).toBe('CANCELLED');
    expect(statuses(t.state)).toEqual({ Open: 'COMPLETED', Score: 'CANCELLED', Review: 'CANCELLED', Notify: 'CANCELLED' });
  });

  it('completes at once a process without tasks', () => {
    const empty = initialState(buildDag({ tasks: [] }));
    expect(empty.state.status).toBe('COMPLETED');
    expect(empty.scheduled).toEqual([]);
  });
});

describe('rejected events leave the state unchanged', () => {
  const cases: [string, ModelEvent[], ModelEvent, RegExp][] = [
    ['any event on a COMPLETED process', [complete('Open'), complete('Score'), complete('Review'), complete('Notify')], { type: 'cancel' }, /process is COMPLETED/],
    ['any event on a FAILED process', [{ type: 'fail', task: 'Open', retryable: false }], claim('Open'), /process is FAILED/],
    ['a stale lease token', [claim('Open')], complete('Open', 'stale'), /'complete' needs RUNNING and the current lease/],
    ['a manual completion of a claimed task', [claim('Open')], complete('Open'), /'completeManual' needs SCHEDULED/],
    ['any event on a CANCELLED process', [{ type: 'cancel' }], { type: 'cancel' }, /process is CANCELLED/],
    ['an event on a terminal task', [complete('Open')], complete('Open'), /task 'Open' is COMPLETED/],
    ['an unknown task', [], claim('Nope'), /unknown task 'Nope'/],
    ['claiming a PENDING task', [], claim('Score'), /task 'Score' is PENDING; 'claim' needs SCHEDULED/],
    ['claiming a RUNNING task', [claim('Open')], claim('Open'), /is RUNNING; 'claim' needs SCHEDULED/],
    ['completing a PENDING task', [], complete('Notify'), /is PENDING; 'completeManual' needs SCHEDULED/],
    ['failing a PENDING task', [], { type: 'fail', task: 'Notify' }, /is PENDING; 'retryManual' needs SCHEDULED/],
    ['a lease expiring on a SCHEDULED task', [], { type: 'expireLease', task: 'Open', leaseToken: 'x' }, /'expireLease' needs RUNNING/],
  ];

  it.each(cases)('rejects %s', (_, setup, event, reason) => {
    const before = run(...setup).state;
    const t = applyEvent(dag, before, event);
    expect(t.rejected).toMatch(reason);
    expect(t.state).toBe(before);
    expect(t.scheduled).toEqual([]);
  });
});
