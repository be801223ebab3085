import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { completeTask } from '#app/end-task.ts';
import { startProcess } from '#app/start-process.ts';
import { capacityDelta, capacitySnapshot } from '#adapters/capacity-meter.ts';
import { coreFixture, drainQueue, putYaml, type Deps } from '../support/core-harness.ts';

/**
 * I5: the cost of a task does not grow with the size of its process. DynamoDB
 * bills writes by item size, so the write units of one task's claim and
 * completion must be the same in a process of 12 tasks and one of 202.
 */
let deps: Deps;
let queueUrl: string;

const fanOut = (width: number) =>
  `tasks:\n  - name: Root\n${Array.from({ length: width }, (_, i) => `  - name: T${i}\n    needs: [Root]\n`).join('')}` +
  `  - name: Join\n    needs: [${Array.from({ length: width }, (_, i) => `T${i}`).join(', ')}]\n`;

beforeAll(async () => {
  ({ deps, queueUrl } = await coreFixture('flat-cost'));
  await putYaml(deps, 'small', fanOut(10));
  await putYaml(deps, 'large', fanOut(200));
});

/**
 * Write and read units of claiming and completing the last `sample` middle
 * tasks of a fan-out, per task. Every other middle task is completed first,
 * so that any item that grew with the process (a join's record of its
 * parents, a process-wide task map) would be at its largest when measured.
 */
async function unitsPerTask(definition: string, sample: number): Promise<{ write: number; read: number }> {
  const { process } = await startProcess(deps, { definition, input: { payload: 'x'.repeat(2000) } });
  await drainQueue(queueUrl);
  await completeTask(deps, process.id, 'Root', { output: { big: 'y'.repeat(3000) } });
  const middle = (await drainQueue(queueUrl)).map((m) => m.body.task);
  const tasks = middle.slice(-sample);
  const rest = middle.slice(0, -sample);
  for (let i = 0; i < rest.length; i += 25) {
    await Promise.all(rest.slice(i, i + 25).map((t) => completeTask(deps, process.id, t, { output: { ok: true } })));
  }
  const before = capacitySnapshot();
  for (const task of tasks) {
    const claim = await claimTask(deps, process.id, task, 'w');
    await completeTask(deps, process.id, task, { leaseToken: claim.leaseToken, output: { ok: true } });
  }
  const used = capacityDelta(capacitySnapshot(), before);
  return { write: used.dynamoWriteUnits / tasks.length, read: used.dynamoReadUnits / tasks.length };
}

describe('flat cost per task (I5)', () => {
  it('spends the same DynamoDB units per task in a 202-task process as in a 12-task one', async () => {
    const small = await unitsPerTask('small', 8);
    const large = await unitsPerTask('large', 8);
    expect(small.write).toBeGreaterThan(0);
    expect(large.write).toBe(small.write);
    expect(large.read).toBe(small.read);
  });
});
