import { z } from 'zod';
import { ClaimBodySchema, CompleteBodySchema, FailBodySchema, TaskParamsSchema } from './api.ts';
import { ClaimResponseSchema, ErrorBodySchema, TaskEndedSchema } from './responses.ts';

/**
 * Bodies and answers of the batch worker routes (`POST /tasks/claim`,
 * `/tasks/complete`, `/tasks/fail`): up to {@link MAX_BATCH_ITEMS} items, each
 * the single route's body plus the task it names, answered item by item in
 * the same order.
 */

/** One SQS receive brings at most 10 messages: a batch holds at most as many. */
export const MAX_BATCH_ITEMS = 10;

const ITEMS_MESSAGE = `a batch holds from 1 to ${MAX_BATCH_ITEMS} items`;

/** The task an item names: the single route's path parameters, as body fields. */
const TaskRefShape = {
  processId: TaskParamsSchema.shape.id.describe('the process id, as POST /processes answered it'),
  task: TaskParamsSchema.shape.task.describe("the task's name in the definition, or a map's child as `<map>[<index>]` (not encoded)"),
};

function itemsOf<T extends z.ZodType>(item: T) {
  return z.array(item, { error: `must be an array: ${ITEMS_MESSAGE}` }).min(1, ITEMS_MESSAGE).max(MAX_BATCH_ITEMS, ITEMS_MESSAGE);
}

/** POST /tasks/claim: one worker claims the tasks of one receive. */
export const BatchClaimBodySchema = ClaimBodySchema.extend({ tasks: itemsOf(z.strictObject(TaskRefShape)) });
export type BatchClaimBody = z.infer<typeof BatchClaimBodySchema>;

/** POST /tasks/complete: each item is POST .../complete's body plus `processId` and `task`. */
export const BatchCompleteBodySchema = z.strictObject({ items: itemsOf(CompleteBodySchema.extend(TaskRefShape)) });
export type BatchCompleteBody = z.infer<typeof BatchCompleteBodySchema>;

/** POST /tasks/fail: each item is POST .../fail's body plus `processId` and `task`. */
export const BatchFailBodySchema = z.strictObject({ items: itemsOf(FailBodySchema.extend(TaskRefShape)) });
export type BatchFailBody = z.infer<typeof BatchFailBodySchema>;

/** One item's refusal: the error body the single route would answer (an unexpected error is `InternalError`). */
const ItemErrorSchema = ErrorBodySchema;

export const BatchClaimResponseSchema = z
  .strictObject({ results: z.array(z.union([ClaimResponseSchema, ItemErrorSchema])).describe('one per task, in the order asked: the claim, or the error') })
  .meta({ id: 'BatchClaim' });

export const BatchEndedResponseSchema = z
  .strictObject({ results: z.array(z.union([TaskEndedSchema, ItemErrorSchema])).describe('one per item, in the order sent: what the single route answers, or the error') })
  .meta({ id: 'BatchEnded' });
