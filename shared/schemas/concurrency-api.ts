import { z } from 'zod';
import { DefinitionNameSchema, limitQuery } from './api.ts';

/**
 * `GET /concurrency?definition=&task=` (issue 18): the pools of one task's
 * concurrency limit, one per key, with their holders. Request and response.
 */

/** A page token: the position of the last slot answered (its key hash and number). */
const PoolTokenSchema = z
  .string()
  .regex(/^[0-9a-f]{16}#\d{4}$/, 'nextToken is not a token this listing gave')
  .optional()
  .describe("the previous page's nextToken; omit for the first page");

export const ConcurrencyQuerySchema = z.object({
  definition: DefinitionNameSchema.describe('the definition whose task it is'),
  task: z
    .string()
    .min(1, 'task is empty')
    .max(128, 'task is longer than 128 characters')
    .optional()
    .describe("the task with `concurrency:`; omit it for the definition's process pools (`concurrency` at the top level)"),
  limit: limitQuery(1000, 200).describe('how many slots to read at most, from 1 to 1000 (default 200): a pool may be split across pages'),
  nextToken: PoolTokenSchema,
});
export type ConcurrencyQuery = z.infer<typeof ConcurrencyQuerySchema>;

const Timestamp = z.string().meta({ format: 'date-time', description: 'ISO 8601 instant, UTC' });

export const PoolHolderSchema = z.strictObject({
  processId: z.string(),
  task: z.string().optional().describe('the task holding the slot (task pools)'),
  leaseExpiresAt: Timestamp.optional().describe("when the holder's lease runs out (task pools; a process holds its slot until it ends)"),
});

export const ConcurrencyPoolSchema = z.strictObject({
  key: z.string().describe("the key's value ('' for a task without `key`)"),
  limit: z.number().int().positive().describe('the limit its slots were taken under'),
  holders: z.array(PoolHolderSchema).describe('the slots held: by a live lease (RUNNING tasks), or by a RUNNING or PAUSED process (process pools, as many as one bounded read finds)'),
  held: z.number().int().nonnegative().optional().describe("process pools: the slots held, as the pool's counter has them"),
  queued: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('process pools: the processes QUEUED, counted up to 1,000. Task pools do not track their waiting tasks (a waiting task is a SCHEDULED task whose claims were refused: `limitRefusals`)'),
});

export const ConcurrencyPoolsSchema = z
  .strictObject({
    definition: z.string(),
    task: z.string().optional().describe("absent for the definition's process pools"),
    /** The task's limit (or the process limit) in the definition's latest version. */
    limit: z.number().int().positive(),
    items: z.array(ConcurrencyPoolSchema).describe('pools of keys whose slots have been taken at least once, in key-hash order'),
    nextToken: z.string().optional().describe('absent on the last page'),
  })
  .meta({ id: 'ConcurrencyPools' });
export type ConcurrencyPools = z.infer<typeof ConcurrencyPoolsSchema>;
