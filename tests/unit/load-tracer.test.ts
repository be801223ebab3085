import { afterEach, describe, expect, it, vi } from 'vitest';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandlerOnceLoaded, loadTracer, tracingEnabled } from '#observability/load-tracer.ts';

const VARS = ['AWS_EXECUTION_ENV', 'POWERTOOLS_TRACE_ENABLED', 'AWS_SAM_LOCAL'] as const;
type Env = Partial<Record<(typeof VARS)[number], string>>;

/** The environments that decide tracing: in Lambda or not, the switch, the SAM CLI, Amplify's mock. */
const CASES: readonly { readonly name: string; readonly env: Env; readonly traces: boolean }[] = [
  { name: 'in Lambda', env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }, traces: true },
  { name: 'in Lambda with POWERTOOLS_TRACE_ENABLED=true', env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_TRACE_ENABLED: 'true' }, traces: true },
  { name: 'in Lambda with POWERTOOLS_TRACE_ENABLED=false', env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_TRACE_ENABLED: 'false' }, traces: false },
  { name: 'in Lambda with POWERTOOLS_TRACE_ENABLED=FALSE', env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_TRACE_ENABLED: 'FALSE' }, traces: false },
  { name: 'outside Lambda', env: {}, traces: false },
  { name: 'outside Lambda with POWERTOOLS_TRACE_ENABLED=true', env: { POWERTOOLS_TRACE_ENABLED: 'true' }, traces: false },
  { name: 'in the SAM CLI', env: { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_SAM_LOCAL: 'true' }, traces: false },
  { name: "in Amplify's mock", env: { AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' }, traces: false },
];

function stub(env: Env): void {
  for (const key of VARS) vi.stubEnv(key, env[key]);
}

describe('loadTracer', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each(CASES)("decides as Powertools' own Tracer does $name", ({ env, traces }) => {
    stub(env);
    expect(tracingEnabled(process.env)).toBe(traces);
    expect(new Tracer({ serviceName: 'test' }).isTracingEnabled()).toBe(traces);
  });

  it('gives the deployed function (in Lambda, tracing on) a Tracer that traces', async () => {
    stub({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' });
    const tracer = await loadTracer('tributary', process.env);
    expect(tracer).toBeInstanceOf(Tracer);
    expect(tracer!.isTracingEnabled()).toBe(true);
  });

  it('gives no Tracer where nothing is traced', async () => {
    expect(await loadTracer('tributary', {})).toBeUndefined();
    expect(await loadTracer('tributary', { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_TRACE_ENABLED: 'false' })).toBeUndefined();
  });

  it("runs Powertools' captureLambdaHandler once the tracer has loaded, and nothing without one", async () => {
    const calls: string[] = [];
    const handlerSegment = { close: () => calls.push('close') };
    const lambdaSegment = { addNewSubsegment: (name: string) => (calls.push(`open ${name}`), handlerSegment) };
    const fake = {
      isTracingEnabled: () => true,
      getSegment: () => lambdaSegment,
      setSegment: () => calls.push('setSegment'),
      annotateColdStart: () => calls.push('coldStart'),
      addServiceNameAnnotation: () => calls.push('service'),
      addResponseAsMetadata: () => calls.push('response'),
      addErrorAsMetadata: () => calls.push('error'),
    } as unknown as Tracer;
    let load!: (t: Tracer | undefined) => void;
    const middleware = captureLambdaHandlerOnceLoaded(new Promise((resolve) => (load = resolve)), { captureResponse: false });
    const request = { internal: {}, event: {}, context: {}, response: undefined, error: undefined } as never;
    const before = middleware.before!(request);
    expect(calls).toEqual([]);
    load(fake);
    await before;
    await middleware.after!(request);
    expect(calls).toEqual([`open ## ${process.env._HANDLER}`, 'setSegment', 'coldStart', 'service', 'close', 'setSegment']);

    const untraced = captureLambdaHandlerOnceLoaded(Promise.resolve(undefined), { captureResponse: false });
    await expect(untraced.before!(request)).resolves.toBeUndefined();
    await expect(untraced.after!(request)).resolves.toBeUndefined();
  });
});
