import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { QueueNameSchema } from '#config/queues.ts';
import { MAX_SWEEP_SHARDS } from '#config/table.ts';
import type { TributaryAlarmThresholds, TributaryProps, TributaryQueueProps, TributaryThrottle } from './tributary-props.ts';

/** A `Tributary` was given props that cannot produce a working deployment. */
export class TributaryPropsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`Tributary: ${message}`, options);
    this.name = 'TributaryPropsError';
  }
}

/** SQS limit on a queue's visibility timeout (12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200;
/** SQS limit on a redrive policy's maxReceiveCount. */
const MAX_RECEIVE_COUNT = 1000;

/**
 * Rejects invalid or conflicting `Tributary` props before any resource exists,
 * so that a mistake fails `cdk synth` with a message that names the prop
 * instead of failing a CloudFormation deployment minutes later.
 *
 * @throws {@link TributaryPropsError} naming the first problem found.
 */
export function checkTributaryProps(props: TributaryProps): void {
  if (props.queues !== undefined) checkQueues(props.queues);
  checkDefaultQueue(props);
  checkAuthorization(props);
  if (props.alarmThresholds !== undefined) checkAlarmThresholds(props.alarmThresholds);
  if (props.sweeperInterval !== undefined) checkSweeperInterval(props.sweeperInterval);
  if (props.processRetention !== undefined) checkWholeDays('processRetention', props.processRetention);
  if (props.throttle !== undefined) checkThrottle(props.throttle);
  if (props.mapItemBuckets !== undefined) checkMapItemBuckets(props.mapItemBuckets);
  if (props.sweepShards !== undefined && (!Number.isInteger(props.sweepShards) || props.sweepShards < 1 || props.sweepShards > MAX_SWEEP_SHARDS)) {
    throw new TributaryPropsError(`sweepShards must be an integer from 1 to ${MAX_SWEEP_SHARDS} (the sweeper reads that many shards), got ${props.sweepShards}`);
  }
  if (props.oldestMessageAlarmThreshold !== undefined && !isResolved(props.oldestMessageAlarmThreshold)) {
    throw new TributaryPropsError('oldestMessageAlarmThreshold must be a concrete duration, not a token');
  }
  if (props.oldestMessageAlarmThreshold !== undefined && props.oldestMessageAlarmThreshold.toSeconds() < 60) {
    throw new TributaryPropsError('oldestMessageAlarmThreshold must be at least 1 minute (SQS publishes the metric once a minute)');
  }
  // SNAPSHOT is not a valid deletion policy for SQS queues or log groups, and a
  // table snapshot without the queues would not restore a consistent state anyway.
  if (props.removalPolicy === RemovalPolicy.SNAPSHOT) {
    throw new TributaryPropsError('removalPolicy SNAPSHOT is not supported; use RETAIN (default) or DESTROY');
  }
}

/** From JavaScript (no type check), a single bucket or a bucket name is an easy mistake: say so at synth. */
function checkMapItemBuckets(buckets: unknown): void {
  if (!Array.isArray(buckets)) throw new TributaryPropsError('mapItemBuckets must be a list of buckets (s3.IBucket[]), e.g. [s3.Bucket.fromBucketName(this, "Exports", "acme-exports")]');
  for (const [i, bucket] of buckets.entries()) {
    if (typeof (bucket as { arnForObjects?: unknown } | null)?.arnForObjects !== 'function') {
      throw new TributaryPropsError(`mapItemBuckets[${i}] is not a bucket (s3.IBucket), got ${JSON.stringify(bucket)}; for a bucket name use s3.Bucket.fromBucketName`);
    }
  }
}

function checkQueues(queues: Readonly<Record<string, TributaryQueueProps>>): void {
  const names = Object.keys(queues);
  if (names.length === 0) throw new TributaryPropsError('queues must configure at least one queue');
  for (const name of names) {
    if (!QueueNameSchema.safeParse(name).success) {
      throw new TributaryPropsError(`queue name "${name}" is invalid: queue names are 1..64 of A-Z a-z 0-9 _ -`);
    }
    const { visibilityTimeout, maxReceiveCount } = queues[name]!;
    if (!isResolved(visibilityTimeout)) throw new TributaryPropsError(`queue "${name}": visibilityTimeout must be a concrete duration`);
    const seconds = visibilityTimeout.toMilliseconds() / 1000;
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_VISIBILITY_SECONDS) {
      throw new TributaryPropsError(`queue "${name}": visibilityTimeout must be whole seconds between 0 and 12 hours, got ${seconds}s`);
    }
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > MAX_RECEIVE_COUNT) {
      throw new TributaryPropsError(`queue "${name}": maxReceiveCount must be an integer from 1 to ${MAX_RECEIVE_COUNT}, got ${maxReceiveCount}`);
    }
  }
}

/**
 * Tasks whose definition names no queue go to the default queue. Without one
 * they would be SCHEDULED on a queue that does not exist, and never run.
 */
function checkDefaultQueue(props: TributaryProps): void {
  const names = Object.keys(props.queues ?? { default: null });
  const defaultQueue = props.defaultQueue ?? 'default';
  if (!names.includes(defaultQueue)) {
    throw new TributaryPropsError(
      props.defaultQueue === undefined
        ? `queues must include one named "default", or set defaultQueue to one of: ${names.join(', ')} (tasks without a queue go there)`
        : `defaultQueue "${defaultQueue}" is not one of the configured queues: ${names.join(', ')}`,
    );
  }
}

function checkAlarmThresholds(t: TributaryAlarmThresholds): void {
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) throw new TributaryPropsError(`alarmThresholds.${name} must be a positive number, got ${value}`);
  };
  positive('apiServerErrorRatePercent', t.apiServerErrorRatePercent);
  positive('unexpectedErrors', t.unexpectedErrors);
  positive('dynamoThrottles', t.dynamoThrottles);
  const periods = t.evaluationPeriods ?? 3;
  const datapoints = t.datapointsToAlarm ?? Math.min(2, periods);
  if (!Number.isInteger(periods) || periods < 1) throw new TributaryPropsError(`alarmThresholds.evaluationPeriods must be a positive integer, got ${periods}`);
  if (!Number.isInteger(datapoints) || datapoints < 1 || datapoints > periods) {
    throw new TributaryPropsError(`alarmThresholds.datapointsToAlarm must be an integer from 1 to evaluationPeriods (${periods}), got ${datapoints}`);
  }
  if (t.sweeperLag !== undefined && (t.sweeperLag.isUnresolved() || t.sweeperLag.toSeconds() < 60)) {
    throw new TributaryPropsError('alarmThresholds.sweeperLag must be a concrete duration of at least 1 minute');
  }
}

function checkAuthorization(props: TributaryProps): void {
  const auth = props.authorization;
  if (auth === undefined || auth.mode === 'iam') {
    if (auth !== undefined && ('issuer' in auth || 'audience' in auth)) {
      throw new TributaryPropsError('authorization mode "iam" takes no issuer or audience; use mode "jwt" for a JWT authorizer');
    }
    return;
  }
  if (auth.mode !== 'jwt') {
    throw new TributaryPropsError(`authorization mode must be "iam" or "jwt", got "${String((auth as { mode: unknown }).mode)}"`);
  }
  if (typeof auth.issuer !== 'string' || !/^https:\/\/\S+$/.test(auth.issuer)) {
    throw new TributaryPropsError('authorization mode "jwt" needs an issuer: the https:// URL of the identity provider');
  }
  if (!Array.isArray(auth.audience) || auth.audience.length === 0 || auth.audience.some((a) => typeof a !== 'string' || a === '')) {
    throw new TributaryPropsError('authorization mode "jwt" needs a non-empty audience list of non-empty strings');
  }
  for (const [group, scope] of Object.entries(auth.scopes ?? {})) {
    if (scope !== undefined && (typeof scope !== 'string' || !/^\S+$/.test(scope))) {
      throw new TributaryPropsError(`authorization scopes.${group} must be a non-empty scope name without spaces`);
    }
  }
}

function checkSweeperInterval(interval: Duration): void {
  if (!isResolved(interval)) throw new TributaryPropsError('sweeperInterval must be a concrete duration, not a token');
  const seconds = interval.toMilliseconds() / 1000;
  // EventBridge rate schedules have one-minute granularity.
  if (seconds < 60 || seconds % 60 !== 0) {
    throw new TributaryPropsError(`sweeperInterval must be whole minutes of at least 1 minute (EventBridge granularity), got ${seconds}s`);
  }
}

function checkWholeDays(prop: string, value: Duration): void {
  if (!isResolved(value)) throw new TributaryPropsError(`${prop} must be a concrete duration, not a token`);
  const days = value.toMilliseconds() / Duration.days(1).toMilliseconds();
  if (!Number.isInteger(days) || days < 1) {
    throw new TributaryPropsError(`${prop} must be whole days of at least 1 day, got ${value.toHumanString()}`);
  }
}

function checkThrottle({ rateLimit, burstLimit }: TributaryThrottle): void {
  if (!Number.isFinite(rateLimit) || rateLimit <= 0) {
    throw new TributaryPropsError(`throttle.rateLimit must be a positive number of requests per second, got ${rateLimit}`);
  }
  if (!Number.isInteger(burstLimit) || burstLimit < 1) {
    throw new TributaryPropsError(`throttle.burstLimit must be a positive integer, got ${burstLimit}`);
  }
}

function isResolved(d: Duration): boolean {
  return !d.isUnresolved();
}
