import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './http-api-event.ts';

export interface LambdaContextOptions {
  readonly functionName: string;
  /** The function's timeout; `getRemainingTimeInMillis` counts down from it. */
  readonly timeoutMs: number;
  /** @default a random UUID */
  readonly awsRequestId?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default 1024 */
  readonly memoryLimitInMB?: number;
}

/**
 * A Lambda context with the fields the Node.js runtime provides. The deadline
 * is real: middy's early-timeout guard reads `getRemainingTimeInMillis`, so a
 * handler that would time out in Lambda times out here too.
 *
 * @example
 * await handler(event, createLambdaContext({ functionName: 'tributary-Health', timeoutMs: 29_000 }));
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const region = options.region ?? 'us-east-1';
  const deadline = Date.now() + options.timeoutMs;
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (what: string) => (): never => {
    throw new Error(`context.${what}() is not supported locally; return a value or a promise instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${options.functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: options.awsRequestId ?? randomUUID(),
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `${today}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
