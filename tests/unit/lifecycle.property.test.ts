import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDag, type Dag } from '#domain/dag.ts';
import { validateDefinition } from '#domain/definition.ts';
import { isActiveTask, isTerminalProcess, isTerminalTask, TASK_TRANSITIONS } from '#domain/lifecycle.ts';
import { applyEvent, initialState, settledFor, statusOf, type ModelEvent, type ModelPolicy, type ModelState, type Transition } from '#domain/process-model.ts';
import { definitionArb, OPTIONS } from './dag-arbitraries.ts';

/**
 * The lifecycle table under random events: random DAGs, random event orders,
 * duplicate events, stale lease tokens and events for unknown tasks. The
 * model checks every event with the same guards the stores write.
 */
const RUNS = { numRuns: 150 };

const dagArb = definitionArb(15).map(({ doc }) => buildDag(validateDefinition(doc, OPTIONS)));

const eventKindArb = fc.oneof(
  { arbitrary: fc.constant('claim' as const), weight: 4 },
  { arbitrary: fc.constant('complete' as const), weight: 4 },
  { arbitrary: fc.constant('expireLease' as const), weight: 2 },
  { arbitrary: fc.constant('fail' as const), weight: 1 },
  { arbitrary: fc.constant('cancel' as const), weight: 1 },
);
/** Which lease an event carries: the current one, a stale one, or none (a manual end). */
const tokenArb = fc.constantFrom('current', 'stale', 'none');
const eventsArb = fc.array(fc.record({ kind: eventKindArb, pick: fc.nat(), token: tokenArb, unknown: fc.boolean(), twice: fc.boolean() }), { maxLength: 80 });

interface Drawn {
  kind: ModelEvent['type'];
  pick: number;
  token: 'current' | 'stale' | 'none';
  unknown: boolean;
}

function toEvent(dag: Dag, state: ModelState, d: Drawn, claims: number): ModelEvent {
  if (d.kind === 'cancel') return { type: 'cancel' };
  const task = d.unknown && d.pick % 7 === 0 ? 'no such task' : (dag.order[d.pick % dag.order.length] ?? '');
  if (d.kind === 'claim') return { type: 'claim', task, leaseToken: `lease-${claims}` };
  const current = state.tasks.get(task)?.leaseToken;
  const leaseToken = d.token === 'current' ? current : d.token === 'stale' ? 'stale-token' : undefined;
  if (d.kind === 'expireLease') return { type: 'expireLease', task, leaseToken: leaseToken ?? 'none' };
  return { type: d.kind, task, ...(leaseToken === undefined ? {} : { leaseToken }) };
}

/** Records every (task, attempt) that gets scheduled and fails on a repeat. */
function scheduleLog() {
  const seen = new Set<string>();
  const firsts = new Map<string, number>();
  return {
    record(t: Transition): void {
      for (const task of t.scheduled) {
        const key = `${task}#${t.state.tasks.get(task)?.attempt}`;
        assert.ok(!seen.has(key), `${key} scheduled twice`);
        assert.equal(t.state.tasks.get(task)?.status, 'SCHEDULED');
        seen.add(key);
        if (key.endsWith('#1')) firsts.set(task, (firsts.get(task) ?? 0) + 1);
      }
    },
    timesAtFirstAttempt: (task: string) => firsts.get(task) ?? 0,
  };
}

/** Invariants of every reachable state. Plain asserts: this runs for every event of every run. */
function checkInvariants(dag: Dag, state: ModelState, timedOut = false): void {
  const statuses = dag.order.map((n) => statusOf(state, n));
  const optional = state.policy.optional ?? new Set<string>();
  const allSettled = dag.order.every((n) => settledFor(state, n));
  assert.equal(state.status === 'COMPLETED', allSettled, 'COMPLETED iff every task completed (or failed, being optional)');
  if (isTerminalProcess(state.status)) assert.ok(!statuses.some((s) => isActiveTask(s) || s === 'PENDING'), 'live task in an ended process');
  const hardFailures = dag.order.filter((n) => statusOf(state, n) === 'FAILED' && !optional.has(n)).length;
  if (state.policy.onFailure === 'failFast' && !timedOut) assert.equal(hardFailures, state.status === 'FAILED' ? 1 : 0, 'one failed task iff the process FAILED');
  if (state.status === 'RUNNING' && state.policy.onFailure === 'failFast') assert.equal(hardFailures, 0, 'a failed task under failFast left the process running');
  // skipDownstream ends a process only once no task can run any more: every other branch ran to its end, nothing was cut off.
  if (state.policy.onFailure === 'skipDownstream' && !timedOut && state.status !== 'CANCELLED') {
    assert.ok(!statuses.includes('CANCELLED'), 'a task cancelled under skipDownstream');
    if (state.status === 'RUNNING') assert.ok(statuses.some((s) => !isTerminalTask(s)), 'a RUNNING process where no task can run');
  }
  for (const name of dag.order) {
    const status = statusOf(state, name);
    const needs = dag.tasks.get(name)?.needs ?? [];
    const settled = needs.filter((n) => settledFor(state, n)).length;
    // A task only ever leaves PENDING once all of its needs have settled; a join's counter is exact.
    if (status !== 'PENDING' && status !== 'CANCELLED' && status !== 'SKIPPED') assert.equal(settled, needs.length, `${name} is ${status} with unsettled needs`);
    if (status === 'SKIPPED') assert.ok(needs.some((n) => statusOf(state, n) === 'SKIPPED' || (statusOf(state, n) === 'FAILED' && !optional.has(n))), `${name} skipped without a failed need`);
    if (needs.length > 1 && status === 'PENDING' && state.status === 'RUNNING') assert.equal(state.tasks.get(name)?.settled ?? 0, settled, `settled count of ${name}`);
  }
}

describe('the lifecycle table under random events', () => {
  it('leaves no terminal status, schedules each task once per attempt, and keeps its invariants, whatever arrives', () => {
    fc.assert(
      fc.property(dagArb, eventsArb, (dag, draws) => {
        const log = scheduleLog();
        let t = initialState(dag);
        log.record(t);
        checkInvariants(dag, t.state);
        let claims = 0;
        for (const d of draws) {
          const event = toEvent(dag, t.state, d, claims++);
          for (let copy = 0; copy < (d.twice ? 2 : 1); copy++) {
            const before = t.state;
            t = applyEvent(dag, before, event);
            if (isTerminalProcess(before.status)) assert.ok(t.rejected !== undefined, 'event on an ended process accepted');
            if (t.rejected !== undefined) {
              assert.equal(t.state, before, 'a rejected event changed the state');
              assert.deepEqual(t.scheduled, []);
            }
            // No terminal task status is ever left: reopen is the only row out of one, and no event here is a reopen.
            for (const name of dag.order) {
              const was = statusOf(before, name);
              if (isTerminalTask(was)) assert.equal(statusOf(t.state, name), was, `${name} left ${was}`);
            }
            log.record(t);
            checkInvariants(dag, t.state);
          }
        }
        for (const name of dag.order) expect(log.timesAtFirstAttempt(name)).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it('ends COMPLETED in any completion order, each join firing exactly once', () => {
    fc.assert(
      fc.property(dagArb, fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (dag, choices) => {
        const log = scheduleLog();
        // Enough attempts that no expiry fails a task: this run is about completion orders.
        let t = initialState(dag, { onFailure: 'failFast', maxAttempts: () => 100 });
        log.record(t);
        let expiries = 0;
        for (let step = 0; !isTerminalProcess(t.state.status); step++) {
          assert.ok(step < 10 * dag.order.length + 20, 'the run does not end');
          const active = dag.order.filter((name) => isActiveTask(statusOf(t.state, name)));
          assert.ok(active.length > 0, 'a RUNNING process with nothing to do');
          const choice = choices[step % choices.length] ?? 0;
          const task = active[choice % active.length] ?? '';
          const item = t.state.tasks.get(task);
          let event: ModelEvent;
          if (item?.status === 'SCHEDULED') {
            // Even choices claim; odd ones complete the unclaimed task by hand.
            event = choice % 2 === 0 ? { type: 'claim', task, leaseToken: `l${step}` } : { type: 'complete', task };
          } else if (choice % 3 === 0 && expiries < 5) {
            expiries++;
            event = { type: 'expireLease', task, leaseToken: item?.leaseToken ?? '' };
          } else {
            event = { type: 'complete', task, leaseToken: item?.leaseToken ?? '' };
          }
          t = applyEvent(dag, t.state, event);
          assert.equal(t.rejected, undefined);
          log.record(t);
          checkInvariants(dag, t.state);
        }
        expect(t.state.status).toBe('COMPLETED');
        for (const name of dag.order) expect(log.timesAtFirstAttempt(name)).toBe(1);
      }),
      RUNS,
    );
  });

  it('ends every process, runs nothing after its end and schedules each attempt once: random DAGs × failure patterns × each policy', () => {
    const policyArb = fc.record({
      onFailure: fc.constantFrom('failFast' as const, 'skipDownstream' as const),
      optionalBits: fc.nat(),
      attemptsBits: fc.nat(),
    });
    /** What happens to each attempt: completes, fails (retryable or not), or its lease runs out; sometimes the process times out. */
    const outcomeArb = fc.array(fc.record({ pick: fc.nat(), outcome: fc.constantFrom('complete', 'complete', 'fail', 'failFinal', 'expire', 'manual'), timeout: fc.nat(100) }), {
      minLength: 1,
      maxLength: 60,
    });
    fc.assert(
      fc.property(dagArb, policyArb, outcomeArb, (dag, p, outcomes) => {
        const optional = new Set(dag.order.filter((_, i) => (p.optionalBits >> i) % 4 === 0));
        const policy: ModelPolicy = { onFailure: p.onFailure, optional, maxAttempts: (task) => 1 + ((p.attemptsBits >> (dag.order.indexOf(task) % 16)) % 3) };
        const log = scheduleLog();
        let t = initialState(dag, policy);
        log.record(t);
        let timedOut = false;
        const bound = 10 * dag.order.length + 20;
        for (let step = 0; !isTerminalProcess(t.state.status); step++) {
          assert.ok(step < bound, 'the process does not end');
          const draw = outcomes[step % outcomes.length]!;
          const active = dag.order.filter((name) => isActiveTask(statusOf(t.state, name)));
          assert.ok(active.length > 0, 'a RUNNING process with nothing to do');
          const task = active[draw.pick % active.length]!;
          const item = t.state.tasks.get(task)!;
          let event: ModelEvent;
          if (draw.timeout === 0) {
            event = { type: 'timeout' };
            timedOut = true;
          } else if (item.status === 'SCHEDULED') {
            event = draw.outcome === 'manual' ? { type: 'complete', task } : { type: 'claim', task, leaseToken: `l${step}` };
          } else if (draw.outcome === 'fail' || draw.outcome === 'failFinal') {
            event = { type: 'fail', task, leaseToken: item.leaseToken!, ...(draw.outcome === 'failFinal' ? { retryable: false } : {}) };
          } else if (draw.outcome === 'expire') {
            event = { type: 'expireLease', task, leaseToken: item.leaseToken! };
          } else {
            event = { type: 'complete', task, leaseToken: item.leaseToken! };
          }
          const before = t.state;
          t = applyEvent(dag, before, event);
          assert.equal(t.rejected, undefined, `${JSON.stringify(event)} rejected: ${t.rejected}`);
          log.record(t);
          checkInvariants(dag, t.state, timedOut);
        }
        // Nothing runs after the end: every claim, completion and failure is refused.
        for (const task of dag.order) {
          for (const event of [{ type: 'claim', task, leaseToken: 'late' }, { type: 'complete', task }, { type: 'fail', task }] as ModelEvent[]) {
            expect(applyEvent(dag, t.state, event).rejected).toBeDefined();
          }
        }
        const hardFailed = dag.order.filter((n) => statusOf(t.state, n) === 'FAILED' && !optional.has(n));
        if (t.state.status === 'COMPLETED') expect(hardFailed).toEqual([]);
        if (p.onFailure === 'skipDownstream' && !timedOut) {
          // Every other branch ran to its end: nothing is cancelled, and every task that does not depend on a failed one completed.
          expect(dag.order.filter((x) => statusOf(t.state, x) === 'CANCELLED')).toEqual([]);
          const cut = new Set(dag.order.filter((x) => statusOf(t.state, x) === 'SKIPPED' || hardFailed.includes(x)));
          for (const n of dag.order.filter((x) => !cut.has(x))) expect(settledFor(t.state, n), `${n} ran to its end`).toBe(true);
          expect(t.state.status).toBe(hardFailed.length > 0 ? 'FAILED' : 'COMPLETED');
        }
      }),
      RUNS,
    );
  });

  it('lists, for every row, statuses it may start from and a target that is a status', () => {
    for (const [event, row] of Object.entries(TASK_TRANSITIONS)) {
      expect(row.from.length, event).toBeGreaterThan(0);
      expect(typeof row.to, event).toBe('string');
    }
    // Only a new run leaves a terminal status: reopen (a rerun's reset), and a map child scheduled again in a rerun.
    // Both are guarded by runBefore, so within one run an ended task stays ended.
    const leaving = Object.entries(TASK_TRANSITIONS).filter(([, r]) => r.to !== 'same' && r.from.some((s) => s !== 'absent' && isTerminalTask(s)));
    expect(leaving.map(([e]) => e)).toEqual(['scheduleChild', 'reopen']);
    for (const [event, row] of leaving) expect(row.guards, event).toContain('runBefore');
  });
});
