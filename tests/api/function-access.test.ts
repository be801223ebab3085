import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import { FUNCTION_ACCESS } from '../../infra/function-access.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';
import { COMMAND_ACTIONS, SQS_COMMAND_ACTIONS } from '../infra/command-actions.ts';
import { invokeRoute, type GroupHandler } from '../support/invoke-route.ts';

/**
 * Least privilege per function, derived from what the code does: every route
 * of every group is called in-process against the emulators (a workflow from
 * definition to cancellation, then a sweep), each AWS SDK command sent is
 * recorded under the function that sent it, and the IAM actions those commands
 * need are compared with the function's grants (FUNCTION_ACCESS, which
 * tributary-grants.test.ts asserts in the template).
 */
type Access = keyof typeof FUNCTION_ACCESS;
const issued: Record<Access, Set<string>> = { health: new Set(), read: new Set(), control: new Set(), worker: new Set(), sweeper: new Set(), scheduler: new Set(), startQueue: new Set() };
let current: Access = 'health';
let handlers: Record<'health' | 'read' | 'control' | 'worker', GroupHandler>;

beforeAll(async () => {
  // Every SDK client (DynamoDB, the document client, SQS) sends through the one smithy Client.prototype.send.
  const smithyClient = Object.getPrototypeOf(DynamoDBClient.prototype) as { send: (command: object, ...rest: unknown[]) => Promise<unknown> };
  const send = smithyClient.send;
  vi.spyOn(smithyClient, 'send').mockImplementation(function (this: unknown, command: object, ...rest: unknown[]) {
    issued[current].add(command.constructor.name);
    return send.call(this, command, ...rest);
  });
  handlers = {
    health: (await import('../../functions/api/health.ts')).handler,
    read: (await import('../../functions/api/read-routes.ts')).handler,
    control: (await import('../../functions/api/control-routes.ts')).handler,
    worker: (await import('../../functions/api/worker-routes.ts')).handler,
  };
  const sweeper = (await import('../../functions/sweeper.ts')).handler as (e: unknown, c: unknown) => Promise<unknown>;

  const call = async (group: 'health' | 'read' | 'control' | 'worker', routeId: string, input: Parameters<typeof invokeRoute>[2] = {}): Promise<Record<string, unknown>> => {
    current = group;
    const res = await invokeRoute(handlers[group], routeId, input);
    expect(res.status, `${routeId}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body as Record<string, unknown>;
  };

  const name = `access-${randomUUID().slice(0, 8)}`;
  await call('health', 'Health');
  await call('control', 'PutDefinition', { params: { name }, body: 'tasks:\n  - name: a\n  - name: b\n    needs: [a]\n', contentType: 'application/yaml' });
  await call('read', 'ListDefinitions');
  await call('read', 'GetDefinition', { params: { name } });
  await call('read', 'GetDefinitionVersion', { params: { name, version: '1' } });
  const first = await call('control', 'StartProcess', { body: { definition: name, input: { n: 1 } } });
  const id = String(first.id);
  await call('read', 'GetProcess', { params: { id } });
  await call('read', 'ListActiveTasks', { params: { id } });
  await call('read', 'ListProcesses', { query: 'status=RUNNING' });
  await call('read', 'ListProcesses', { query: `definition=${name}` });
  await call('read', 'ListProcesses');
  const a = await call('worker', 'ClaimTask', { params: { id, task: 'a' }, body: { workerId: 'w-1' } });
  await call('worker', 'HeartbeatTask', { params: { id, task: 'a' }, body: { leaseToken: a.leaseToken } });
  await call('worker', 'CompleteTask', { params: { id, task: 'a' }, body: { leaseToken: a.leaseToken, output: { ok: true } } });
  const b = await call('worker', 'ClaimTask', { params: { id, task: 'b' }, body: { workerId: 'w-1' } });
  await call('worker', 'FailTask', { params: { id, task: 'b' }, body: { leaseToken: b.leaseToken, error: { message: 'no', retryable: false } } });
  await call('read', 'GetProcessHistory', { params: { id } });
  await call('control', 'RerunProcesses', { body: { definition: name, dryRun: true } });
  await call('control', 'RerunProcess', { params: { id }, body: { fromTasks: ['a'] } });
  const second = await call('control', 'StartProcess', { body: { definition: name } });
  await call('control', 'PauseProcess', { params: { id: String(second.id) }, body: { reason: 'access check' } });
  await call('control', 'ResumeProcess', { params: { id: String(second.id) }, body: {} });
  await call('control', 'CancelProcess', { params: { id: String(second.id) } });
  const schedule = { name: `access-${randomUUID().slice(0, 8)}` };
  await call('control', 'PutSchedule', { params: schedule, body: { definition: name, every: '1m', overlap: 'cancelOther' } });
  await call('control', 'TriggerSchedule', { params: schedule });
  await call('control', 'TriggerSchedule', { params: schedule });
  await call('control', 'BackfillSchedule', { params: schedule, body: { from: new Date(Date.now() - 180_000).toISOString(), to: new Date(Date.now() - 60_000).toISOString() } });
  await call('control', 'PauseSchedule', { params: schedule });
  await call('control', 'ResumeSchedule', { params: schedule });
  await call('read', 'GetSchedule', { params: schedule });
  await call('read', 'ListSchedules');
  current = 'sweeper';
  await sweeper({}, createLambdaContext({ functionName: 'tributary-Sweeper', timeoutMs: 60_000 }));
  current = 'scheduler';
  const scheduler = (await import('../../functions/scheduler.ts')).handler as (e: unknown, c: unknown) => Promise<unknown>;
  await scheduler({}, createLambdaContext({ functionName: 'tributary-Scheduler', timeoutMs: 60_000 }));
  current = 'startQueue';
  const { startQueueHandler } = await import('../../functions/start-queue.ts');
  const { runtimeDeps } = await import('#app/runtime-deps.ts');
  const consume = startQueueHandler(runtimeDeps, () => ({ reject: async () => undefined }));
  const record = (body: string) => ({ messageId: randomUUID(), body }) as SQSRecord;
  const out = await consume({ Records: [record(JSON.stringify({ definition: name, input: { n: 2 }, idempotencyKey: `access-${randomUUID()}` })), record('{not json')] });
  expect(out.batchItemFailures).toEqual([]);
  current = 'control';
  await call('control', 'DeleteSchedule', { params: schedule });
}, 120_000);

afterAll(() => {
  vi.restoreAllMocks();
});

/** The IAM actions the commands need; a command without a mapping fails the test. */
function actionsFor(commands: Set<string>): { table: string[]; send: boolean } {
  const table = new Set<string>();
  let send = false;
  for (const command of commands) {
    const sqs = SQS_COMMAND_ACTIONS[command];
    if (sqs) {
      send = true;
      continue;
    }
    const dynamo = COMMAND_ACTIONS[command];
    expect(dynamo, `no IAM mapping for ${command}`).toBeDefined();
    for (const action of dynamo!) table.add(action);
  }
  return { table: [...table].sort(), send };
}

describe('each function is granted what its code issues', () => {
  it.each(Object.keys(FUNCTION_ACCESS) as Access[])('%s', (access) => {
    const needed = actionsFor(issued[access]);
    const granted = FUNCTION_ACCESS[access];
    expect(granted.tableActions).toEqual(expect.arrayContaining(needed.table));
    if (needed.send) expect(granted.sendMessages).toBe(true);
  });

  it('and the read and health functions nothing more: every action granted is one they issue', () => {
    expect([...FUNCTION_ACCESS.read.tableActions].sort()).toEqual(actionsFor(issued.read).table);
    expect(FUNCTION_ACCESS.read.sendMessages).toBe(false);
    expect(issued.health.size).toBe(0);
    expect(FUNCTION_ACCESS.health).toEqual({ tableActions: [], sendMessages: false });
  });

  it('exercised the writes: control and worker write items and schedule tasks, the sweeper queries its index', () => {
    for (const access of ['control', 'worker'] as const) {
      const needed = actionsFor(issued[access]);
      expect(needed.table, access).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
      expect(needed.send, access).toBe(true);
    }
    expect(actionsFor(issued.sweeper).table).toContain('dynamodb:Query');
  });
});
