import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { routeKeyOf, routes } from '#config/routes.ts';
import { buildHttpApiEvent } from '../../local/http-api-event.ts';
import { createLambdaContext } from '../../local/lambda-context.ts';

export type GroupHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

export interface RouteCall {
  readonly params?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: string;
}

/**
 * Invokes a route's Lambda function in-process with the event API Gateway
 * would send for route `routeId`, and returns the status and parsed body.
 *
 * @example
 * const res = await invokeRoute(readHandler, 'GetProcess', { params: { id } });
 */
export async function invokeRoute(handler: GroupHandler, routeId: string, call: RouteCall = {}): Promise<{ status: number; body: unknown }> {
  const route = routes.find((r) => r.id === routeId);
  if (!route) throw new Error(`no route ${routeId}`);
  const params = call.params ?? {};
  const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
  const raw = call.body === undefined ? '' : typeof call.body === 'string' ? call.body : JSON.stringify(call.body);
  const event = buildHttpApiEvent({
    method: route.method,
    url: call.query ? `${path}?${call.query}` : path,
    headers: raw === '' ? {} : { 'content-type': [call.contentType ?? 'application/json'] },
    body: Buffer.from(raw),
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    routeKey: routeKeyOf(route),
    pathParameters: params,
    requestId: randomUUID(),
    now: new Date(),
  });
  const result = await handler(event, createLambdaContext({ functionName: `tributary-${route.group}`, timeoutMs: 10_000 }));
  return { status: result.statusCode ?? 200, body: result.body ? (JSON.parse(result.body) as unknown) : undefined };
}
