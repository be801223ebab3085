import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { IAM_WORKER_PREFIX, routes } from '#config/routes.ts';
import { routeGroupHandler } from '#http/route-group-handler.ts';

const answer = (id: string) => async (): Promise<APIGatewayProxyStructuredResultV2> => ({ statusCode: 200, body: id });
const handlersOf = (group: string): Record<string, ReturnType<typeof answer>> =>
  Object.fromEntries(routes.filter((r) => r.group === group).map((r) => [r.id, answer(r.id)]));
const call = (handler: ReturnType<typeof routeGroupHandler>, routeKey: string): Promise<APIGatewayProxyStructuredResultV2> =>
  handler({ routeKey } as APIGatewayProxyEventV2, {} as Context);

describe('routeGroupHandler', () => {
  it('dispatches each route key of the group to its handler', async () => {
    const read = routeGroupHandler('read', handlersOf('read'));
    for (const route of routes.filter((r) => r.group === 'read')) {
      expect((await call(read, `${route.method} ${route.path}`)).body).toBe(route.id);
    }
  });

  it('serves the IAM copies of the worker routes with the same handlers', async () => {
    const worker = routeGroupHandler('worker', handlersOf('worker'));
    expect((await call(worker, `POST ${IAM_WORKER_PREFIX}/processes/{id}/tasks/{task}/claim`)).body).toBe('ClaimTask');
  });

  it('answers 404 RouteNotFound for a route of another group', async () => {
    const read = routeGroupHandler('read', handlersOf('read'));
    const res = await call(read, 'POST /processes');
    expect(res.statusCode).toBe(404);
    expect(JSON.parse(res.body!)).toMatchObject({ error: { code: 'RouteNotFound' } });
  });

  it('fails at cold start when the handlers do not cover exactly the group', () => {
    const { CancelProcess: _dropped, ...missing } = handlersOf('control');
    expect(() => routeGroupHandler('control', missing)).toThrow(
      /route group "control" serves CancelProcess, PauseProcess, PutDefinition, RerunProcess, RerunProcesses, ResumeProcess, StartProcess but has handlers for PauseProcess, PutDefinition, RerunProcess, RerunProcesses, ResumeProcess, StartProcess/,
    );
    expect(() => routeGroupHandler('read', { ...handlersOf('read'), StartProcess: answer('x') })).toThrow(/route group "read"/);
  });
});
