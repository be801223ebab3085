import { z } from 'zod';

/**
 * The top-level `concurrency:` key of a definition (issue 18, process
 * concurrency): at most `limit` processes of the definition (all versions)
 * RUNNING or PAUSED at once per value of `key`, and what a start over the
 * limit does (`onLimit`). The key's CEL expression is checked in
 * `#domain/process-concurrency.ts`, with its position.
 */

/** What a start over the limit does. */
export const ON_LIMIT_POLICIES = ['queue', 'rejectNew', 'cancelOldest'] as const;
export type OnLimitPolicy = (typeof ON_LIMIT_POLICIES)[number];

/** The largest `concurrency.limit`. */
export const MAX_PROCESS_CONCURRENCY = 10_000;

const limitMessage = `concurrency.limit must be a whole number from 1 to ${MAX_PROCESS_CONCURRENCY.toLocaleString('en-US')}`;
const onLimitMessage = `concurrency.onLimit must be one of: ${ON_LIMIT_POLICIES.join(', ')}`;

export const ProcessConcurrencyDocumentSchema = z.strictObject(
  {
    limit: z.number({ error: limitMessage }).int(limitMessage).min(1, limitMessage).max(MAX_PROCESS_CONCURRENCY, limitMessage),
    key: z.string({ error: 'concurrency.key must be a CEL expression over the input (text), e.g. input.tenantId' }).min(1, 'concurrency.key must not be empty').optional(),
    onLimit: z.enum(ON_LIMIT_POLICIES, { error: onLimitMessage }).optional(),
  },
  { error: (iss) => (iss.code === 'invalid_type' ? 'concurrency must be a mapping with a limit, e.g. { limit: 3, key: input.tenantId }' : undefined) },
);
export type ProcessConcurrencyDocument = z.infer<typeof ProcessConcurrencyDocumentSchema>;

/** The normalised form (the default `onLimit: queue` applied): what is stored and hashed. */
export const ProcessConcurrencySpecSchema = z.object({
  limit: z.number().int().positive(),
  key: z.string().optional(),
  onLimit: z.enum(ON_LIMIT_POLICIES),
});
export type ProcessConcurrencySpec = z.infer<typeof ProcessConcurrencySpecSchema>;
