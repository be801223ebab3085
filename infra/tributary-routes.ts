import { ArnFormat, Stack } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { IAM_WORKER_PREFIX, ROUTE_GROUPS, routes, type RouteGroup } from '#config/routes.ts';
import type { TributaryAuthorization, TributaryJwtScopes } from './tributary-props.ts';

/** Default JWT scope of each route group (health needs none). */
export const DEFAULT_JWT_SCOPES: Required<TributaryJwtScopes> = { read: 'tributary/read', control: 'tributary/control', work: 'tributary/work' };

/**
 * Adds every route of the route table, integrated with its group's function.
 * Under JWT each route requires its group's scope (health none), and the worker
 * routes are added a second time under `/iam` with IAM authorization, so that
 * workers with an IAM role sign with SigV4 instead of holding a token.
 */
export function addTributaryRoutes(api: apigw.HttpApi, functions: Readonly<Record<RouteGroup, lambda.IFunction>>, auth: TributaryAuthorization): void {
  const integrations = Object.fromEntries(
    ROUTE_GROUPS.map((g) => [g, new HttpLambdaIntegration(`${g.charAt(0).toUpperCase()}${g.slice(1)}Integration`, functions[g])]),
  ) as Record<RouteGroup, HttpLambdaIntegration>;
  const scopes = { ...DEFAULT_JWT_SCOPES, ...(auth.mode === 'jwt' ? auth.scopes : {}) };
  const scopeOf: Record<RouteGroup, string | undefined> = { health: undefined, read: scopes.read, control: scopes.control, worker: scopes.work };
  for (const route of routes) {
    const scope = auth.mode === 'jwt' ? scopeOf[route.group] : undefined;
    api.addRoutes({
      path: route.path,
      methods: [apigw.HttpMethod[route.method]],
      integration: integrations[route.group],
      ...(scope === undefined ? {} : { authorizationScopes: [scope] }),
    });
    if (auth.mode === 'jwt' && route.group === 'worker') {
      api.addRoutes({
        path: `${IAM_WORKER_PREFIX}${route.path}`,
        methods: [apigw.HttpMethod[route.method]],
        integration: integrations.worker,
        authorizer: new HttpIamAuthorizer(),
      });
    }
  }
}

/**
 * The access log group as a destination, by an ARN without the `:*` that the
 * log group's `Arn` attribute ends in: with it, drift detection reports the
 * stage as modified on every run.
 */
export function accessLogDestination(logGroup: logs.ILogGroup): apigw.IAccessLogDestination {
  return {
    bind: () => ({
      destinationArn: Stack.of(logGroup).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    }),
  };
}

/**
 * One JSON line per request, with the caller for audit: the IAM principal
 * (`userArn`) under IAM authorization, the token's `sub` under JWT.
 */
export const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    caller: '$context.identity.caller',
    userArn: '$context.identity.userArn',
    jwtSub: '$context.authorizer.claims.sub',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    protocol: '$context.protocol',
    responseLength: '$context.responseLength',
    integrationError: '$context.integrationErrorMessage',
  }),
);
