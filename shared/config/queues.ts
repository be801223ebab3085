import { z } from 'zod';
import rawConfig from '../../tributary.config.json' with { type: 'json' };

/** Settings of one work queue. */
export const QueueSettingsSchema = z.strictObject({
  /** How long a received message stays invisible to other consumers. */
  visibilityTimeoutSeconds: z.number().int().min(0).max(43_200).default(60),
  /** Receives before a message moves to the queue's DLQ. */
  maxReceiveCount: z.number().int().min(1).max(1000).default(5),
});
export type QueueSettings = z.infer<typeof QueueSettingsSchema>;

/** Queue names follow SQS naming rules, so that they map 1:1 onto real queues. */
export const QueueNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'queue names are 1..64 of A-Z a-z 0-9 _ -');

export const TributaryConfigSchema = z
  .object({
    $comment: z.string().optional(),
    queues: z
      .record(QueueNameSchema, QueueSettingsSchema)
      .refine((q) => Object.keys(q).length > 0, 'at least one queue must be configured'),
    /** The queue of a task that names none. @default 'default', when such a queue is configured */
    defaultQueue: QueueNameSchema.optional(),
  })
  .refine((c) => c.defaultQueue === undefined || c.defaultQueue in c.queues, {
    message: 'defaultQueue must name one of the configured queues',
    path: ['defaultQueue'],
  });
export type TributaryConfig = z.infer<typeof TributaryConfigSchema>;

/**
 * The project's queue configuration (tributary.config.json), validated.
 * Both the local stack and the CDK app read it, so the two cannot drift apart.
 *
 * @example
 * Object.keys(tributaryConfig.queues) // ['default']
 */
export const tributaryConfig: TributaryConfig = TributaryConfigSchema.parse(rawConfig);

/** The queue named `default`: the default queue unless the configuration names another. */
export const DEFAULT_QUEUE = 'default';

/**
 * The queue a task goes to when its definition names none: the configured
 * `defaultQueue`, else the queue named `default`, as long as it is one of the
 * deployment's queues. Undefined when there is none: every task must then
 * name its queue, and a definition that leaves one out is rejected at PUT.
 *
 * @example
 * defaultQueueOf(['default', 'gpu']) // 'default'
 * defaultQueueOf(['fast', 'gpu']) // undefined
 * defaultQueueOf(['fast', 'gpu'], 'fast') // 'fast'
 */
export function defaultQueueOf(queues: readonly string[], configured: string | undefined = tributaryConfig.defaultQueue): string | undefined {
  if (configured !== undefined) return queues.includes(configured) ? configured : undefined;
  return queues.includes(DEFAULT_QUEUE) ? DEFAULT_QUEUE : undefined;
}
