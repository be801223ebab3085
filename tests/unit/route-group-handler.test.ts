import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { IAM_WORKER_PREFIX, routes } from '#config/routes.ts';
import { routeGroupHandler } from '#http/route-group-handler.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';

/** Bindings that answer their own route id, for any group (the types are what the group files are checked with). */
const bindingsOf = (group: string): never =>
  Object.fromEntries(routes.filter((r) => r.group === group).map((r) => [r.id, async () => ({ status: 200, body: r.id })])) as never;
const call = (
  handler: ReturnType<typeof routeGroupHandler>,
  routeKey: string,
  event: Partial<APIGatewayProxyEventV2> = {},
): Promise<APIGatewayProxyStructuredResultV2> =>
  handler({ routeKey, headers: {}, requestContext: { requestId: 'r-1' }, ...event } as APIGatewayProxyEventV2, createLambdaContext({ functionName: 'test', timeoutMs: 1000 }));

describe('routeGroupHandler', () => {
  it('dispatches each route key of the group to its binding', async () => {
    const read = routeGroupHandler('read', bindingsOf('read'));
    for (const route of routes.filter((r) => r.group === 'read')) {
      const params = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, m[1] === 'version' ? '1' : 'p-1']));
      // The one read route whose query is required: the pools of one task.
      const query = route.id === 'ListConcurrencyPools' ? { queryStringParameters: { definition: 'wf', task: 'A' } } : {};
      const res = await call(read, `${route.method} ${route.path}`, { pathParameters: params, ...query });
      expect(JSON.parse(res.body!), route.id).toBe(route.id);
    }
  });

  it("parses each route's input with its declared schemas before the binding runs", async () => {
    const read = routeGroupHandler('read', bindingsOf('read'));
    const res = await call(read, 'GET /processes/{id}', { pathParameters: { id: 'not a valid id!' } });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!)).toMatchObject({ error: { code: 'ValidationError', message: expect.stringContaining('path.id') } });
    const listed = await call(read, 'GET /processes', { queryStringParameters: { limit: '0' } });
    expect(JSON.parse(listed.body!)).toMatchObject({ error: { message: expect.stringContaining('limit must be an integer from 1 to 100') } });
  });

  it('serves the IAM copies of the worker routes with the same bindings', async () => {
    const worker = routeGroupHandler('worker', bindingsOf('worker'));
    const res = await call(worker, `POST ${IAM_WORKER_PREFIX}/processes/{id}/tasks/{task}/claim`, {
      pathParameters: { id: 'p-1', task: 'A' },
      body: '{"workerId":"w"}',
    });
    expect(JSON.parse(res.body!)).toBe('ClaimTask');
  });

  it('answers 404 RouteNotFound for a route of another group', async () => {
    const read = routeGroupHandler('read', bindingsOf('read'));
    const res = await call(read, 'POST /processes');
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body!)).toMatchObject({ error: { code: 'RouteNotFound' } });
  });

  it('fails at cold start when the bindings do not cover exactly the group', () => {
    const { CancelProcess: _dropped, ...missing } = bindingsOf('control') as Record<string, unknown>;
    expect(() => routeGroupHandler('control', missing as never)).toThrow(
      /route group "control" serves BackfillSchedule, CancelProcess, DeleteSchedule, PauseProcess, PauseSchedule, PutDefinition, PutSchedule, ReleaseTaskLease, RerunProcess, RerunProcesses, ResumeProcess, ResumeSchedule, StartProcess, TriggerSchedule but has handlers for BackfillSchedule, DeleteSchedule, PauseProcess, PauseSchedule, PutDefinition, PutSchedule, ReleaseTaskLease, RerunProcess, RerunProcesses, ResumeProcess, ResumeSchedule, StartProcess, TriggerSchedule/,
    );
    expect(() => routeGroupHandler('read', { ...(bindingsOf('read') as object), StartProcess: bindingsOf('control') } as never)).toThrow(/route group "read"/);
  });
});
