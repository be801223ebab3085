import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask, heartbeatTask } from '#app/claim-task.ts';
import { cancelProcess } from '#app/end-process.ts';
import { completeTask, failTask } from '#app/end-task.ts';
import { pauseProcess, resumeProcess } from '#app/pause-process.ts';
import { rerunProcess } from '#app/rerun-process.ts';
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

type Sent = { command: string; input: Record<string, unknown> };

/** Deps whose every DynamoDB write is recorded, as sent. */
function recordingDeps(writes: Sent[]) {
  return testDeps(resources, clock, {
    interceptor: {
      before: (service, command, input) => {
        if (service === 'dynamodb' && WRITES.has(command)) writes.push({ command, input: input as Record<string, unknown> });
      },
    },
  });
}

/** Each single write of the calls sent (a transaction's writes one by one), with its key's sort key. */
function actionsOf(writes: readonly Sent[]): { command: string; sk: string; update: string; condition: string | undefined; detail: string }[] {
  return writes.flatMap(({ command, input }) => {
    const actions =
      command === 'TransactWriteItemsCommand'
        ? (input.TransactItems as Record<string, Record<string, unknown>>[]).map((item) => item.Put ?? item.Update ?? item.Delete ?? item.ConditionCheck ?? {})
        : [input];
    return actions.map((a) => {
      const key = (a.Key ?? a.Item) as Record<string, unknown> | undefined;
      const sk = String(key?.sk ?? '');
      return { command, sk, update: String(a.UpdateExpression ?? ''), condition: a.ConditionExpression as string | undefined, detail: `${command} ${JSON.stringify(key)}` };
    });
  });
}

describe('conditional writes (I1)', () => {
  it('sends no write without a condition through a whole run: definitions, start, claim, heartbeat, complete, fail, cancel, sweep', async () => {
    const writes: Sent[] = [];
    const deps = recordingDeps(writes);
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
    for (const action of actionsOf(writes)) expect(action.condition, action.detail).toBeTruthy();
  });

  it('sends no write without a condition through pause, resume, rerun and compensation; the input item is only updated where it exists', async () => {
    const writes: Sent[] = [];
    const deps = recordingDeps(writes);
    const queueUrl = resources.queues.default!;
    await putYaml(deps, 'audit-undo', 'tasks:\n  - name: Undo\n');
    await putYaml(deps, 'audit-ops', 'compensation: { definition: audit-undo }\ndefaults:\n  retry: { maxAttempts: 1 }\ntasks:\n  - name: A\n  - name: B\n    needs: [A]\n');
    const id = (await startProcess(deps, { definition: 'audit-ops', input: { n: 1 } })).process.id;
    await drainQueue(queueUrl);
    // A is running when the process is paused: it is marked, and its ending waits for the resume.
    const a = await claimTask(deps, id, 'A', 'w');
    await pauseProcess(deps, id, 'audit');
    await completeTask(deps, id, 'A', { leaseToken: a.leaseToken, output: { a: 1 } });
    await resumeProcess(deps, id);
    await sweep(deps); // the resume pass: marks removed, A's follow-up schedules B
    await drainQueue(queueUrl);
    const b = await claimTask(deps, id, 'B', 'w');
    await failTask(deps, id, 'B', { leaseToken: b.leaseToken, error: { message: 'no', retryable: false } });
    await sweep(deps); // cleanup and compensation: audit-undo starts, linked to the failed process
    const undo = await deps.processes.get({ id });
    expect(undo?.compensatedBy).toBeDefined();
    // The rerun reopens the process, resets B, rewrites the input's expiry, and schedules B again.
    await rerunProcess(deps, id, { fromTasks: ['B'] });
    await runToEnd({ deps, clock, drain: () => drainQueue(queueUrl) }, id);
    expect((await deps.processes.get({ id }))?.status).toBe('COMPLETED');

    const actions = actionsOf(writes);
    for (const action of actions) expect(action.condition, action.detail).toBeTruthy();
    // The INPUT item's flag and expiry: written by pause, resume and the rerun, each guarded on the item existing.
    const inputUpdates = actions.filter((x) => x.sk === 'INPUT' && x.update !== '');
    expect(inputUpdates.length).toBeGreaterThanOrEqual(3);
    for (const x of inputUpdates) expect(x.condition, x.detail).toMatch(/^attribute_exists\(#n\d+\)$/);
    // A pause, a resume and a rerun each wrote their history record once (write-once puts).
    const records = actions.filter((x) => x.sk.startsWith('EVENT#') || x.sk.startsWith('RUN#'));
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const x of records) expect(x.condition, x.detail).toMatch(/^attribute_not_exists\(#n\d+\)$/);
  });
});

// The optimistic-lock half of I1 holds on any table: written once, run here and in memory (tests/unit/conditional-writes.test.ts).
optimisticLockScenarios(() => dynamoEngine('conditional-race'));
