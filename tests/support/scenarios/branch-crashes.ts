import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { InjectedCrash, putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';
import { expectOwesNothing } from '../owes-nothing.ts';

/**
 * I3 for branches (issue 17): a crash after any call of the step that takes
 * the skip path (a condition false, its single-need child skipped in
 * cascade, the join counting a skipped parent; then a join skipped by its
 * rule, and the process ended from a skipped sink) is finished by the
 * sweeper. Every task runs once, the skipped ones never, and the process
 * ends as if nothing had crashed. Each crash point is bounded by the calls
 * the step makes, counted first in a run that does not crash.
 */

/** A's output is `{ by: 'A' }` (as `runToEnd` completes): B's condition is false, C's true. */
const definition = (join: string) => `
tasks:
  - name: A
  - name: B
    needs: [A]
    when: "upstream.A.by == 'nobody'"
  - name: B2
    needs: [B]
  - name: C
    needs: [A]
    when: "upstream.A.by == 'A'"
  - name: D
    needs: [B2, C]
    join: ${join}
`;

/** What each join rule leaves: allSettled runs D (C completed), allCompleted skips it (B2 was skipped). */
const EXPECTED = {
  allSettled: { D: 'COMPLETED', ran: ['A', 'C', 'D'] },
  allCompleted: { D: 'SKIPPED:UpstreamSkipped', ran: ['A', 'C'] },
} as const;

type Step = 'complete A' | 'complete C';

export function branchCrashScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    for (const join of Object.keys(EXPECTED)) await putYaml(deps, `branches-${join}`, definition(join));
  });

  /** Starts a process and runs it up to `step`: answers its id and the step, to run on the deps given. */
  async function upTo(join: string, step: Step): Promise<{ id: string; run: (d: Deps) => Promise<void> }> {
    const { process } = await startProcess(deps, { definition: `branches-${join}`, input: {} });
    const id = process.id;
    await engine.drain();
    const claimA = await claimTask(deps, id, 'A', 'w');
    const completeA = (d: Deps) => completeTask(d, id, 'A', { leaseToken: claimA.leaseToken, output: { by: 'A' } });
    if (step === 'complete A') return { id, run: completeA };
    await completeA(deps);
    await engine.drain();
    const claimC = await claimTask(deps, id, 'C', 'w');
    return { id, run: (d) => completeTask(d, id, 'C', { leaseToken: claimC.leaseToken, output: { by: 'C' } }) };
  }

  describe('crash recovery of the skip path (I3, branches)', () => {
    for (const [join, expected] of Object.entries(EXPECTED)) {
      it(`${join}: after a crash at every call boundary of a completion that skips a branch, the process ends as without one`, async () => {
        let scenarios = 0;
        for (const step of ['complete A', 'complete C'] as const) {
          const counted = await upTo(join, step);
          const counting = engine.countingDeps();
          await counted.run(counting.deps);
          const calls = counting.calls();
          expect(calls, step).toBeGreaterThan(0);
          for (let k = 0; k < calls; k++) {
            scenarios += 1;
            const label = `${engine.name}: ${join}, ${step}, crash after call ${k} of ${calls}`;
            const crashing = engine.crashingDeps(k);
            const { id, run } = await upTo(join, step);
            await expect(run(crashing), label).rejects.toBeInstanceOf(InjectedCrash);
            // A worker whose complete call failed retries it with the same lease.
            await run(deps);
            const completions = await runToEnd(engine, id);
            const view = await getProcess(deps, id);
            expect(view.status, label).toBe('COMPLETED');
            const statuses = Object.fromEntries(view.tasks.map((t) => [t.name, t.skipReason ? `${t.status}:${t.skipReason}` : t.status]));
            expect(statuses, label).toEqual({ A: 'COMPLETED', B: 'SKIPPED:ConditionFalse', B2: 'SKIPPED:UpstreamSkipped', C: 'COMPLETED', D: expected.D });
            // Nothing ran twice, and a skipped task never ran: the loop completed only what was left to run.
            for (const [task, n] of completions) {
              expect(n, `${label}: ${task}`).toBe(1);
              expect(expected.ran as readonly string[], `${label}: ${task}`).toContain(task);
            }
            // Once the sweeper has passed, nothing is owed: its visit of any entry of the process left on the log changes nothing.
            engine.clock.advance(3_600_000);
            await sweep(deps);
            await expectOwesNothing(engine, deps, id, label);
          }
        }
        expect(scenarios).toBeGreaterThanOrEqual(10);
      }, 600_000);
    }
  });
}
