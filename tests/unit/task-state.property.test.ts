import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDag, type Dag } from '#domain/dag.ts';
import { validateDefinition } from '#domain/definition.ts';
import { applyEvent, initialState, isActiveTask, isTerminalProcess, type ModelEvent, type ModelState, type Transition } from '#domain/task-state.ts';
import { definitionArb, OPTIONS } from './dag-arbitraries.ts';

const RUNS = { numRuns: 150 };

const dagArb = definitionArb(15).map(({ doc }) => buildDag(validateDefinition(doc, OPTIONS)));

const eventKindArb = fc.oneof(
  { arbitrary: fc.constant('claim' as const), weight: 4 },
  { arbitrary: fc.constant('complete' as const), weight: 4 },
  { arbitrary: fc.constant('leaseExpired' as const), weight: 2 },
  { arbitrary: fc.constant('fail' as const), weight: 1 },
  { arbitrary: fc.constant('cancel' as const), weight: 1 },
);
const eventsArb = fc.array(fc.record({ kind: eventKindArb, pick: fc.nat() }), { maxLength: 80 });

function toEvent(dag: Dag, kind: ModelEvent['type'], pick: number): ModelEvent {
  const task = dag.order[pick % dag.order.length] ?? '';
  return kind === 'cancel' ? { type: 'cancel' } : { type: kind, task };
}

/** Records every (task, attempt) that gets scheduled and fails on a repeat. */
function scheduleLog() {
  const seen = new Map<string, number>();
  return {
    record(t: Transition): void {
      for (const task of t.scheduled) {
        const attempt = t.state.tasks.get(task)?.attempt;
        const key = `${task}#${attempt}`;
        assert.ok(!seen.has(key), `${key} scheduled twice`);
        assert.equal(t.state.tasks.get(task)?.status, 'SCHEDULED');
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    },
    timesAtFirstAttempt: (task: string) => seen.get(`${task}#1`) ?? 0,
  };
}

/** Invariants of every reachable state. Plain asserts: this runs for every event of every run. */
function checkInvariants(dag: Dag, state: ModelState): void {
  const tasks = [...state.tasks.values()];
  assert.equal(state.status === 'COMPLETED', tasks.every((t) => t.status === 'COMPLETED'), 'COMPLETED iff every task is');
  if (isTerminalProcess(state.status)) assert.ok(!tasks.some((t) => isActiveTask(t.status) || t.status === 'PENDING'), 'live task in an ended process');
  assert.equal(tasks.filter((t) => t.status === 'FAILED').length, state.status === 'FAILED' ? 1 : 0, 'one FAILED task iff the process FAILED');
  for (const [name, task] of state.tasks) {
    const remaining = state.remaining.get(name);
    const unmet = (dag.tasks.get(name)?.needs ?? []).filter((n) => state.tasks.get(n)?.status !== 'COMPLETED').length;
    if (state.status === 'RUNNING') assert.equal(remaining, unmet, `remaining of ${name}`);
    // A task only ever leaves PENDING once all of its needs are COMPLETED.
    if (task.status !== 'PENDING' && task.status !== 'CANCELLED') assert.equal(unmet, 0, `${name} is ${task.status} with unmet needs`);
    if (task.status === 'PENDING') assert.ok((remaining ?? 0) > 0, `${name} is PENDING with nothing left to wait for`);
  }
}

describe('the process model under random events', () => {
  it('never changes a terminal process, schedules each task at most once per attempt, and keeps its invariants', () => {
    fc.assert(
      fc.property(dagArb, eventsArb, (dag, events) => {
        const log = scheduleLog();
        let t = initialState(dag);
        log.record(t);
        checkInvariants(dag, t.state);
        for (const { kind, pick } of events) {
          const before = t.state;
          t = applyEvent(dag, before, toEvent(dag, kind, pick));
          if (isTerminalProcess(before.status)) assert.ok(t.rejected !== undefined, 'event on an ended process accepted');
          if (t.rejected !== undefined) {
            assert.equal(t.state, before, 'a rejected event changed the state');
            assert.deepEqual(t.scheduled, []);
          }
          log.record(t);
          checkInvariants(dag, t.state);
        }
        // A join (or any task) fires at most once for its first attempt.
        for (const name of dag.order) expect(log.timesAtFirstAttempt(name)).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it('completes every task, each join firing exactly once, however the scheduled tasks are driven', () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (dag, choices) => {
        const log = scheduleLog();
        let t = initialState(dag);
        log.record(t);
        let expiries = 0;
        for (let step = 0; !isTerminalProcess(t.state.status); step++) {
          assert.ok(step < 10 * dag.order.length + 20, 'the run does not end');
          const active = dag.order.filter((name) => isActiveTask(t.state.tasks.get(name)?.status ?? 'PENDING'));
          assert.ok(active.length > 0, 'a RUNNING process with nothing to do');
          const choice = choices[step % choices.length] ?? 0;
          const task = active[choice % active.length] ?? '';
          const status = t.state.tasks.get(task)?.status;
          // Bounded lease expiries keep the run finite; odd choices complete a SCHEDULED task without a claim.
          const type: ModelEvent['type'] =
            status === 'SCHEDULED' ? (choice % 2 === 0 ? 'claim' : 'complete') : choice % 3 === 0 && expiries < 5 ? 'leaseExpired' : 'complete';
          if (type === 'leaseExpired') expiries++;
          t = applyEvent(dag, t.state, { type, task } as ModelEvent);
          assert.equal(t.rejected, undefined);
          log.record(t);
          checkInvariants(dag, t.state);
        }
        expect(t.state.status).toBe('COMPLETED');
        expect([...t.state.tasks.values()].every((task) => task.status === 'COMPLETED')).toBe(true);
        for (const name of dag.order) expect(log.timesAtFirstAttempt(name)).toBe(1);
      }),
      RUNS,
    );
  });
});
