import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { cancelProcess, endProcess } from '#app/end-process.ts';
import { failTask } from '#app/end-task.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import type { LocalResources } from '../../local/create-resources.ts';
import { createIsolatedResources } from '../support/resources.ts';
import { TestClock, drainQueue, putYaml, runToEnd, testDeps, type Deps } from '../support/core-harness.ts';

/** I1: every state change is a conditional write; process changes are optimistically locked. */
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

let resources: LocalResources;
let clock: TestClock;

beforeAll(async () => {
  resources = await createIsolatedResources('conditional');
  clock = new TestClock();
});

describe('conditional writes (I1)', () => {
  it('sends no write without a condition through a whole run: definitions, start, claim, heartbeat, complete, fail, cancel, sweep', async () => {
    const writes: { command: string; input: Record<string, unknown> }[] = [];
    const deps = testDeps(resources, clock, {
      interceptor: {
        before: (service, command, input) => {
          if (service === 'dynamodb' && WRITES.has(command)) writes.push({ command, input: input as Record<string, unknown> });
        },
      },
    });
    const queueUrl = resources.queues.default!;
    await putYaml(deps, 'audit', 'tasks:\n  - name: A\n  - name: B\n  - name: C\n    needs: [A, B]\n  - name: D\n    needs: [C]\n  - name: E\n    needs: [C]\n');
    await putYaml(deps, 'audit', 'tasks:\n  - name: A\n  - name: B\n    needs: [A]\n');
    const done = await startProcess(deps, { definition: 'audit', version: 1, idempotencyKey: 'audit-1' });
    await startProcess(deps, { definition: 'audit', version: 1, idempotencyKey: 'audit-1' });
    await drainQueue(queueUrl);
    const lease = await claimTask(deps, done.process.id, 'A', 'w');
    await heartbeatTask(deps, done.process.id, 'A', lease.leaseToken);
    clock.advance(400_000);
    await sweep(deps); // lease expiry, re-enqueue
    await runToEnd(deps, clock, queueUrl, done.process.id);

    const failed = await startProcess(deps, { definition: 'audit', version: 1 });
    await drainQueue(queueUrl);
    const a = await claimTask(deps, failed.process.id, 'A', 'w');
    await failTask(deps, failed.process.id, 'A', { leaseToken: a.leaseToken, error: { message: 'no' } });
    const cancelled = await startProcess(deps, { definition: 'audit', version: 2 });
    await cancelProcess(deps, cancelled.process.id);

    const kinds = new Set(writes.map((w) => w.command));
    expect(kinds).toEqual(new Set(['PutItemCommand', 'UpdateItemCommand', 'TransactWriteItemsCommand']));
    for (const { command, input } of writes) {
      if (command === 'TransactWriteItemsCommand') {
        for (const item of input.TransactItems as Record<string, { ConditionExpression?: string }>[]) {
          const action = item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck;
          expect(action?.ConditionExpression, JSON.stringify(item)).toBeTruthy();
        }
      } else {
        expect(input.ConditionExpression, `${command} ${JSON.stringify(input.Key ?? input.Item)}`).toBeTruthy();
      }
    }
  });

  it('never overwrites a process changed concurrently: a stale version loses, and racing ends leave exactly one change', async () => {
    const deps: Deps = testDeps(resources, clock);
    await putYaml(deps, 'race', 'tasks:\n  - name: A\n');
    const { process } = await startProcess(deps, { definition: 'race' });
    const stale = (await deps.processes.get({ id: process.id }))!;
    const at = { now: clock.now(), iso: new Date(clock.now()).toISOString(), expiresAt: 0 };
    const winners = await Promise.all([
      endProcess(testDeps(resources, clock), process.id, 'complete'),
      endProcess(testDeps(resources, clock), process.id, 'cancel'),
      endProcess(testDeps(resources, clock), process.id, 'fail'),
    ]);
    const final = (await deps.processes.get({ id: process.id }))!;
    expect(final.ver).toBe(stale.ver + 1);
    // Every caller sees the one status that won.
    expect(new Set(winners.map((w) => w.status))).toEqual(new Set([final.status]));
    // Writing with the version read before the race loses, and nothing changes.
    expect(await deps.processes.end({ current: stale, event: 'cancel', at, owesCleanup: false })).toMatchObject({ ok: false, current: final });
    expect(await deps.processes.get({ id: process.id })).toEqual(final);
  });
});
