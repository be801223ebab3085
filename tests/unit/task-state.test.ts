import { describe, expect, it } from 'vitest';
import { buildDag } from '#domain/dag.ts';
import type { DefinitionSpec } from '#domain/definition.ts';
import {
  ACTIVE_TASK_STATUSES,
  applyEvent,
  initialState,
  isTerminalProcess,
  isTerminalTask,
  progressOf,
  TERMINAL_TASK_STATUSES,
  type ModelEvent,
  type ModelState,
  type TaskStatus,
  type Transition,
} from '#domain/task-state.ts';

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

const statuses = (state: ModelState): Record<string, TaskStatus> => Object.fromEntries([...state.tasks].map(([name, t]) => [name, t.status]));
const claim = (task: string): ModelEvent => ({ type: 'claim', task });
const complete = (task: string): ModelEvent => ({ type: 'complete', task });

describe('statuses', () => {
  it('classifies terminal and active task statuses', () => {
    expect(TERMINAL_TASK_STATUSES).toEqual(['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED']);
    expect(ACTIVE_TASK_STATUSES).toEqual(['SCHEDULED', 'RUNNING']);
    expect((['PENDING', 'SCHEDULED', 'RUNNING'] as const).map(isTerminalTask)).toEqual([false, false, false]);
    expect((['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const).map(isTerminalTask)).toEqual([true, true, true, true]);
  });

  it('classifies terminal process statuses', () => {
    expect((['RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'] as const).map(isTerminalProcess)).toEqual([false, true, true, true]);
  });

  it('computes progress in whole percent, rounded down, and 0 for no tasks', () => {
    expect(progressOf(3, 2)).toEqual({ total: 3, completed: 2, percent: 66 });
    expect(progressOf(3, 3)).toEqual({ total: 3, completed: 3, percent: 100 });
    expect(progressOf(200, 1)).toEqual({ total: 200, completed: 1, percent: 0 });
    expect(progressOf(0, 0)).toEqual({ total: 0, completed: 0, percent: 0 });
  });
});

describe('the process model', () => {
  it('starts with the roots SCHEDULED and everything else PENDING at attempt 1', () => {
    const { state, scheduled } = initialState(dag);
    expect(scheduled).toEqual(['Open']);
    expect(state.status).toBe('RUNNING');
    expect(statuses(state)).toEqual({ Open: 'SCHEDULED', Score: 'PENDING', Review: 'PENDING', Notify: 'PENDING' });
    expect([...state.tasks.values()].every((t) => t.attempt === 1)).toBe(true);
    expect(Object.fromEntries(state.remaining)).toEqual({ Open: 0, Score: 1, Review: 1, Notify: 2 });
  });

  it('claims a SCHEDULED task and schedules its children when it completes', () => {
    expect(statuses(run(claim('Open')).state).Open).toBe('RUNNING');
    const t = run(claim('Open'), complete('Open'));
    expect(t.scheduled).toEqual(['Score', 'Review']);
    expect(statuses(t.state)).toMatchObject({ Open: 'COMPLETED', Score: 'SCHEDULED', Review: 'SCHEDULED' });
  });

  it('completes a SCHEDULED task without a claim', () => {
    expect(run(complete('Open')).scheduled).toEqual(['Score', 'Review']);
  });

  it('fires a join exactly once, when its last need completes', () => {
    const first = run(complete('Open'), complete('Score'));
    expect(first.scheduled).toEqual([]);
    expect(first.state.remaining.get('Notify')).toBe(1);
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
    const t = run(complete('Open'), claim('Score'), { type: 'fail', task: 'Score' });
    expect(t.state.status).toBe('FAILED');
    expect(t.scheduled).toEqual([]);
    expect(statuses(t.state)).toEqual({ Open: 'COMPLETED', Score: 'FAILED', Review: 'CANCELLED', Notify: 'CANCELLED' });
  });

  it('re-schedules a task whose lease expired, with the next attempt', () => {
    const t = run(claim('Open'), { type: 'leaseExpired', task: 'Open' });
    expect(t.scheduled).toEqual(['Open']);
    expect(t.state.tasks.get('Open')).toEqual({ status: 'SCHEDULED', attempt: 2 });
    expect(applyEvent(dag, t.state, claim('Open')).state.tasks.get('Open')).toEqual({ status: 'RUNNING', attempt: 2 });
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
    ['any event on a FAILED process', [{ type: 'fail', task: 'Open' }], claim('Open'), /process is FAILED/],
    ['any event on a CANCELLED process', [{ type: 'cancel' }], { type: 'cancel' }, /process is CANCELLED/],
    ['an event on a terminal task', [complete('Open')], complete('Open'), /task 'Open' is COMPLETED/],
    ['an unknown task', [], claim('Nope'), /unknown task 'Nope'/],
    ['claiming a PENDING task', [], claim('Score'), /task 'Score' is PENDING; only a SCHEDULED task can be claimed/],
    ['claiming a RUNNING task', [claim('Open')], claim('Open'), /is RUNNING; only a SCHEDULED task can be claimed/],
    ['completing a PENDING task', [], complete('Notify'), /is PENDING; only an active task can complete/],
    ['failing a PENDING task', [], { type: 'fail', task: 'Notify' }, /is PENDING; only an active task can fail/],
    ['a lease expiring on a SCHEDULED task', [], { type: 'leaseExpired', task: 'Open' }, /only a RUNNING task holds a lease/],
  ];

  it.each(cases)('rejects %s', (_, setup, event, reason) => {
    const before = run(...setup).state;
    const t = applyEvent(dag, before, event);
    expect(t.rejected).toMatch(reason);
    expect(t.state).toBe(before);
    expect(t.scheduled).toEqual([]);
  });
});
