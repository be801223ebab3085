import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC } from '#observability/metric-names.ts';
import type { TributaryAlarmThresholds } from './tributary-props.ts';

export interface TributaryAlarmsProps {
  /** Work queues by name. */
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  /** Dead-letter queues by work queue name. */
  readonly dlqs: Readonly<Record<string, sqs.IQueue>>;
  /** The start queue's DLQ: refused start messages (each with its reason) and ones that kept failing. */
  readonly startDlq?: sqs.IQueue;
  /** Every Tributary function (API groups and sweeper). */
  readonly functions: readonly lambda.IFunction[];
  readonly stage: apigw.IHttpStage;
  readonly table: dynamodb.ITable;
  /** Namespace and `service` dimension of the handlers' custom metrics. */
  readonly metricsNamespace: string;
  readonly serviceName: string;
  /** How often the sweeper runs. */
  readonly sweeperInterval: Duration;
  /** Every alarm notifies this topic on ALARM and on OK. */
  readonly alarmTopic: sns.ITopic;
  /** Age of the oldest message in a work queue that counts as stuck work. */
  readonly oldestMessageThreshold: Duration;
  readonly thresholds?: TributaryAlarmThresholds;
}

/** Alarm period: AWS services publish every minute; five of them smooth out one-off blips. */
const PERIOD = Duration.minutes(5);

/**
 * The alarms an operator of Tributary needs, each with the topic as its action:
 * - API 5xx rate (percent of requests, not a single error);
 * - unexpected errors: handled 5xx responses (the `HandledServerErrors`
 *   metric the handlers emit, since they answer 500 instead of failing),
 *   Lambda errors (crashes, timeouts, a failed sweeper run) and throttles;
 * - DynamoDB throttled requests;
 * - the sweeper not running (no `SweeperRuns`), or lagging (`SweeperLag`);
 * - per work queue: a message in its DLQ, and the age of its oldest message.
 *
 * Rates and counts fire when `datapointsToAlarm` of `evaluationPeriods`
 * 5-minute periods breach (2 of 3 by default), so one transient error does not
 * page. A DLQ message always does. Missing data is not breaching, except for
 * the sweeper's heartbeat.
 */
export class TributaryAlarms extends Construct {
  public readonly apiServerErrorRate: cloudwatch.Alarm;
  public readonly handledServerErrors: cloudwatch.Alarm;
  public readonly functionErrors: cloudwatch.Alarm;
  public readonly functionThrottles: cloudwatch.Alarm;
  public readonly dynamoThrottles: cloudwatch.Alarm;
  public readonly sweeperNotRunning: cloudwatch.Alarm;
  public readonly sweeperLag: cloudwatch.Alarm;
  public readonly dlqDepth: cloudwatch.Alarm[] = [];
  public readonly oldestMessageAge: cloudwatch.Alarm[] = [];
  /** The start queue's DLQ holds messages: starts that were refused or kept failing. */
  public readonly startDlqDepth?: cloudwatch.Alarm;
  /** The custom metrics, for dashboards of your own. */
  public readonly metrics: Readonly<Record<keyof typeof METRIC, cloudwatch.Metric>>;

  private readonly action: SnsAction;
  private readonly evaluationPeriods: number;
  private readonly datapointsToAlarm: number;

  constructor(scope: Construct, id: string, props: TributaryAlarmsProps) {
    super(scope, id);
    const t = props.thresholds ?? {};
    this.action = new SnsAction(props.alarmTopic);
    this.evaluationPeriods = t.evaluationPeriods ?? 3;
    this.datapointsToAlarm = t.datapointsToAlarm ?? Math.min(2, this.evaluationPeriods);
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

    const custom = (metricName: string, statistic: string, period = PERIOD): cloudwatch.Metric =>
      new cloudwatch.Metric({ namespace: props.metricsNamespace, metricName, dimensionsMap: { service: props.serviceName }, statistic, period });
    this.metrics = Object.fromEntries(
      Object.entries(METRIC).map(([key, name]) => [key, custom(name, name === METRIC.sweeperLag ? cloudwatch.Stats.MAXIMUM : cloudwatch.Stats.SUM)]),
    ) as Record<keyof typeof METRIC, cloudwatch.Metric>;

    const rate = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
      usingMetrics: { errors: props.stage.metricServerError({ period: PERIOD, statistic: cloudwatch.Stats.SUM }), requests: props.stage.metricCount({ period: PERIOD, statistic: cloudwatch.Stats.SUM }) },
      label: 'API 5xx %',
      period: PERIOD,
    });
    this.apiServerErrorRate = this.alarm('ApiServerErrorRate', rate, t.apiServerErrorRatePercent ?? 5, above, 'Percentage of API requests answered with a 5xx');

    const unexpected = t.unexpectedErrors ?? 3;
    this.handledServerErrors = this.alarm(
      'HandledServerErrors',
      this.metrics.handledServerErrors,
      unexpected,
      atLeast,
      'API handlers answered 500 to unexpected errors (AccessDenied, missing table, bugs); see the function logs',
    );
    this.functionErrors = this.alarm('FunctionErrors', sumOf(props.functions, (fn) => fn.metricErrors({ period: PERIOD })), unexpected, atLeast, 'Tributary Lambda functions failed (crash, timeout, failed sweeper run)');
    this.functionThrottles = this.alarm('FunctionThrottles', sumOf(props.functions, (fn) => fn.metricThrottles({ period: PERIOD })), unexpected, atLeast, 'Tributary Lambda functions were throttled');

    const throttles = new cloudwatch.MathExpression({
      expression: 'SUM([reads, writes])',
      usingMetrics: {
        reads: props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        writes: props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: cloudwatch.Stats.SUM }),
      },
      label: 'DynamoDB throttle events',
      period: PERIOD,
    });
    this.dynamoThrottles = this.alarm('DynamoThrottles', throttles, t.dynamoThrottles ?? 5, atLeast, 'DynamoDB throttled requests to the Tributary table');

    // A period at least as long as the schedule, so that every period should hold a run.
    const sweepPeriod = Duration.seconds(Math.max(PERIOD.toSeconds(), props.sweeperInterval.toSeconds()));
    this.sweeperNotRunning = this.alarm(
      'SweeperNotRunning',
      custom(METRIC.sweeperRuns, cloudwatch.Stats.SUM, sweepPeriod),
      1,
      cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      'The sweeper has not completed a run: expired leases and owed messages are not being recovered',
      cloudwatch.TreatMissingData.BREACHING,
    );
    const lag = t.sweeperLag ?? Duration.minutes(10);
    this.sweeperLag = this.alarm('SweeperLag', this.metrics.sweeperLag, lag.toMilliseconds(), above, `The sweeper's oldest due item is older than ${lag.toHumanString()}: it is falling behind`);

    for (const [name, dlq] of Object.entries(props.dlqs)) {
      const metric = dlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
      const alarm = new cloudwatch.Alarm(this, `DlqDepth-${name}`, {
        metric,
        threshold: 0,
        comparisonOperator: above,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Dead-letter queue of work queue "${name}" holds messages`,
      });
      this.dlqDepth.push(this.withActions(alarm));
    }
    if (props.startDlq) {
      const metric = props.startDlq.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
      this.startDlqDepth = this.alarm('StartDlqDepth', metric, 0, above, 'The start queue\'s DLQ holds messages: starts refused (see each message\'s reason attribute) or failing');
    }
    const thresholdSeconds = props.oldestMessageThreshold.toSeconds();
    for (const [name, queue] of Object.entries(props.queues)) {
      const metric = queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
      this.oldestMessageAge.push(
        this.alarm(`OldestMessage-${name}`, metric, thresholdSeconds, above, `Work queue "${name}" has a message waiting longer than ${thresholdSeconds}s: no worker is consuming it`),
      );
    }
  }

  /** Every alarm, in creation order. */
  public get all(): cloudwatch.Alarm[] {
    return [
      this.apiServerErrorRate,
      this.handledServerErrors,
      this.functionErrors,
      this.functionThrottles,
      this.dynamoThrottles,
      this.sweeperNotRunning,
      this.sweeperLag,
      ...this.dlqDepth,
      ...this.oldestMessageAge,
      ...(this.startDlqDepth ? [this.startDlqDepth] : []),
    ];
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    comparisonOperator: cloudwatch.ComparisonOperator,
    description: string,
    treatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      comparisonOperator,
      evaluationPeriods: this.evaluationPeriods,
      datapointsToAlarm: this.datapointsToAlarm,
      treatMissingData,
      alarmDescription: description,
    });
    return this.withActions(alarm);
  }

  private withActions(alarm: cloudwatch.Alarm): cloudwatch.Alarm {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    return alarm;
  }
}

/** One expression summing a metric over several functions; SUM() skips a function that published nothing. */
function sumOf(functions: readonly lambda.IFunction[], metric: (fn: lambda.IFunction) => cloudwatch.IMetric): cloudwatch.MathExpression {
  const usingMetrics = Object.fromEntries(functions.map((fn, i) => [`f${i}`, metric(fn)]));
  return new cloudwatch.MathExpression({ expression: `SUM([${Object.keys(usingMetrics).join(', ')}])`, usingMetrics, period: PERIOD });
}
