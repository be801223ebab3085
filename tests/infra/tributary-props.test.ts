import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { TributaryPropsError } from '../../infra/check-tributary-props.ts';
import { TributaryStack } from '../../infra/tributary-stack.ts';
import { Tributary, type TributaryProps } from '../../infra/tributary.ts';
import { inlineCode, testApp } from './test-app.ts';

const queue = { visibilityTimeout: Duration.seconds(60), maxReceiveCount: 5 };

/** Constructs a Tributary without synthesizing: validation happens in the constructor. */
function construct(props: TributaryProps): Tributary {
  return new Tributary(new Stack(testApp(), 'Test'), 'Tributary', { codeFactory: inlineCode, ...props });
}

describe('Tributary prop validation', () => {
  const invalid: [string, TributaryProps, RegExp][] = [
    ['no queues', { queues: {} }, /queues must configure at least one queue/],
    ['an invalid queue name', { queues: { 'bad name!': queue } }, /queue name "bad name!" is invalid/],
    ['a queue name over 64 characters', { queues: { ['q'.repeat(65)]: queue } }, /queue name "q+" is invalid/],
    ['maxReceiveCount 0', { queues: { default: { ...queue, maxReceiveCount: 0 } } }, /queue "default": maxReceiveCount must be an integer from 1 to 1000, got 0/],
    ['fractional maxReceiveCount', { queues: { default: { ...queue, maxReceiveCount: 1.5 } } }, /maxReceiveCount must be an integer/],
    ['visibility timeout over 12 hours', { queues: { default: { ...queue, visibilityTimeout: Duration.hours(13) } } }, /visibilityTimeout must be whole seconds between 0 and 12 hours/],
    ['sub-second visibility timeout', { queues: { default: { ...queue, visibilityTimeout: Duration.millis(1500) } } }, /visibilityTimeout must be whole seconds/],
    ['jwt without issuer', { authorization: { mode: 'jwt', issuer: '', audience: ['a'] } }, /mode "jwt" needs an issuer/],
    ['jwt with a plain-http issuer', { authorization: { mode: 'jwt', issuer: 'http://idp.example.com', audience: ['a'] } }, /mode "jwt" needs an issuer: the https:\/\//],
    ['jwt without audience', { authorization: { mode: 'jwt', issuer: 'https://idp.example.com', audience: [] } }, /mode "jwt" needs a non-empty audience/],
    ['jwt with an empty audience entry', { authorization: { mode: 'jwt', issuer: 'https://idp.example.com', audience: [''] } }, /non-empty audience list of non-empty strings/],
    ['iam with jwt settings', { authorization: { mode: 'iam', issuer: 'https://idp.example.com' } as never }, /mode "iam" takes no issuer or audience/],
    ['an unknown authorization mode', { authorization: { mode: 'cognito' } as never }, /authorization mode must be "iam" or "jwt", got "cognito"/],
    ['sweeper interval under a minute', { sweeperInterval: Duration.seconds(30) }, /sweeperInterval must be whole minutes of at least 1 minute .*got 30s/],
    ['sweeper interval not whole minutes', { sweeperInterval: Duration.seconds(90) }, /sweeperInterval must be whole minutes.*got 90s/],
    ['process retention under a day', { processRetention: Duration.hours(12) }, /processRetention must be whole days of at least 1 day/],
    ['process retention not whole days', { processRetention: Duration.hours(36) }, /processRetention must be whole days/],
    ['no sweep shard', { sweepShards: 0 }, /sweepShards must be an integer from 1 to 32 .*got 0/],
    ['more sweep shards than the sweeper reads', { sweepShards: 33 }, /sweepShards must be an integer from 1 to 32 .*got 33/],
    ['a fractional sweep shard count', { sweepShards: 2.5 }, /sweepShards must be an integer/],
    ['throttle rate 0', { throttle: { rateLimit: 0, burstLimit: 10 } }, /throttle.rateLimit must be a positive number/],
    ['throttle burst fractional', { throttle: { rateLimit: 10, burstLimit: 2.5 } }, /throttle.burstLimit must be a positive integer/],
    ['oldest-message alarm under a minute', { oldestMessageAlarmThreshold: Duration.seconds(30) }, /oldestMessageAlarmThreshold must be at least 1 minute/],
    ['a bucket name instead of a list of buckets', { mapItemBuckets: 'acme-exports' as never }, /mapItemBuckets must be a list of buckets/],
    ['a bucket name in the list of buckets', { mapItemBuckets: ['acme-exports'] as never }, /mapItemBuckets\[0\] is not a bucket \(s3.IBucket\), got "acme-exports"; for a bucket name use s3.Bucket.fromBucketName/],
    ['removal policy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT }, /removalPolicy SNAPSHOT is not supported/],
    ['queues without a default queue', { queues: { fast: queue, slow: queue } }, /queues must include one named "default", or set defaultQueue to one of: fast, slow/],
    ['a defaultQueue that is not configured', { queues: { fast: queue }, defaultQueue: 'slow' }, /defaultQueue "slow" is not one of the configured queues: fast/],
    ['a JWT scope with a space', { authorization: { mode: 'jwt', issuer: 'https://idp.example.com', audience: ['a'], scopes: { read: 'a b' } } }, /scopes.read must be a non-empty scope name/],
    ['datapointsToAlarm above evaluationPeriods', { alarmThresholds: { evaluationPeriods: 2, datapointsToAlarm: 3 } }, /datapointsToAlarm must be an integer from 1 to evaluationPeriods \(2\), got 3/],
    ['a negative error threshold', { alarmThresholds: { unexpectedErrors: -1 } }, /alarmThresholds.unexpectedErrors must be a positive number/],
    ['so many queues that the environment may exceed 4 KB', { queues: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [i === 0 ? 'default' : `queue-number-${i}`, queue])) }, /environment of function .* may reach \d+ bytes once deployed, over Lambda's 4096-byte limit; the largest is TRIBUTARY_QUEUE_URLS/],
  ];

  it.each(invalid)('rejects %s', (_name, props, message) => {
    expect(() => construct(props)).toThrow(TributaryPropsError);
    expect(() => construct(props)).toThrow(message);
  });

  it('accepts the boundaries', () => {
    expect(() =>
      construct({
        queues: { 'a-b_C9': { visibilityTimeout: Duration.hours(12), maxReceiveCount: 1000 }, zero: { visibilityTimeout: Duration.seconds(0), maxReceiveCount: 1 } },
        defaultQueue: 'zero',
        authorization: { mode: 'jwt', issuer: 'https://idp.example.com', audience: ['a', 'b'], scopes: { read: 'r', control: 'c', work: 'w' } },
        alarmThresholds: { evaluationPeriods: 1, datapointsToAlarm: 1, sweeperLag: Duration.minutes(1) },
        sweeperInterval: Duration.minutes(1),
        processRetention: Duration.days(1),
        sweepShards: 1,
        throttle: { rateLimit: 0.5, burstLimit: 1 },
        oldestMessageAlarmThreshold: Duration.minutes(1),
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    ).not.toThrow();
  });

  it('accepts 15 queues: the 4 KB environment check leaves room for a realistic number', () => {
    const queues = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [i === 0 ? 'default' : `queue-${i}`, queue]));
    expect(() => construct({ queues })).not.toThrow();
  });

  it('rejects queue names whose stack outputs would collide', () => {
    expect(() => new TributaryStack(testApp(), 'Test', { tributary: { codeFactory: inlineCode, queues: { default: queue, 'a-b': queue, a_b: queue } } })).toThrow(
      /queues "a-b" and "a_b" would both output QueueUrlab/,
    );
  });
});
