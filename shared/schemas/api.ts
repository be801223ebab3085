import { z } from 'zod';
import { ProcessStatusSchema, TaskErrorSchema } from './items.ts';

/** Request schemas of the HTTP API. Unknown keys are rejected so typos surface as 400s. */

export const DefinitionNameSchema = z
  .string()
  .min(1, 'definition name is empty')
  .max(128, 'definition name is longer than 128 characters')
  .regex(/^[^\s/#][^/#]*$/, 'definition name must not contain / or # nor start with a space')
  // A URL path normalises them away: /definitions/.. would name the collection's parent.
  .refine((n) => n !== '.' && n !== '..', "definition name must not be '.' or '..'");

export const DefinitionParamsSchema = z.object({ name: DefinitionNameSchema });
export const DefinitionVersionParamsSchema = z.object({
  name: DefinitionNameSchema,
  version: z.coerce.number({ error: 'version must be a positive integer' }).int().positive(),
});

export const ProcessIdSchema = z.string().min(1).max(64).regex(/^[A-Za-z0-9-]+$/, 'process id has invalid characters');
export const ProcessParamsSchema = z.object({ id: ProcessIdSchema });
export const TaskParamsSchema = z.object({ id: ProcessIdSchema, task: z.string().min(1).max(128) });

export const StartProcessBodySchema = z.strictObject({
  definition: DefinitionNameSchema,
  version: z.number().int().positive().optional(),
  input: z.unknown().optional(),
  idempotencyKey: z.string().min(1).max(256).optional(),
});
export type StartProcessBody = z.infer<typeof StartProcessBodySchema>;

export const PaginationQuerySchema = z.object({
  limit: z.coerce.number({ error: 'limit must be an integer' }).int().min(1).max(100).default(50),
  nextToken: z.string().min(1).max(2048).optional(),
});

export const ListProcessesQuerySchema = PaginationQuerySchema.extend({
  status: ProcessStatusSchema.optional(),
  definition: DefinitionNameSchema.optional(),
});
export type ListProcessesQuery = z.infer<typeof ListProcessesQuerySchema>;

const WorkerIdSchema = z.string().min(1).max(256);
const LeaseTokenSchema = z.string().min(1).max(128);

export const ClaimBodySchema = z.strictObject({ workerId: WorkerIdSchema });
export const HeartbeatBodySchema = z.strictObject({ leaseToken: LeaseTokenSchema });
export const CompleteBodySchema = z.strictObject({ leaseToken: LeaseTokenSchema.optional(), output: z.unknown().optional() });
export const FailBodySchema = z.strictObject({ leaseToken: LeaseTokenSchema.optional(), error: TaskErrorSchema.strict() });
