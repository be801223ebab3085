import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { runtimeDeps } from '#app/runtime-deps.ts';
import { sweep, type SweepStats } from '#app/sweep.ts';
import { METRIC } from '#observability/metric-names.ts';
import { countMetric, flushMetrics, logger, metrics, MetricUnit, traceHandler, tracing } from '#observability/powertools.ts';

/**
 * The recovery sweeper, on an EventBridge schedule (and on an interval in the
 * local stack). It queries the sparse sweep index; it never scans the table.
 * Every successful run counts `SweeperRuns` (an alarm fires when runs stop) and
 * reports its lag: the age of the oldest due item. A run that throws counts in
 * `SweeperErrors` and fails the invocation.
 */
export const handler = (tracing ? middy().use(traceHandler()) : middy())
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (): Promise<SweepStats> => {
    try {
      const deps = runtimeDeps();
      const stats = await sweep(deps);
      countMetric(METRIC.sweeperRuns);
      metrics.addMetric(METRIC.sweeperItemsExamined, MetricUnit.Count, stats.examined);
      metrics.addMetric(METRIC.sweeperErrors, MetricUnit.Count, stats.errors);
      metrics.addMetric(METRIC.sweeperLag, MetricUnit.Milliseconds, stats.lagMs);
      countMetric(METRIC.tasksRetried, stats.reenqueued);
      if (stats.examined > 0) logger.info('sweep', { ...stats });
      return stats;
    } catch (error) {
      countMetric(METRIC.sweeperErrors);
      logger.error('sweep failed', error as Error);
      throw error;
    } finally {
      flushMetrics();
    }
  });
