import type { Tracer } from '@aws-lambda-powertools/tracer';

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
 * A deployed function runs in Lambda with tracing on and gets the Tracer exactly as before.
 */
export async function loadTracer(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracer | undefined> {
  if (!tracingEnabled(env)) return undefined;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  return new Tracer({ serviceName });
}
