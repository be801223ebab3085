import type middy from '@middy/core';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';

/**
 * Whether Powertools' Tracer would trace in a process with this environment: the rule of its
 * `setTracingEnabled`, read from the same variables. It traces in Lambda (`AWS_EXECUTION_ENV` set), unless
 * `POWERTOOLS_TRACE_ENABLED` is `false`, or the process is the SAM CLI (`AWS_SAM_LOCAL`) or Amplify's mock
 * (`AWS_EXECUTION_ENV=AWS_Lambda_amplify-mock`). `tests/unit/load-tracer.test.ts` holds the rule to the Tracer's own.
 */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const executionEnv = env.AWS_EXECUTION_ENV?.trim() ?? '';
  if ((env.POWERTOOLS_TRACE_ENABLED?.trim() ?? '').toLowerCase() === 'false') return false;
  if (executionEnv === '' || executionEnv === 'AWS_Lambda_amplify-mock') return false;
  return (env.AWS_SAM_LOCAL?.trim() ?? '') === '';
}

/**
 * The handlers' Tracer where it traces, else `undefined`: the Tracer is imported only then. Importing it loads
 * the X-Ray SDK, which installs `cls-hooked`'s async hooks with destroy tracking at import; in a process that does
 * not trace (the local stack, the test engine, tests) those hooks cost every promise some CPU and trace nothing.
 * A deployed function runs in Lambda with tracing on and gets the Tracer as before. (A dynamic import, awaited by
 * the caller: the testing library is also built as CommonJS, where a top-level await cannot be.)
 */
export async function loadTracer(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracer | undefined> {
  if (!tracingEnabled(env)) return undefined;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  return new Tracer({ serviceName });
}

/**
 * Powertools' `captureLambdaHandler` middleware for a tracer that is still loading: each step waits for it first.
 * In Lambda the import is bundled and resolves before the first invocation; the wait is then a resolved promise.
 */
export function captureLambdaHandlerOnceLoaded(
  loaded: Promise<Tracer | undefined>,
  options: Parameters<typeof captureLambdaHandler>[1],
): middy.MiddlewareObj {
  let inner: Promise<middy.MiddlewareObj> | undefined;
  const capture = (): Promise<middy.MiddlewareObj> => (inner ??= loaded.then((tracer) => (tracer ? captureLambdaHandler(tracer, options) : {})));
  return {
    before: async (request) => (await capture()).before?.(request),
    after: async (request) => (await capture()).after?.(request),
    onError: async (request) => (await capture()).onError?.(request),
  };
}
