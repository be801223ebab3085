import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { runScheduler, type SchedulerStats } from '#app/run-scheduler.ts';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { METRIC } from '#observability/metric-names.ts';
import { countMetric, flushMetrics, logger, metrics, MetricUnit, traceHandler, tracing } from '#observability/powertools.ts';

/**
 * The schedules' scheduler, on a one-a-minute EventBridge rule (and on a
 * timer in the local stack). It finds the due schedules through their index
 * entries (never a scan) and fires what is due, exactly once per scheduled
 * time. A schedule whose step failed stays due for the next tick.
 */
export const handler = (tracing ? middy().use(traceHandler()) : middy())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (): Promise<SchedulerStats> => {
    try {
      const stats = await runScheduler(runtimeDeps());
      countMetric(METRIC.schedulerRuns);
      metrics.addMetric(METRIC.scheduleFires, MetricUnit.Count, stats.fired);
      metrics.addMetric(METRIC.schedulerErrors, MetricUnit.Count, stats.errors);
      if (stats.examined > 0) logger.info('scheduler', { ...stats });
      return stats;
    } catch (error) {
      countMetric(METRIC.schedulerErrors);
      logger.error('scheduler run failed', error as Error);
      throw error;
    } finally {
      flushMetrics();
    }
  });
