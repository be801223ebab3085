import { BatchClaimBodySchema, BatchClaimResponseSchema, BatchCompleteBodySchema, BatchEndedResponseSchema, BatchFailBodySchema } from '../batch-api.ts';
import type { ErrorCode } from '../error-status.ts';
import { declareRoute } from './route-declaration.ts';

const LEASE = 'lease-0b6f4c1e';
const PROCESS = 'f3b1c2d4-8e9a-4b1c-9d2e-3f4a5b6c7d8e';

/**
 * A batch answers 200 whatever its items' fates: each item's refusal is its
 * own result. The batch itself is refused only when its body is (400, 413, 415).
 */
const BATCH_ERRORS: readonly ErrorCode[] = ['UnsupportedMediaType'];

const PER_ITEM =
  'Items run concurrently; items naming the same task run one after another, in order, as repeated single calls would. ' +
  "A refusal of one item never fails the others: its result is the error body the single route would answer (`{error: {code, message, details?}}`), and an unexpected error of one item is that item's `InternalError`. " +
  'Each item is as idempotent as its single call, so a batch is safe to repeat.';

/** The batch forms of claim, complete and fail: one call for what one SQS receive brought (up to 10 tasks). */
export const BATCH_TASK_ROUTES = {
  ClaimTasks: declareRoute({
    method: 'POST',
    path: '/tasks/claim',
    group: 'worker',
    tag: 'tasks',
    summary: 'Lease up to 10 scheduled tasks in one call',
    description: `Claims each task as POST /processes/{id}/tasks/{task}/claim would, for one worker and with one \`leaseSeconds\` (when given) for all, and answers each claim in the order asked. ${PER_ITEM}`,
    body: BatchClaimBodySchema,
    example: { workerId: 'worker-1', tasks: [{ processId: PROCESS, task: 'Review Credit' }, { processId: PROCESS, task: 'resize[41]' }] },
    responses: { 200: { description: 'one result per task, in the order asked: the claim or the error', schema: BatchClaimResponseSchema } },
    errors: BATCH_ERRORS,
  }),
  CompleteTasks: declareRoute({
    method: 'POST',
    path: '/tasks/complete',
    group: 'worker',
    tag: 'tasks',
    summary: 'Complete up to 10 tasks in one call',
    description: `Each item is POST /processes/{id}/tasks/{task}/complete's body plus \`processId\` and \`task\`; it is completed as that route would, and answered in the order sent. ${PER_ITEM}`,
    body: BatchCompleteBodySchema,
    example: { items: [{ processId: PROCESS, task: 'Review Credit', leaseToken: LEASE, output: { score: 712 } }] },
    responses: { 200: { description: 'one result per item, in the order sent', schema: BatchEndedResponseSchema } },
    errors: BATCH_ERRORS,
  }),
  FailTasks: declareRoute({
    method: 'POST',
    path: '/tasks/fail',
    group: 'worker',
    tag: 'tasks',
    summary: 'Fail up to 10 attempts in one call',
    description: `Each item is POST /processes/{id}/tasks/{task}/fail's body plus \`processId\` and \`task\`; it is failed as that route would, and answered in the order sent. ${PER_ITEM}`,
    body: BatchFailBodySchema,
    example: { items: [{ processId: PROCESS, task: 'Review Credit', leaseToken: LEASE, error: { code: 'BureauUnavailable', message: 'the credit bureau timed out', retryable: true } }] },
    responses: { 200: { description: 'one result per item, in the order sent', schema: BatchEndedResponseSchema } },
    errors: BATCH_ERRORS,
  }),
};
