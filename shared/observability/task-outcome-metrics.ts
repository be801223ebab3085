import { METRIC } from './metric-names.ts';
import { countMetric } from './powertools.ts';

/**
 * `onResult` for the worker routes: counts `success` on a 2xx, and a stale
 * result on a 409 (a lease that was lost, or a task that is no longer active).
 */
export function taskOutcomeMetrics(success?: string): (status: number) => void {
  return (status) => {
    if (status >= 200 && status < 300 && success !== undefined) countMetric(success);
    if (status === 409) countMetric(METRIC.staleResultsRejected);
  };
}
