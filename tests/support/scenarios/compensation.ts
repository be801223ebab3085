import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { putDefinition } from '#app/definitions.ts';
import { cancelProcess, endProcess, finishCleanup, taskFailedError } from '#app/end-process.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { getProcess } from '#app/process-views.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import { instant } from '#app/timestamps.ts';
import { InvalidDefinitionError } from '#domain/errors.ts';
import { InjectedCrash, putYaml, runToEnd, type Deps, type Engine } from '../engines.ts';

/**
 * Compensation (issue 8, part 5): a process that ends in one of its
 * definition's `compensation.on` statuses starts one process of the
 * compensation definition, exactly once per run, linked both ways.
 */
const CHAIN = (compensation: string) => `
compensation: ${compensation}
defaults:
  retry: { maxAttempts: 1 }
tasks:
  - name: A
  - name: B
    needs: [A]
  - name: C
    needs: [B]
`;

export function compensationScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;
  let deps: Deps;

  beforeAll(async () => {
    engine = await makeEngine();
    deps = engine.deps;
    await putYaml(deps, 'undo', 'tasks:\n  - name: Undo\n');
    await putYaml(deps, 'undo-crash', 'tasks:\n  - name: Undo\n');
    await putYaml(deps, 'undo-twice', 'tasks:\n  - name: Undo\n');
    await putYaml(deps, 'undo-strict', 'inputSchema: { type: object, required: [never] }\ntasks:\n  - name: Undo\n');
    await putYaml(deps, 'comp-chain', CHAIN('{ definition: undo }'));
    await putYaml(deps, 'comp-crash', CHAIN('{ definition: undo-crash }'));
    await putYaml(deps, 'comp-twice', CHAIN('{ definition: undo-twice, on: [FAILED, CANCELLED] }'));
    await putYaml(deps, 'comp-cancel', CHAIN('{ definition: undo, on: [CANCELLED] }'));
    await putYaml(deps, 'comp-strict', CHAIN('{ definition: undo-strict }'));
  });

  const start = async (definition: string, input: unknown = { order: 7 }) => (await startProcess(deps, { definition, input })).process.id;
  /** A completes with `{a: 1}`, then B's claim: the process is ready for B to fail. */
  async function upToB(id: string, d: Deps = deps): Promise<string> {
    const a = await claimTask(d, id, 'A', 'w');
    await completeTask(d, id, 'A', { leaseToken: a.leaseToken, output: { a: 1 } });
    return (await claimTask(d, id, 'B', 'w')).leaseToken;
  }
  const failB = (d: Deps, id: string, leaseToken: string) => failTask(d, id, 'B', { leaseToken, error: { message: 'boom', retryable: false } });
  /** Every process of a compensation definition that compensates `id`. */
  async function compensationsOf(definition: string, id: string): Promise<string[]> {
    const page = await deps.processes.list({ definition, limit: 1000 });
    const items = await Promise.all(page.items.map((p) => deps.processes.get({ id: p.id })));
    return items.filter((p) => p?.compensates === id).map((p) => p!.id);
  }

  describe('compensation', () => {
    it('starts a process of the compensation definition with the ended process and the completed outputs, linked both ways; it runs to COMPLETED', async () => {
      const id = await start('comp-chain');
      await failB(deps, id, await upToB(id));
      const failed = await getProcess(deps, id);
      expect(failed).toMatchObject({ status: 'FAILED', compensatedBy: expect.any(String) });
      const compensation = await getProcess(deps, failed.compensatedBy!);
      expect(compensation).toMatchObject({ definition: 'undo', version: 1, status: 'RUNNING', compensates: id });
      expect(compensation.input).toEqual({
        process: { id, definition: 'comp-chain', version: 1, input: { order: 7 }, error: { code: 'TaskFailed', task: 'B', message: "task 'B' failed: boom" } },
        completed: { A: { a: 1 } },
      });
      expect(await compensationsOf('undo', id)).toEqual([compensation.id]);
      await runToEnd(engine, compensation.id);
      expect(await getProcess(deps, compensation.id)).toMatchObject({ status: 'COMPLETED', compensates: id });
      expect(await deps.processes.get({ id }), 'the ended process left the sweep index').not.toHaveProperty('sweepAt');
    });

    it('starts on CANCELLED only when `on` lists it: the default (FAILED) starts nothing for a cancelled process', async () => {
      const listed = await start('comp-cancel');
      await cancelProcess(deps, listed, 'stop');
      const cancelled = await getProcess(deps, listed);
      expect(cancelled.compensatedBy).toBeDefined();
      expect(await getProcess(deps, cancelled.compensatedBy!)).toMatchObject({
        compensates: listed,
        input: { process: { id: listed, definition: 'comp-cancel', error: { code: 'Cancelled', message: 'stop' } }, completed: {} },
      });
      const byDefault = await start('comp-chain');
      await cancelProcess(deps, byDefault);
      expect(await getProcess(deps, byDefault)).not.toHaveProperty('compensatedBy');
      expect(await compensationsOf('undo', byDefault)).toEqual([]);
      // And a process with `on: [CANCELLED]` that fails starts nothing.
      const failing = await start('comp-cancel');
      await failB(deps, failing, await upToB(failing));
      expect(await getProcess(deps, failing)).toMatchObject({ status: 'FAILED' });
      expect(await getProcess(deps, failing)).not.toHaveProperty('compensatedBy');
    });

    it('starts exactly once when the failure follow-up crashes at every call boundary, the sweeper finishing', async () => {
      // The calls of the failing fail call, counted on a run that does not crash.
      const counted = await start('comp-crash');
      const countedLease = await upToB(counted);
      const c = engine.countingDeps();
      await failB(c.deps, counted, countedLease);
      const calls = c.calls();
      expect(calls).toBeGreaterThan(0);
      let crashes = 0;
      for (const workerRetries of [true, false]) {
        for (let k = 0; k <= calls; k++) {
          const label = `${engine.name}: fail B, crash after call ${k} of ${calls}, ${workerRetries ? 'the worker retries its call' : 'the worker is gone'}`;
          const id = await start('comp-crash');
          const lease = await upToB(id);
          await expect(failB(engine.crashingDeps(k), id, lease), label).rejects.toBeInstanceOf(InjectedCrash);
          crashes += 1;
          if (workerRetries) await failB(deps, id, lease);
          // The sweeper until the ended process owes nothing (a dead lease fails B, as its one attempt), then twice more.
          for (let round = 0; round < 10; round++) {
            engine.clock.advance(3_600_000);
            await sweep(deps);
            const process = await deps.processes.get({ id });
            if (process?.status === 'FAILED' && process.sweepAt === undefined) break;
          }
          await sweep(deps);
          const ended = await deps.processes.get({ id });
          expect(ended, label).toMatchObject({ status: 'FAILED' });
          expect(ended, label).not.toHaveProperty('sweepAt');
          const started = await compensationsOf('undo-crash', id);
          expect(started, label).toHaveLength(1);
          expect(ended?.compensatedBy, label).toBe(started[0]);
          expect((await deps.processes.get({ id: started[0]! }))?.status, label).toBe('RUNNING');
        }
      }
      expect(crashes).toBe(2 * (calls + 1));
    }, 600_000);

    it('starts once when the ending is recorded twice and the cleanup runs twice, at once and again later', async () => {
      const id = await start('comp-twice');
      await upToB(id);
      const running = (await deps.processes.get({ id }))!;
      const ended = await deps.processes.end({ current: running, event: 'fail', at: instant(deps), owesCleanup: true, error: taskFailedError('B', 'boom') });
      if (!ended.ok) throw new Error('the ending was not written');
      // A second ending (fail or cancel) finds the process ended and does nothing; two cleanups race; the sweeper comes too.
      await Promise.all([
        finishCleanup(deps, ended.item),
        finishCleanup(engine.invocation(), ended.item),
        endProcess(deps, id, 'fail'),
        cancelProcess(deps, id).catch(() => undefined),
      ]);
      await finishCleanup(deps, ended.item);
      engine.clock.advance(3_600_000);
      await sweep(deps);
      const started = await compensationsOf('undo-twice', id);
      expect(started).toHaveLength(1);
      expect(await getProcess(deps, id)).toMatchObject({ status: 'FAILED', compensatedBy: started[0] });
    });

    it('records why a compensation could not start (its inputSchema) and still finishes the cleanup', async () => {
      const id = await start('comp-strict');
      await failB(deps, id, await upToB(id));
      const view = await getProcess(deps, id);
      expect(view).toMatchObject({ status: 'FAILED', compensationError: expect.stringContaining("inputSchema of 'undo-strict'") });
      expect(view).not.toHaveProperty('compensatedBy');
      expect(view.tasks.map((t) => t.status)).toEqual(['COMPLETED', 'FAILED', 'CANCELLED']);
      expect(await deps.processes.get({ id })).not.toHaveProperty('sweepAt');
      expect(await compensationsOf('undo-strict', id)).toEqual([]);
    });

    it('rejects a PUT whose compensation definition or version does not exist (InvalidDefinition at its path), writing nothing', async () => {
      const problemsOf = async (name: string, yaml: string) => {
        const error = await putDefinition(deps, name, { yaml }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidDefinitionError);
        return (error as InvalidDefinitionError).details;
      };
      expect(await problemsOf('comp-missing', 'compensation:\n  definition: no-such\ntasks:\n  - name: A\n')).toEqual([
        { path: 'compensation.definition', line: 2, column: 3, message: expect.stringContaining("'no-such'") },
      ]);
      expect(await problemsOf('comp-missing', 'tasks:\n  - name: A\ncompensation: { definition: undo, version: 9 }\n')).toEqual([
        { path: 'compensation.version', line: 3, column: 35, message: expect.stringContaining('no version 9') },
      ]);
      const json = await putDefinition(deps, 'comp-missing', { json: { compensation: { definition: 'no-such' }, tasks: [{ name: 'A' }] } }).catch((e: unknown) => e);
      expect((json as InvalidDefinitionError).details).toEqual([{ path: 'compensation.definition', message: expect.any(String) }]);
      expect(await deps.definitions.getHead({ name: 'comp-missing' })).toBeUndefined();
      // An existing version is accepted; spelling out the default `on` is the same version; another `on` is a new one.
      expect(await putYaml(deps, 'comp-versions', CHAIN('{ definition: undo, version: 1 }'))).toBe(1);
      expect((await putDefinition(deps, 'comp-versions', { yaml: CHAIN('{ definition: undo, version: 1, on: [FAILED, FAILED] }') })).created).toBe(false);
      expect(await putYaml(deps, 'comp-versions', CHAIN('{ definition: undo, version: 1, on: [CANCELLED, FAILED] }'))).toBe(2);
      expect(await putYaml(deps, 'comp-versions', CHAIN('{ definition: undo }'))).toBe(3);
    });
  });
}
