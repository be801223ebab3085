import { z } from 'zod';
import { DEFAULT_SWEEP_SHARDS, MAX_SWEEP_SHARDS } from './table.ts';

/**
 * Environment variables the handlers read. The CDK construct sets them on
 * every function, and the local stack sets them in-process.
 */
export const ENV = {
  tableName: 'TRIBUTARY_TABLE_NAME',
  queueUrls: 'TRIBUTARY_QUEUE_URLS',
  /** Whole days a finished process is kept before DynamoDB TTL removes it. Optional. */
  retentionDays: 'TRIBUTARY_RETENTION_DAYS',
  /**
   * The queue of tasks whose definition names none (the construct's
   * `defaultQueue`, `default` unless set). Optional: absent means `default`.
   */
  defaultQueue: 'TRIBUTARY_DEFAULT_QUEUE',
  /** The start queue's DLQ, where the start-queue consumer sends messages that can never start a process. */
  startDlqUrl: 'TRIBUTARY_START_DLQ_URL',
  /** Base URL of the HTTP API, set on Lambda workers. */
  apiUrl: 'TRIBUTARY_API_URL',
  /** Optional tuning: how long a SCHEDULED task may wait unclaimed before its message is resent. */
  enqueueGraceMs: 'TRIBUTARY_ENQUEUE_GRACE_MS',
  /** Optional tuning: how long a process start may take before the sweeper finishes it. */
  followUpGraceMs: 'TRIBUTARY_FOLLOW_UP_GRACE_MS',
  /** Optional tuning: how far behind now the sweeper reads its log (ms; default 10 s: the index is eventually consistent). */
  sweepLagMs: 'TRIBUTARY_SWEEP_LAG_MS',
  /**
   * Optional: how many sweep shards new sweep-index entries spread over, an
   * integer from 1 to 32 (default 32). It may change at any time: the
   * sweeper reads every possible shard.
   */
  sweepShards: 'TRIBUTARY_SWEEP_SHARDS',
} as const;

const RuntimeEnvSchema = z.object({
  [ENV.tableName]: z.string().min(1),
  [ENV.queueUrls]: z
    .string()
    .min(2)
    .transform((s, ctx) => {
      try {
        return z.record(z.string(), z.string().min(1)).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: 'custom', message: `${ENV.queueUrls} must be a JSON object of queue name to URL` });
        return z.NEVER;
      }
    }),
  [ENV.defaultQueue]: z.string().min(1).optional(),
  [ENV.sweepShards]: z
    .string()
    .regex(/^\d+$/, `${ENV.sweepShards} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_SWEEP_SHARDS, `${ENV.sweepShards} must be from 1 to ${MAX_SWEEP_SHARDS}`))
    .optional(),
});

export interface RuntimeEnv {
  readonly tableName: string;
  /** Queue name to queue URL. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The queue of tasks whose definition names none. */
  readonly defaultQueue: string;
  /** How many sweep shards new entries spread over. */
  readonly sweepShards: number;
}

/** Reads and validates the handler environment. Throws at cold start when misconfigured. */
export function readRuntimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const parsed = RuntimeEnvSchema.parse(env);
  return {
    tableName: parsed[ENV.tableName],
    queueUrls: parsed[ENV.queueUrls],
    defaultQueue: parsed[ENV.defaultQueue] ?? 'default',
    sweepShards: parsed[ENV.sweepShards] ?? DEFAULT_SWEEP_SHARDS,
  };
}
