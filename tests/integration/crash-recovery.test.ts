import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import type { AwsCallInterceptor } from '#adapters/aws-clients.ts';
import type { LocalResources } from '../../local/create-resources.ts';
import { TestClock, coreFixture, drainQueue, putYaml, runToEnd, testDeps, type Deps } from '../support/core-harness.ts';

/**
 * I3: no lost work. A crash after any AWS call of a use case (a state write
 * without its SQS send, a completion without its children, a process end
 * without its cancellations, ...) is finished by the sweeper. Each scenario
 * kills one call of one step at the k-th AWS call boundary, then lets workers
 * and the sweeper carry on, and checks the process still ends as it should.
 */
const DIAMOND = `
tasks:
  - name: A
  - name: B
    needs: [A]
  - name: C
    needs: [A]
  - name: D
    needs: [B, C]
`;

class InjectedCrash extends Error {}

/** Lets `crashAfter` calls through, then throws, and keeps throwing: the invocation is dead. */
function crashingInterceptor(crashAfter: number): AwsCallInterceptor & { calls: number } {
  const state = { calls: 0, dead: false };
  return {
    get calls() {
      return state.calls;
    },
    before() {
      if (state.dead || crashAfter === 0) {
        state.dead = true;
        throw new InjectedCrash('crash before the call');
      }
    },
    after() {
      state.calls += 1;
      if (state.calls >= crashAfter) {
        state.dead = true;
        throw new InjectedCrash(`crash after call ${state.calls}`);
      }
    },
  };
}

interface Run {
  processId: string;
  leases: Map<string, string>;
}

type Step = { name: string; run: (deps: Deps, run: Run) => Promise<void> };

const claim = (task: string): Step => ({
  name: `claim ${task}`,
  run: async (deps, run) => {
    run.leases.set(task, (await claimTask(deps, run.processId, task, 'w')).leaseToken);
  },
});
const complete = (task: string): Step => ({
  name: `complete ${task}`,
  run: (deps, run) => completeTask(deps, run.processId, task, { leaseToken: run.leases.get(task)!, output: task }),
});

/** The happy path, step by step, after `start`. */
const STEPS: Step[] = [claim('A'), complete('A'), claim('B'), complete('B'), claim('C'), complete('C'), claim('D'), complete('D')];
/** The steps whose every call boundary is crashed: a claim, a fan-out, a join, the process end. */
const CRASHED = ['start', 'claim A', 'complete A', 'complete C', 'complete D'];

let resources: LocalResources;
let clock: TestClock;
let deps: Deps;
let queueUrl: string;

beforeAll(async () => {
  ({ resources, clock, deps, queueUrl } = await coreFixture('crash'));
  await putYaml(deps, 'diamond', DIAMOND);
});

async function start(d: Deps): Promise<Run> {
  return { processId: (await startProcess(d, { definition: 'diamond', input: { n: 1 } })).process.id, leases: new Map() };
}

/** Counts the AWS calls each crashed step makes when nothing fails. */
async function callsPerStep(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const counting = (name: string) => {
    const i = crashingInterceptor(Number.MAX_SAFE_INTEGER);
    return { deps: testDeps(resources, clock, { interceptor: i }), done: () => counts.set(name, i.calls) };
  };
  const s = counting('start');
  const run = await start(s.deps);
  s.done();
  await drainQueue(queueUrl);
  for (const step of STEPS) {
    const c = counting(step.name);
    await step.run(c.deps, run);
    c.done();
  }
  return counts;
}

async function expectCompletedWithOutputs(processId: string): Promise<void> {
  const view = await getProcess(deps, processId);
  expect(view.status).toBe('COMPLETED');
  expect(view.tasks.map((t) => [t.name, t.status])).toEqual([
    ['A', 'COMPLETED'],
    ['B', 'COMPLETED'],
    ['C', 'COMPLETED'],
    ['D', 'COMPLETED'],
  ]);
}

describe('crash recovery (I3)', () => {
  it('finishes the work after a crash at every AWS call boundary of start, claim, fan-out, join and process end', async () => {
    const counts = await callsPerStep();
    let scenarios = 0;
    for (const crashed of CRASHED) {
      const calls = counts.get(crashed)!;
      expect(calls).toBeGreaterThan(0);
      for (let k = 0; k <= calls; k++) {
        scenarios += 1;
        const label = `${crashed}, crash after call ${k} of ${calls}`;
        const crashing = testDeps(resources, clock, { interceptor: crashingInterceptor(k) });
        let run: Run;
        if (crashed === 'start') {
          // The client retries a start whose answer it never got, with the same idempotency key.
          const key = `crash-${scenarios}`;
          await startProcess(crashing, { definition: 'diamond', idempotencyKey: key }).catch((e) => expect(e, label).toBeInstanceOf(InjectedCrash));
          run = { processId: (await startProcess(deps, { definition: 'diamond', idempotencyKey: key })).process.id, leases: new Map() };
        } else {
          run = await start(deps);
          await drainQueue(queueUrl);
          for (const step of STEPS) {
            if (step.name !== crashed) {
              await step.run(deps, run);
              continue;
            }
            await step.run(crashing, run).catch((e) => expect(e, label).toBeInstanceOf(InjectedCrash));
            // A worker whose complete call failed retries it with the same lease; a lost claim is just abandoned.
            if (step.name.startsWith('complete')) await step.run(deps, run);
            break;
          }
        }
        const completions = await runToEnd(deps, clock, queueUrl, run.processId);
        await expectCompletedWithOutputs(run.processId);
        // No task was worked on twice: each completion in the loop was a task not yet done.
        for (const [task, n] of completions) expect(n, `${label}: ${task}`).toBe(1);
      }
    }
    expect(scenarios).toBeGreaterThanOrEqual(25);
  }, 600_000);

  it('finishes a cancellation that crashed after any call: every unfinished task ends CANCELLED', async () => {
    for (let k = 0; k <= 6; k++) {
      const run = await start(deps);
      await drainQueue(queueUrl);
      await cancelProcess(testDeps(resources, clock, { interceptor: crashingInterceptor(k) }), run.processId).catch((e) =>
        expect(e).toBeInstanceOf(InjectedCrash),
      );
      clock.advance(3_600_000);
      await sweep(deps);
      const view = await getProcess(deps, run.processId);
      if (view.status === 'RUNNING') {
        // The crash came before the process changed: nothing was half-written; cancelling again works.
        await cancelProcess(deps, run.processId);
      }
      const after = await getProcess(deps, run.processId);
      expect(after.status, `crash after ${k}`).toBe('CANCELLED');
      expect(after.tasks.every((t) => t.status === 'CANCELLED'), `crash after ${k}`).toBe(true);
      expect(await deps.processes.get({ id: run.processId })).not.toHaveProperty('sweepAt');
    }
  }, 120_000);

  it('finishes a failure that crashed after any call: the process ends FAILED with the rest cancelled', async () => {
    for (let k = 0; k <= 6; k++) {
      const run = await start(deps);
      await drainQueue(queueUrl);
      const lease = (await claimTask(deps, run.processId, 'A', 'w')).leaseToken;
      await failTask(testDeps(resources, clock, { interceptor: crashingInterceptor(k) }), run.processId, 'A', {
        leaseToken: lease,
        error: { message: 'boom' },
      }).catch((e) => expect(e).toBeInstanceOf(InjectedCrash));
      // The worker retries its fail call once, as the client does; then the sweeper runs.
      await failTask(deps, run.processId, 'A', { leaseToken: lease, error: { message: 'boom' } });
      clock.advance(3_600_000);
      await sweep(deps);
      const view = await getProcess(deps, run.processId);
      expect(view.status, `crash after ${k}`).toBe('FAILED');
      expect(view.tasks.map((t) => t.status)).toEqual(['FAILED', 'CANCELLED', 'CANCELLED', 'CANCELLED']);
    }
  }, 120_000);
});
