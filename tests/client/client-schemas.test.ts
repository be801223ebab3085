import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { RerunManyBodySchema, StartProcessBodySchema } from '#schemas/api.ts';
import { ERROR_STATUS } from '#schemas/error-status.ts';
import * as server from '#schemas/responses.ts';
import * as schedules from '#schemas/schedules.ts';
import * as concurrency from '#schemas/concurrency-api.ts';
import { API_ROUTES, ROUTE_IDS } from '#schemas/routes/api-routes.ts';
import { BatchClaimSchema, BatchEndedSchema } from '../../client/batch-results.ts';
import { API_ERROR_CODES } from '../../client/errors.ts';
import { BatchClaimResponseSchema, BatchEndedResponseSchema } from '#schemas/batch-api.ts';
import * as client from '../../client/schemas.ts';
import type { RerunManyRequest, StartProcessRequest } from '../../client/tributary-client.ts';

/**
 * The client keeps its own copy of the response schemas so that it can be
 * published alone. This compares the two as JSON Schemas, so that a field
 * added, removed, renamed or retyped on one side fails here. What may differ
 * is listed: the client's objects are open (a newer server may add fields),
 * and the client does not check number ranges.
 */

type Json = Record<string, unknown>;

/** JSON Schema with what the client deliberately leaves out removed: openness, ranges, descriptions. */
function shape(schema: z.ZodType): unknown {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', metadata: z.registry(), cycles: 'throw', reused: 'inline' });
  // `names` is true for a `properties` map, whose keys are field names, not keywords.
  const strip = (node: unknown, names = false): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n));
    if (node === null || typeof node !== 'object') return node;
    const out: Json = {};
    for (const [key, value] of Object.entries(node as Json)) {
      if (!names && ['$schema', 'additionalProperties', 'description', 'minimum', 'maximum', 'exclusiveMinimum'].includes(key)) continue;
      out[key] = strip(value, !names && key === 'properties');
    }
    // An integer range check is a range check: the client only says "number" in places.
    if (out.type === 'integer') out.type = 'number';
    return out;
  };
  return strip(json);
}

const pairs: [string, z.ZodType, z.ZodType][] = [
  ['Definition', client.DefinitionSchema, server.DefinitionViewSchema],
  ['StartedProcess', client.StartedProcessSchema, server.StartedProcessSchema],
  ['Process', client.ProcessSchema, server.ProcessViewSchema],
  ['TaskView', client.TaskViewSchema, server.TaskViewSchema],
  ['ProcessSummary page', client.pageSchema(client.ProcessSummarySchema), server.ProcessPageSchema],
  ['Claim', client.ClaimSchema, server.ClaimResponseSchema],
  ['Heartbeat', client.HeartbeatSchema, server.HeartbeatResponseSchema],
  ['TaskEnded', client.TaskEndedSchema, server.TaskEndedSchema],
  ['Rerun', client.RerunSchema, server.RerunResponseSchema],
  ['RerunMany', client.RerunManySchema, server.RerunManyResponseSchema],
  ['Released', client.ReleasedSchema, server.ReleasedSchema],
  ['Schedule', client.ScheduleSchema, schedules.ScheduleViewSchema],
  ['ScheduleSummary page', client.pageSchema(client.ScheduleSummarySchema), schedules.SchedulePageSchema],
  ['ScheduleFire', client.ScheduleFireSchema, schedules.ScheduleFireSchema],
  ['ScheduleDeleted', client.ScheduleDeletedSchema, schedules.ScheduleDeletedSchema],
  ['BackfillProgress', client.BackfillProgressSchema, schedules.BackfillResponseSchema],
  ['ConcurrencyPools', client.ConcurrencyPoolsSchema, concurrency.ConcurrencyPoolsSchema],
];

/**
 * The response schemas of the routes that the pairs above do not compare, each
 * with the reason. A route declared with a new response schema fails the
 * coverage test below until its client copy is added to `pairs` or listed here.
 */
const NOT_PAIRED: Readonly<Record<string, string>> = {
  Health: 'the client reads any status string (tested below)',
  OpenApiDocument: 'the client does not read the document',
  DefinitionPage: 'the client also accepts updatedAt (tested below)',
  ActiveTasks: 'read as a page of TaskView, which is paired',
  TaskPage: 'read as a page of TaskView, which is paired',
  TaskDetail: 'a TaskView (paired) plus its events, read as the history reads them: any event type (tested below)',
  HistoryPage: 'the client reads any event type, for types a newer server adds (tested below)',
  BatchClaim: 'a list of Claim (paired) or the error body, which the client reads with details as unknown (tested below)',
  BatchEnded: 'a list of TaskEnded (paired) or the error body, which the client reads with details as unknown (tested below)',
};

describe('client/schemas.ts against shared/schemas/responses.ts', () => {
  it.each(pairs)('%s has the same fields, types and required fields', (_, clientSchema, serverSchema) => {
    expect(shape(clientSchema)).toEqual(shape(serverSchema));
  });

  it('DefinitionSummary: the client also accepts an optional updatedAt, which the server does not send yet', () => {
    const clientShape = shape(client.DefinitionSummarySchema) as { properties: Json; required: string[] };
    const { updatedAt, ...rest } = clientShape.properties;
    expect(updatedAt).toEqual({ type: 'string' });
    expect({ ...clientShape, properties: rest }).toEqual(shape(server.DefinitionSummaryViewSchema));
  });

  it('the error body: the client reads details as unknown, the server sends a list of problems', () => {
    const sample = { error: { code: 'InvalidDefinition', message: 'm', details: [{ path: 'tasks[0]', message: 'x', line: 1, column: 2 }] } };
    expect(server.ErrorBodySchema.parse(sample)).toEqual(client.ErrorBodySchema.parse(sample));
  });

  it("covers every route's response schemas: compared above, or listed with a reason", () => {
    const compared = new Set(pairs.map(([, , serverSchema]) => serverSchema));
    for (const id of ROUTE_IDS) {
      for (const [status, { schema }] of Object.entries(API_ROUTES[id].responses as Record<string, { schema: z.ZodType }>)) {
        const name = (schema.meta() as { id?: string } | undefined)?.id ?? `${id} ${status}`;
        expect(compared.has(schema) || name in NOT_PAIRED, `${id} ${status} (${name}) has no client counterpart in pairs`).toBe(true);
      }
    }
  });

  it('HistoryEvent page: the same, except that the client reads any event type', () => {
    const serverShape = shape(server.HistoryPageSchema) as { properties: { items: { items: { properties: Json } } } };
    serverShape.properties.items.items.properties.type = { type: 'string' };
    expect(shape(client.pageSchema(client.HistoryEventSchema))).toEqual(serverShape);
  });

  it('batch answers: the same as the server\'s, but for the error body\'s details, which the client reads as unknown', () => {
    const unknownDetails = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(unknownDetails);
      if (node === null || typeof node !== 'object') return node;
      const out = Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, unknownDetails(v)]));
      const props = out.properties as Json | undefined;
      if (props && 'code' in props && 'details' in props) out.properties = { ...props, details: {} };
      return out;
    };
    expect(shape(BatchClaimSchema)).toEqual(unknownDetails(shape(BatchClaimResponseSchema)));
    expect(shape(BatchEndedSchema)).toEqual(unknownDetails(shape(BatchEndedResponseSchema)));
  });

  it('knows every error code the server maps to a status', () => {
    expect([...API_ERROR_CODES].sort()).toEqual(Object.keys(ERROR_STATUS).sort());
  });

  it("takes the same start and bulk-rerun requests as the server's body schemas", () => {
    type Mutable<T> = { -readonly [K in keyof T]: T[K] };
    expectTypeOf<Mutable<StartProcessRequest>>().toEqualTypeOf<z.input<typeof StartProcessBodySchema>>();
    expectTypeOf<Mutable<RerunManyRequest>>().toEqualTypeOf<z.input<typeof RerunManyBodySchema>>();
  });

  it('health: the client reads any status string, the server sends ok', () => {
    expect(client.HealthSchema.parse(server.HealthResponseSchema.parse({ status: 'ok' }))).toEqual({ status: 'ok' });
  });
});
