import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME } from './metric-names.ts';
import type middy from '@middy/core';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandlerOnceLoaded, loadTracer, tracingEnabled } from './load-tracer.ts';

/**
 * The handlers' Powertools instances, one per Lambda container. The construct
 * configures them through Powertools' own variables: `POWERTOOLS_SERVICE_NAME`
 * (the metrics' `service` dimension), `POWERTOOLS_METRICS_NAMESPACE` and
 * `POWERTOOLS_LOG_LEVEL`. Outside Lambda there is no tracer (see `loadTracer`), and the logger
 * and metrics print to stdout, so the local stack shows the same lines.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
});

/**
 * The Tracer where Powertools traces (in Lambda, unless `POWERTOOLS_TRACE_ENABLED=false`), once loaded; else (and
 * until then) `undefined`. Handlers add {@link traceHandler} where {@link tracing}; AWS clients, created inside an
 * invocation, find it loaded.
 */
export let tracer: Tracer | undefined;

/** Whether this process traces (Powertools' own rule): only then is the Tracer loaded. */
export const tracing = tracingEnabled();

const tracerLoaded: Promise<Tracer | undefined> = tracing
  ? loadTracer(process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME).then((t) => (tracer = t))
  : Promise.resolve(undefined);

/** Powertools' `captureLambdaHandler(tracer, { captureResponse: false })`, waiting for the Tracer to load. */
export function traceHandler(): middy.MiddlewareObj {
  return captureLambdaHandlerOnceLoaded(tracerLoaded, { captureResponse: false });
}

/** Adds `value` to a count metric, flushed at the end of the invocation. */
export function countMetric(name: string, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Whether metrics are written: in Lambda, unless `POWERTOOLS_METRICS_DISABLED`
 * says otherwise. Outside Lambda (the local stack, tests) only when
 * `POWERTOOLS_METRICS_DISABLED=false`, so that the local sweeper does not
 * print an EMF line every tick.
 */
const publishMetrics =
  process.env.POWERTOOLS_METRICS_DISABLED !== undefined ? process.env.POWERTOOLS_METRICS_DISABLED === 'false' : process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;

/** Writes the invocation's metrics as one EMF line, if there are any (no warning for none). */
export function flushMetrics(): void {
  if (!metrics.hasStoredMetrics()) return;
  if (publishMetrics) metrics.publishStoredMetrics();
  else metrics.clearMetrics();
}

export { MetricUnit };
