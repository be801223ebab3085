import { z } from 'zod';

/**
 * The flow-control keys of a task (issue 18): `concurrency` (at most `limit`
 * of its attempts RUNNING at once, across processes, per key) and `rateLimit`
 * (at most `limit` claims start in any window of `periodSeconds`, per key).
 * Their shape as written is also their normalised form; the keys' CEL is
 * checked in `#domain/task-limits.ts`.
 */

/** Largest `concurrency.limit` and `rateLimit.limit`: one slot item each, read in one query. */
export const MAX_TASK_LIMIT = 1000;
/** Longest `rateLimit.periodSeconds` (one day). */
export const MAX_RATE_PERIOD_SECONDS = 86_400;

const limitMessage = (key: string) => `${key}.limit must be a whole number from 1 to ${MAX_TASK_LIMIT}`;
const keyMessage = (key: string) => `${key}.key must be a CEL expression (text) over input and upstream`;
const periodMessage = `rateLimit.periodSeconds must be a whole number of seconds from 1 to ${MAX_RATE_PERIOD_SECONDS}`;

/** `concurrency:` on a task: `{ limit, key? }`. */
export const TaskConcurrencySchema = z.strictObject(
  {
    limit: z.number({ error: limitMessage('concurrency') }).int(limitMessage('concurrency')).min(1, limitMessage('concurrency')).max(MAX_TASK_LIMIT, limitMessage('concurrency')),
    key: z.string({ error: keyMessage('concurrency') }).optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'concurrency must be a mapping, e.g. { limit: 5, key: "input.tenantId" }' : undefined) },
);
export type TaskConcurrency = z.infer<typeof TaskConcurrencySchema>;

/** `rateLimit:` on a task: `{ limit, periodSeconds, key? }`. */
export const TaskRateLimitSchema = z.strictObject(
  {
    limit: z.number({ error: limitMessage('rateLimit') }).int(limitMessage('rateLimit')).min(1, limitMessage('rateLimit')).max(MAX_TASK_LIMIT, limitMessage('rateLimit')),
    periodSeconds: z.number({ error: periodMessage }).int(periodMessage).min(1, periodMessage).max(MAX_RATE_PERIOD_SECONDS, periodMessage),
    key: z.string({ error: keyMessage('rateLimit') }).optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'rateLimit must be a mapping, e.g. { limit: 5, periodSeconds: 2 }' : undefined) },
);
export type TaskRateLimit = z.infer<typeof TaskRateLimitSchema>;

/** The two keys, spread into a task's options and into its normalised spec. */
export const taskLimitKeys = {
  concurrency: TaskConcurrencySchema.optional(),
  rateLimit: TaskRateLimitSchema.optional(),
};
