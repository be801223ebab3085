import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as server from '#schemas/responses.ts';
import * as client from '../../client/schemas.ts';

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
];

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

  it('health: the client reads any status string, the server sends ok', () => {
    expect(client.HealthSchema.parse(server.HealthResponseSchema.parse({ status: 'ok' }))).toEqual({ status: 'ok' });
  });
});
