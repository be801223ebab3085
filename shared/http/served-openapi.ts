import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { buildOpenApiDocument, type OpenApiDocument } from '#schemas/openapi-document.ts';

/** Built once per container: it depends only on the code. */
let document: OpenApiDocument | undefined;

/**
 * The OpenAPI document as served by GET /openapi.json: the committed one,
 * with its `servers` naming the URL this request reached, so that a client
 * generated from a stack's document calls that stack. The URL comes from the
 * request as API Gateway saw it: `x-forwarded-proto`, the domain name, and the
 * stage unless it is `$default` (which has no path segment).
 *
 * @example
 * openApiDocumentFor(event).servers; // [{ url: 'https://abc123.execute-api.eu-west-1.amazonaws.com', ... }]
 */
export function openApiDocumentFor(event: APIGatewayProxyEventV2): OpenApiDocument {
  document ??= buildOpenApiDocument();
  const proto = (event.headers?.['x-forwarded-proto'] ?? 'https').split(',')[0]!.trim();
  const host = event.requestContext?.domainName ?? event.headers?.host;
  if (!host || !/^https?$/.test(proto)) return document;
  const stage = event.requestContext?.stage;
  const base = `${proto}://${host}${stage && stage !== '$default' ? `/${encodeURIComponent(stage)}` : ''}`;
  return { ...document, servers: [{ url: base, description: 'the API that served this document' }, ...document.servers] };
}
