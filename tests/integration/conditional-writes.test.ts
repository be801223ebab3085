import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { failTask } from '#app/end-task.ts';
import { startProcess } from '#app/start-process.ts';
import { sweep } from '#app/sweep.ts';
import type { LocalResources } from '../../local/create-resources.ts';
import { createIsolatedResources } from '../support/resources.ts';
import { TestClock, drainQueue, putYaml, testDeps } from '../support/core-harness.ts';
import { dynamoEngine, runToEnd } from '../support/engines.ts';
import { optimisticLockScenarios } from '../support/scenarios/conditional-writes.ts';

/** I1: every state change is a conditional write (what DynamoDB is sent: integration only); process changes are optimistically locked. */
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
    await runToEnd({ deps, clock, drain: () => drainQueue(queueUrl) }, done.process.id);

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
});

// The optimistic-lock half of I1 holds on any table: written once, run here and in memory (tests/unit/conditional-writes.test.ts).
optimisticLockScenarios(() => dynamoEngine('conditional-race'));
