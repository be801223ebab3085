import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { IAM_WORKER_PREFIX, routeKeyOf, routes } from '#config/routes.ts';
import { synthTributary } from './test-app.ts';

type RouteResource = { Properties: { RouteKey: string; AuthorizationType: string; AuthorizationScopes?: string[]; Target: unknown } };

describe('Tributary HTTP API', () => {
  const { stack, tributary, template } = synthTributary();

  it('declares exactly the routes of the route table (drift check)', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => (r as RouteResource).Properties.RouteKey);
    expect(routeKeys).toHaveLength(routes.length);
    expect(new Set(routeKeys)).toEqual(new Set(routes.map(routeKeyOf)));
  });

  it('requires AWS_IAM authorization on every route by default', () => {
    template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' });
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('serves the routes with one function per privilege group through payload 2.0 proxy integrations', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 4);
    template.allResourcesProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
    const integrationOf = (group: string): string =>
      JSON.stringify(
        Object.entries(template.findResources('AWS::ApiGatewayV2::Integration')).find(([, r]) =>
          JSON.stringify(r).includes(stack.getLogicalId(tributary.functions[group as 'read'].node.defaultChild as never)),
        )![0],
      );
    for (const route of routes) {
      const resource = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).find((r) => (r as RouteResource).Properties.RouteKey === routeKeyOf(route)) as RouteResource;
      expect(JSON.stringify(resource.Properties.Target), route.id).toContain(JSON.parse(integrationOf(route.group)) as string);
    }
  });

  it('names the API after the construct', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'Test-Tributary', ProtocolType: 'HTTP' });
  });

  it('throttles the $default stage and writes JSON access logs, with the caller, to a log group ARN without ":*"', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: {
        DestinationArn: {
          'Fn::Join': ['', ['arn:aws:logs:eu-west-1:111111111111:log-group:', { Ref: Match.stringLikeRegexp('^TributaryAccessLogs') }]],
        },
        Format: Match.stringLikeRegexp('"userArn":"\\$context\\.identity\\.userArn".*"jwtSub":"\\$context\\.authorizer\\.claims\\.sub"'),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('Tributary HTTP API with JWT authorization', () => {
  const { template } = synthTributary({
    authorization: { mode: 'jwt', issuer: 'https://issuer.example.com', audience: ['tributary'], scopes: { control: 'ops/admin' } },
    throttle: { rateLimit: 10, burstLimit: 20 },
  });
  const byKey = new Map(
    Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [(r as RouteResource).Properties.RouteKey, (r as RouteResource).Properties]),
  );

  it('requires the scope of each route group (overridable), and none for health', () => {
    const expected = { health: undefined, read: ['tributary/read'], control: ['ops/admin'], worker: ['tributary/work'] };
    for (const route of routes) {
      const props = byKey.get(routeKeyOf(route))!;
      expect(props.AuthorizationType, route.id).toBe('JWT');
      expect(props.AuthorizationScopes, route.id).toEqual(expected[route.group]);
    }
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['tributary'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } });
  });

  it('also serves the worker routes under /iam with IAM authorization, for workers with a role', () => {
    const workerRoutes = routes.filter((r) => r.group === 'worker');
    expect(byKey.size).toBe(routes.length + workerRoutes.length);
    for (const route of workerRoutes) {
      const props = byKey.get(`${route.method} ${IAM_WORKER_PREFIX}${route.path}`);
      expect(props?.AuthorizationType, route.id).toBe('AWS_IAM');
    }
  });
});
