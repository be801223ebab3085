import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { CodeFactory } from './function-with-log-group.ts';

/** Settings of one work queue. */
export interface TributaryQueueProps {
  /** How long a received message stays invisible to other consumers: whole seconds, at most 12 hours. */
  readonly visibilityTimeout: Duration;
  /** Receives before a message moves to the queue's dead-letter queue: 1..1000. */
  readonly maxReceiveCount: number;
}

/**
 * OAuth scopes that a JWT must carry for each group of routes. `GET /health`
 * needs none.
 */
export interface TributaryJwtScopes {
  /**
   * Every other GET: definitions, processes, active tasks.
   * @default 'tributary/read'
   */
  readonly read?: string;
  /**
   * PUT definitions, start and cancel processes.
   * @default 'tributary/control'
   */
  readonly control?: string;
  /**
   * Claim, heartbeat, complete and fail tasks.
   * @default 'tributary/work'
   */
  readonly work?: string;
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
      /**
       * Scopes each route group requires.
       * @default { read: 'tributary/read', control: 'tributary/control', work: 'tributary/work' }
       */
      readonly scopes?: TributaryJwtScopes;
    };

/** Stage-wide throttling of the HTTP API. */
export interface TributaryThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

/**
 * When the alarms fire. Each alarm looks at 5-minute periods and fires only
 * when `datapointsToAlarm` of the last `evaluationPeriods` periods breach, so
 * one transient error does not page anybody; a DLQ message always does.
 */
export interface TributaryAlarmThresholds {
  /**
   * Percentage of API requests answered with a 5xx in a period.
   * @default 5
   */
  readonly apiServerErrorRatePercent?: number;
  /**
   * Unexpected errors (handled 5xx responses, sweeper failures, Lambda errors) in a period.
   * @default 3
   */
  readonly unexpectedErrors?: number;
  /**
   * DynamoDB throttled requests in a period.
   * @default 5
   */
  readonly dynamoThrottles?: number;
  /**
   * The sweeper alarms when its oldest due item is older than this.
   * @default Duration.minutes(10)
   */
  readonly sweeperLag?: Duration;
  /**
   * Periods looked at per evaluation.
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods, out of `evaluationPeriods`, that fire an alarm.
   * @default 2
   */
  readonly datapointsToAlarm?: number;
}

/** Log levels of the handlers' structured logs. */
export type TributaryLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

export interface TributaryProps {
  /**
   * Work queues, by name. Each gets a dead-letter queue, SSE and an SSL-only policy.
   * @default { default: { visibilityTimeout: Duration.seconds(60), maxReceiveCount: 5 } }
   */
  readonly queues?: Readonly<Record<string, TributaryQueueProps>>;
  /**
   * The queue of tasks whose definition names none. It must be one of `queues`;
   * a deployment without a default queue is rejected.
   * @default 'default'
   */
  readonly defaultQueue?: string;
  /**
   * How API callers authenticate. IAM means SigV4-signed requests, which lets
   * `grantWorker` scope a worker to exactly the worker routes. JWT requires a
   * scope per route group.
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
   * Level of the handlers' structured (Powertools) logs; sets `POWERTOOLS_LOG_LEVEL`.
   * @default 'INFO'
   */
  readonly logLevel?: TributaryLogLevel;
  /**
   * CloudWatch namespace of the custom metrics (EMF). Each Tributary also gets
   * its own `service` dimension, so two deployments in one account do not mix.
   * @default 'Tributary'
   */
  readonly metricsNamespace?: string;
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
   * How many sweep-index partitions new entries spread over (each task's by
   * its own key, each process's by its id): an integer from 1 to 32.
   * Handlers read it from `TRIBUTARY_SWEEP_SHARDS`. Each shard takes about
   * 1,000 writes a second, so the default gives the index about 32,000. It
   * may be changed on a live stack: the sweeper reads all 32
   * possible shards on every pass, so no entry is stranded on a shard past
   * the new count.
   * @default 32
   */
  readonly sweepShards?: number;
  /**
   * Buckets that maps may read their items from (`itemsFrom`): the functions that expand maps (control, worker,
   * sweeper) get `s3:GetObject` on their objects, and `kms:Decrypt` on a bucket's key when it has one. Read only.
   * More can be granted later with `grantMapItems(bucket)`.
   * @default - none: a map with `itemsFrom` fails with MapItemsInvalid (access denied) until its bucket is granted
   */
  readonly mapItemBuckets?: readonly s3.IBucket[];
  /**
   * Throttling of the API's default stage.
   * @default { rateLimit: 100, burstLimit: 200 }
   */
  readonly throttle?: TributaryThrottle;
  /**
   * Topic that every alarm notifies (on ALARM and on OK).
   * @default - a new SNS topic (the `alarmTopic` field); subscribe to it
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * A work queue alarms when its oldest message is older than this: work is
   * waiting and no worker is taking it.
   * @default Duration.minutes(15)
   */
  readonly oldestMessageAlarmThreshold?: Duration;
  /**
   * Thresholds of the other alarms.
   * @default - see {@link TributaryAlarmThresholds}
   */
  readonly alarmThresholds?: TributaryAlarmThresholds;
  /**
   * Sets `NODE_OPTIONS=--enable-source-maps` on the functions, for stack traces
   * that name source files. It costs cold-start time (the maps are parsed at
   * start), so it is off unless you are debugging.
   * @default false
   */
  readonly enableSourceMaps?: boolean;
  /**
   * Testing hook: builds function code from a handler entry instead of using
   * the prebuilt bundles, so that unit tests synthesize in milliseconds.
   * @default - the bundles shipped in the package (or, in the repository, bundled with the local esbuild)
   */
  readonly codeFactory?: CodeFactory;
}
