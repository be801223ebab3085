import { App, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TributaryStack } from './tributary-stack.ts';

/**
 * The CDK app (`cdk synth`, `cdk deploy`). Optional context:
 * - `alarmTopicArn`: SNS topic that the alarms notify;
 * - `removalPolicy=destroy`: let `cdk destroy` delete the table and queues (development stacks only).
 */
const app = new App();
// Every finding fails synthesis unless acknowledged with a reason next to the resource.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

const alarmTopicArn: unknown = app.node.tryGetContext('alarmTopicArn');
const destroy = app.node.tryGetContext('removalPolicy') === 'destroy';

new TributaryStack(app, 'Tributary', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  alarmTopicArn: typeof alarmTopicArn === 'string' && alarmTopicArn !== '' ? alarmTopicArn : undefined,
  tributary: { removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN },
});
