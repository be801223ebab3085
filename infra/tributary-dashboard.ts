import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { TributaryAlarms } from './tributary-alarms.ts';

export interface TributaryDashboardProps {
  readonly alarms: TributaryAlarms;
  readonly stage: apigw.IHttpStage;
  readonly table: dynamodb.ITable;
  /** Functions by a display name. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  readonly queues: Readonly<Record<string, sqs.IQueue>>;
  readonly dlqs: Readonly<Record<string, sqs.IQueue>>;
}

const PERIOD = Duration.minutes(5);
const WIDTH = 8;

/**
 * A CloudWatch dashboard of one Tributary: API traffic and errors, task
 * throughput, the sweeper, the work queues and their DLQs, DynamoDB, and the
 * state of every alarm.
 */
export class TributaryDashboard extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: TributaryDashboardProps) {
    super(scope, id);
    const m = props.alarms.metrics;
    const graph = (title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, right, width: WIDTH, height: 6 });
    const fns = Object.entries(props.functions);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph('API requests and errors', [props.stage.metricCount({ period: PERIOD }), props.stage.metricClientError({ period: PERIOD }), props.stage.metricServerError({ period: PERIOD })]),
          graph('API latency (p50, p99)', [props.stage.metricLatency({ period: PERIOD, statistic: 'p50' }), props.stage.metricLatency({ period: PERIOD, statistic: 'p99' })]),
          graph('Unexpected errors', [m.handledServerErrors, ...fns.map(([name, fn]) => fn.metricErrors({ period: PERIOD, label: `${name} errors` }))]),
        ],
        [
          graph('Tasks', [m.tasksScheduled, m.tasksCompleted, m.tasksFailed, m.tasksRetried, m.staleResultsRejected]),
          graph('Sweeper', [m.sweeperRuns, m.sweeperItemsExamined, m.sweeperErrors], [m.sweeperLag]),
          graph('Function duration (p99)', fns.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name }))),
        ],
        [
          graph('Work queues: visible messages', Object.entries(props.queues).map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, label: name }))),
          graph('Work queues: oldest message age (s)', Object.entries(props.queues).map(([name, q]) => q.metricApproximateAgeOfOldestMessage({ period: PERIOD, label: name }))),
          graph('DLQ depth', Object.entries(props.dlqs).map(([name, q]) => q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, label: name }))),
        ],
        [
          graph('DynamoDB capacity', [props.table.metricConsumedReadCapacityUnits({ period: PERIOD }), props.table.metricConsumedWriteCapacityUnits({ period: PERIOD })]),
          graph('DynamoDB throttles', [props.table.metric('ReadThrottleEvents', { period: PERIOD, statistic: 'Sum' }), props.table.metric('WriteThrottleEvents', { period: PERIOD, statistic: 'Sum' })]),
          new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: props.alarms.all, width: WIDTH, height: 6 }),
        ],
        [graph('Schedules and the start queue', [m.schedulerRuns, m.scheduleFires, m.schedulerErrors, m.queuedStarts, m.queuedStartsRejected])],
      ],
    });
  }
}
