import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface TributaryAlarmsProps {
  /** Work queues by name. */
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  /** Dead-letter queues by work queue name. */
  readonly dlqs: Readonly<Record<string, sqs.IQueue>>;
  readonly functions: readonly lambda.IFunction[];
  /** @default - no alarm actions */
  readonly alarmTopic?: sns.ITopic;
  /** Age of the oldest message in a work queue that counts as stuck work. */
  readonly oldestMessageThreshold: Duration;
}

/** Alarm period: SQS and Lambda publish these metrics every minute; five of them smooth out one-off blips. */
const PERIOD = Duration.minutes(5);

/**
 * The alarms an operator of Tributary needs:
 * - a message in any DLQ (depth > 0): a task exhausted its receives and needs a look;
 * - any Lambda error or throttle (>= 1 in 5 minutes): handlers map expected
 *   failures to HTTP responses, so an Errors datapoint is a crash or timeout;
 * - a work queue whose oldest message is older than `oldestMessageThreshold`
 *   (default 15 minutes): work is waiting and no worker is taking it.
 *
 * Missing data is not breaching: idle queues and functions publish nothing.
 */
export class TributaryAlarms extends Construct {
  public readonly dlqDepth: cloudwatch.Alarm[] = [];
  public readonly oldestMessageAge: cloudwatch.Alarm[] = [];
  public readonly functionErrors: cloudwatch.Alarm[] = [];
  public readonly functionThrottles: cloudwatch.Alarm[] = [];

  private readonly action: SnsAction | undefined;

  constructor(scope: Construct, id: string, props: TributaryAlarmsProps) {
    super(scope, id);
    this.action = props.alarmTopic ? new SnsAction(props.alarmTopic) : undefined;

    for (const [name, dlq] of Object.entries(props.dlqs)) {
      const metric = dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
      this.dlqDepth.push(this.alarm(`DlqDepth-${name}`, metric, 0, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, `Dead-letter queue of work queue "${name}" holds messages`));
    }
    const thresholdSeconds = props.oldestMessageThreshold.toSeconds();
    for (const [name, queue] of Object.entries(props.queues)) {
      const metric = queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
      this.oldestMessageAge.push(
        this.alarm(`OldestMessage-${name}`, metric, thresholdSeconds, cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD, `Work queue "${name}" has a message waiting longer than ${thresholdSeconds}s: no worker is consuming it`),
      );
    }
    for (const fn of props.functions) {
      const id = fn.node.scope?.node.id ?? fn.node.id;
      const atLeastOne = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
      this.functionErrors.push(this.alarm(`Errors-${id}`, fn.metricErrors({ period: PERIOD }), 1, atLeastOne, `Lambda ${id} failed (crash or timeout)`));
      this.functionThrottles.push(this.alarm(`Throttles-${id}`, fn.metricThrottles({ period: PERIOD }), 1, atLeastOne, `Lambda ${id} was throttled`));
    }
  }

  /** Every alarm, in creation order. */
  public get all(): cloudwatch.Alarm[] {
    return [...this.dlqDepth, ...this.oldestMessageAge, ...this.functionErrors, ...this.functionThrottles];
  }

  private alarm(id: string, metric: cloudwatch.IMetric, threshold: number, comparisonOperator: cloudwatch.ComparisonOperator, description: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (this.action) {
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
    }
    return alarm;
  }
}
