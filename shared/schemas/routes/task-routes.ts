import { ClaimBodySchema, CompleteBodySchema, FailBodySchema, HeartbeatBodySchema, OperatorReleaseBodySchema, ReleaseBodySchema, TaskParamsSchema } from '../api.ts';
import { ClaimResponseSchema, HeartbeatResponseSchema, ReleasedSchema, TaskEndedSchema } from '../responses.ts';
import type { ErrorCode } from '../error-status.ts';
import { declareRoute } from './route-declaration.ts';

const TASK_ERRORS: readonly ErrorCode[] = ['ProcessNotFound', 'TaskNotFound', 'DefinitionNotFound', 'TaskNotActive', 'ProcessNotRunning', 'UnsupportedMediaType'];
const LEASE = 'lease-0b6f4c1e';

/** What workers call: claim, heartbeat, complete, fail and release. */
export const TASK_ROUTES = {
  ClaimTask: declareRoute({
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/claim',
    group: 'worker',
    tag: 'tasks',
    summary: 'Lease a scheduled task',
    description:
      "Leases a SCHEDULED task for leaseSeconds, or else for its timeout, and answers the process input and each need's output. The same worker claiming again while its lease is live gets the same lease.",
    params: TaskParamsSchema,
    body: ClaimBodySchema,
    example: { workerId: 'worker-1' },
    responses: { 200: { description: 'the lease, the process input and the output of each need', schema: ClaimResponseSchema } },
    errors: [...TASK_ERRORS, 'TaskAlreadyClaimed', 'ProcessPaused', 'ProcessTaskNotClaimable', 'ConcurrencyLimited', 'RateLimited'],
  }),
  HeartbeatTask: declareRoute({
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/heartbeat',
    group: 'worker',
    tag: 'tasks',
    summary: 'Extend a lease',
    description: "Extends the lease from now: by leaseSeconds when given (later heartbeats then extend by as much), else by the length the claim asked for, else by the task's timeout.",
    params: TaskParamsSchema,
    body: HeartbeatBodySchema,
    example: { leaseToken: LEASE },
    responses: { 200: { description: 'the new expiry', schema: HeartbeatResponseSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch', 'ProcessTaskNotClaimable'],
  }),
  CompleteTask: declareRoute({
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/complete',
    group: 'worker',
    tag: 'tasks',
    summary: 'Complete a task',
    description:
      'Completes a task with its output: with the lease token, or without one for an unclaimed (manual) task. Repeating a completion that succeeded answers 200.',
    params: TaskParamsSchema,
    body: CompleteBodySchema,
    example: { leaseToken: LEASE, output: { score: 712 } },
    responses: { 200: { description: 'completed', schema: TaskEndedSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch', 'ConcurrencyConflict', 'ProcessTaskNotClaimable'],
  }),
  FailTask: declareRoute({
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/fail',
    group: 'worker',
    tag: 'tasks',
    summary: 'Fail an attempt',
    description:
      "Fails the current attempt: the task is retried (SCHEDULED, not before nextAttemptAt) while attempts are left, else it is FAILED and the process's failure policy applies.",
    params: TaskParamsSchema,
    body: FailBodySchema,
    example: { leaseToken: LEASE, error: { code: 'BureauUnavailable', message: 'the credit bureau timed out', retryable: true } },
    responses: { 200: { description: 'failed, or scheduled for a retry', schema: TaskEndedSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch', 'ConcurrencyConflict', 'ProcessTaskNotClaimable'],
  }),
  ReleaseTask: declareRoute({
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/release',
    group: 'worker',
    tag: 'tasks',
    summary: 'Give a claimed task back',
    description:
      'Gives a claimed task back (e.g. a worker shutting down): it is SCHEDULED again at the same attempt, the lease is fenced, and its message is sent again after delaySeconds.',
    params: TaskParamsSchema,
    body: ReleaseBodySchema,
    example: { leaseToken: LEASE, delaySeconds: 30 },
    responses: { 200: { description: 'released', schema: ReleasedSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch'],
  }),
  ReleaseTaskLease: declareRoute({
    method: 'POST',
    path: '/processes/{id}/tasks/{task}/release-lease',
    group: 'control',
    tag: 'tasks',
    summary: "Release a running task (an operator's call)",
    description:
      'For an operator whose worker is known dead: needs no lease token. The RUNNING task is SCHEDULED again at the same attempt, ' +
      "the old lease is fenced (the worker's later calls get 409 LeaseMismatch), and its message is sent again at once.",
    params: TaskParamsSchema,
    body: OperatorReleaseBodySchema,
    example: { reason: 'worker-7 was terminated' },
    responses: { 200: { description: 'released', schema: ReleasedSchema } },
    errors: ['ProcessNotFound', 'TaskNotFound', 'DefinitionNotFound', 'TaskNotActive', 'ProcessNotRunning', 'UnsupportedMediaType', 'LeaseMismatch'],
  }),
};
