import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { CodeFactory } from './function-with-log-group.ts';

/** Settings of one work queue. */
export interface TributaryQueueProps {
  /** How long a received message stays invisible to other consumers: whole seconds, at most 12 hours. */
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the queue's dead-letter queue: 1..1000. */
  readonly maxReceiveCount: number;
}

/** How callers of the HTTP API authenticate. */
export type TributaryAuthorization =
  | { readonly mode: 'iam' }
  | {
      readonly mode: 'jwt';
      /** The https:// URL of the identity provider that issues the tokens. */
      readonly issuer: string;
      /** Accepted `aud` claims (or client ids); at least one. */
      readonly audience: readonly string[];
    };

/** Stage-wide throttling of the HTTP API. */
export interface TributaryThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

export interface TributaryProps {
  /**
   * Work queues, by name. Each gets a dead-letter queue, SSE and an SSL-only policy.
   * @default - the queues of tributary.config.json
   */
  readonly queues?: Readonly<Record<string, TributaryQueueProps>>;
  /**
   * How API callers authenticate. IAM means SigV4-signed requests, which lets
   * `grantWorker` scope a worker to exactly the worker routes.
   * @default { mode: 'iam' }
   */
  readonly authorization?: TributaryAuthorization;
  /**
   * What happens to the table, queues and log groups when they leave the stack.
   * The table also gets deletion protection unless this is DESTROY.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of every log group (functions and API access logs).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How often the sweeper runs: whole minutes, at least 1 (EventBridge granularity).
   * @default Duration.minutes(1)
   */
  readonly sweeperInterval?: Duration;
  /**
   * How long a finished process is kept before DynamoDB TTL deletes it: whole days.
   * Handlers read it from `TRIBUTARY_RETENTION_DAYS` when they write `expiresAt`.
   * @default Duration.days(30)
   */
  readonly processRetention?: Duration;
  /**
   * Throttling of the API's default stage.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: TributaryThrottle;
  /**
   * Topic that every alarm notifies (on ALARM and on OK).
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * A work queue alarms when its oldest message is older than this: work is
   * waiting and no worker is taking it.
   * @default Duration.minutes(15)
   */
  readonly oldestMessageAlarmThreshold?: Duration;
  /**
   * Testing hook: builds function code from a handler entry instead of bundling
   * it with esbuild, so that unit tests synthesize in milliseconds.
   * @default - every handler is bundled with the local esbuild
   */
  readonly codeFactory?: CodeFactory;
}
