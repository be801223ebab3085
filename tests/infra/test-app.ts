import { readFileSync } from 'node:fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { CodeFactory } from '../../infra/function-with-log-group.ts';
import { Tributary, type TributaryProps } from '../../infra/tributary.ts';

/** The context of cdk.json (feature flags), so that tests synthesize what `cdk synth` does. */
export const cdkContext: Record<string, unknown> = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * A new App with the feature flags of cdk.json. The built-in CloudFormation
 * rule check is off: it costs over a second per synthesis, and `cdk synth`
 * (part of `npm run verify`) runs it on the real template anyway.
 */
export function testApp(): App {
  return new App({ context: cdkContext, builtinCloudFormationValidation: false });
}

/** Inline code instead of esbuild bundles: unit tests look at the template, not at the code. */
export const inlineCode: CodeFactory = () => lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });');

export interface Synthesized {
  readonly stack: Stack;
  readonly tributary: Tributary;
  readonly template: Template;
}

/**
 * A stack holding one Tributary with inline code. `extend` runs before
 * synthesis, to add workers or grants.
 */
export function synthTributary(props: TributaryProps = {}, extend?: (stack: Stack, tributary: Tributary) => void): Synthesized {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const tributary = new Tributary(stack, 'Tributary', { codeFactory: inlineCode, ...props });
  extend?.(stack, tributary);
  return { stack, tributary, template: Template.fromStack(stack) };
}

/** A statement's actions as a sorted list, whether the template holds one action or many. */
export function actionsOf(statement: { Action: string | string[] }): string[] {
  return [statement.Action].flat().sort();
}
