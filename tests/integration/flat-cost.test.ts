import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { startProcess } from '#app/start-process.ts';
import { createDocumentClient } from '#adapters/aws-clients.ts';
import { DynamoItemTable } from '#adapters/dynamo/dynamo-item-table.ts';
import { storesOn } from '#adapters/stores/stores-on.ts';
import { testEmulators } from '../support/clients.ts';
import { coreFixture, putYaml, type CoreFixture, type Deps } from '../support/core-harness.ts';

/**
 * I5: the cost of a task does not grow with the size of its process. DynamoDB
 * bills writes by item size, so the write units of one task's claim and
 * completion must be the same in a small process and a large one.
 *
 * A join has two regimes, each flat: a small join (at most SMALL_JOIN_NEEDS,
 * 50, needs) is counted by its parents' follow-ups, each decided from what its
 * own count returned, so a parent reads nothing; a wide one is counted in the
 * endings' transactions and read by each parent's follow-up (1 read unit). So
 * 12 tasks are compared with 52 (joins of 10 and 50 needs), and 62 with 202
 * (joins of 60 and 200): a step at 50 needs, and no growth on either side.
 *
 * The measurement is deterministic, whatever the load on the machine:
 * - the sampled tasks are named from the definition (the same names, T1..T8,
 *   in both processes), never taken from the order the queue hands back;
 * - every other middle task is completed before measuring, one at a time,
 *   each call awaited, so nothing is in flight when the window opens; one
 *   sibling (T0) is held back until after it, so the join's scheduling never
 *   falls inside the window (it did: 8 tasks x 5 units, plus the join's 2
 *   when every sibling happened to be done, averaged 5.25 or 5);
 * - the units are those DynamoDB reports in the answers to the measured
 *   calls, counted on the measuring deps' own client: no other call in the
 *   process (a sweeper, another test's client) can be counted;
 * - each task's claim and completion are compared one by one, not averaged,
 *   on a warm container (the definition version and process identity are
 *   cached per container; that one-off read grows with the definition).
 */
const SAMPLE = Array.from({ length: 8 }, (_, i) => `T${i + 1}`);
const HELD_BACK = 'T0';

let f: CoreFixture;

const fanOut = (width: number) =>
  `tasks:\n  - name: Root\n${Array.from({ length: width }, (_, i) => `  - name: T${i}\n    needs: [Root]\n`).join('')}` +
  `  - name: Join\n    needs: [${Array.from({ length: width }, (_, i) => `T${i}`).join(', ')}]\n`;

beforeAll(async () => {
  f = await coreFixture('flat-cost');
  await putYaml(f.deps, 'small', fanOut(10));
  await putYaml(f.deps, 'small-max', fanOut(50));
  await putYaml(f.deps, 'wide', fanOut(60));
  await putYaml(f.deps, 'large', fanOut(200));
});

interface Units {
  write: number;
  read: number;
}

/** Deps on the fixture's table whose own DynamoDB client adds up the capacity its answers report. */
function meteredDeps(): { deps: Deps; take(): Units } {
  const { region, dynamodbEndpoint } = testEmulators();
  const doc = createDocumentClient({ region, dynamodbEndpoint });
  let used: Units = { write: 0, read: 0 };
  // createDocumentClient asks every call for its consumed capacity (ReturnConsumedCapacity: TOTAL).
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
      const isWrite = /^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(String(context.commandName));
      for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
        if (c.WriteCapacityUnits !== undefined || c.ReadCapacityUnits !== undefined) {
          used.write += c.WriteCapacityUnits ?? 0;
          used.read += c.ReadCapacityUnits ?? 0;
        } else if (isWrite) used.write += c.CapacityUnits ?? 0;
        else used.read += c.CapacityUnits ?? 0;
      }
      return result;
    },
    { step: 'initialize', name: 'flatCostMeter' },
  );
  return {
    deps: { ...f.deps, ...storesOn(new DynamoItemTable(doc, f.resources.tableName)) },
    take: () => {
      const out = used;
      used = { write: 0, read: 0 };
      return out;
    },
  };
}

/**
 * Units of claiming and of completing each sampled middle task of a fan-out.
 * Every other middle task but one is completed first, so that any item that
 * grew with the process (a join's record of its parents, a process-wide task
 * map) would be at its largest when measured.
 */
async function unitsPerTask(definition: string, width: number): Promise<{ claim: Units; complete: Units }[]> {
  const { deps } = f;
  const { process } = await startProcess(deps, { definition, input: { payload: 'x'.repeat(2000) } });
  await completeTask(deps, process.id, 'Root', { output: { big: 'y'.repeat(3000) } });
  const rest = Array.from({ length: width }, (_, i) => `T${i}`).filter((t) => t !== HELD_BACK && !SAMPLE.includes(t));
  for (const task of rest) await completeTask(deps, process.id, task, { output: { ok: true } });

  const metered = meteredDeps();
  // A warm container, as the deps the old measurement shared with the setup: the definition and the
  // process identity are cached once per container (a one-off read that grows with the definition, not per task).
  await metered.deps.definitions.getVersion({ name: definition, version: 1 });
  await metered.deps.processes.identity({ id: process.id });
  metered.take();
  const perTask: { claim: Units; complete: Units }[] = [];
  for (const task of SAMPLE) {
    const claim = await claimTask(metered.deps, process.id, task, 'w');
    const claimUnits = metered.take();
    await completeTask(metered.deps, process.id, task, { leaseToken: claim.leaseToken, output: { ok: true } });
    perTask.push({ claim: claimUnits, complete: metered.take() });
  }

  // The held-back sibling settles the join last: the setup was what it claims to be.
  await completeTask(deps, process.id, HELD_BACK, { output: { ok: true } });
  expect(await deps.tasks.get({ processId: process.id, task: 'Join' })).toMatchObject({ status: 'SCHEDULED', settled: width });
  return perTask;
}

describe('flat cost per task (I5)', () => {
  it.each([
    { joins: 'small joins', small: { definition: 'small', width: 10 }, large: { definition: 'small-max', width: 50 } },
    { joins: 'wide joins', small: { definition: 'wide', width: 60 }, large: { definition: 'large', width: 200 } },
  ])('spends the same DynamoDB units per task in a $large.width-wide fan-out as in a $small.width-wide one ($joins)', async (c) => {
    const small = await unitsPerTask(c.small.definition, c.small.width);
    const large = await unitsPerTask(c.large.definition, c.large.width);
    for (const t of small) {
      expect(t.claim.write).toBeGreaterThan(0);
      expect(t.complete.write).toBeGreaterThan(0);
    }
    expect(large).toEqual(small);
  }, 120_000);
});
