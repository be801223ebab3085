import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { routes } from '#config/routes.ts';
import { synthTributary } from './test-app.ts';

describe('Tributary HTTP API', () => {
  const { template } = synthTributary();

  it('declares exactly the routes of the route table (drift check)', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (r) => (r as { Properties: { RouteKey: string } }).Properties.RouteKey,
    );
    const expected = routes.map((r) => `${r.method} ${r.path}`);
    expect(routeKeys).toHaveLength(expected.length);
    expect(new Set(routeKeys)).toEqual(new Set(expected));
  });

  it('requires AWS_IAM authorization on every route by default', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length);
    template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' });
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('serves one Lambda function per route through a payload 2.0 proxy integration', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', routes.length);
    template.allResourcesProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });

  it('throttles the $default stage and writes JSON access logs to a log group', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TributaryAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('uses a JWT authorizer on every route when configured, with custom throttling', () => {
    const { template: jwt } = synthTributary({
      authorization: { mode: 'jwt', issuer: 'https://issuer.example.com', audience: ['tributary'] },
      throttle: { rateLimit: 10, burstLimit: 20 },
    });
    jwt.allResourcesProperties('AWS::ApiGatewayV2::Route', {
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: Match.stringLikeRegexp('JwtAuthorizer') },
    });
    jwt.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    jwt.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['tributary'] },
    });
    jwt.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
  });
});
