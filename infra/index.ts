/**
 * The CDK construct library: `import { Tributary } from 'tributary/cdk'`.
 *
 * @example
 * import { Tributary } from 'tributary/cdk';
 * const tributary = new Tributary(this, 'Tributary', {
 *   queues: { default: { visibilityTimeout: Duration.minutes(5), maxReceiveCount: 5 } },
 * });
 */
export {
  DEFAULT_JWT_SCOPES,
  Tributary,
  type TributaryAlarmThresholds,
  type TributaryAuthorization,
  type TributaryJwtScopes,
  type TributaryLogLevel,
  type TributaryProps,
  type TributaryQueueProps,
  type TributaryThrottle,
} from './tributary.ts';
export { TributaryPropsError } from './check-tributary-props.ts';
export { TributaryAlarms, type TributaryAlarmsProps } from './tributary-alarms.ts';
export { TributaryDashboard, type TributaryDashboardProps } from './tributary-dashboard.ts';
export { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from './check-environment-size.ts';
export type { CodeFactory } from './function-with-log-group.ts';
export { METRIC } from '#observability/metric-names.ts';
