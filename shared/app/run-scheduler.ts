import type { AppDeps } from './deps.ts';
import { stepSchedule } from './fire-schedule.ts';

/** Schedules one scheduler run looks at, at most: the rest stay due for the next tick. */
const SCHEDULES_PER_RUN = 100;

export interface SchedulerStats {
  /** Due schedules looked at. */
  readonly examined: number;
  /** Fires handled (started, skipped, buffered, missed, …). */
  readonly fired: number;
  readonly errors: number;
}

/**
 * One scheduler run (the deployed function's, once a minute; the local
 * stack's timer; the test engine's rounds): every schedule whose due time has
 * passed, found through the due index (never a scan), gets one step. A failed
 * step is logged and left due: the next run redoes it, exactly once.
 *
 * @example
 * const { fired } = await runScheduler(deps);
 */
export async function runScheduler(deps: AppDeps): Promise<SchedulerStats> {
  const start = deps.now();
  const deadline = start + deps.settings.sweepFollowUpBudgetMs;
  const names = await deps.schedules.due({ now: start, maxItems: SCHEDULES_PER_RUN });
  let fired = 0;
  let errors = 0;
  for (const name of new Set(names)) {
    // The run's budget is shared: what is left stays due for the next tick.
    if (deps.now() >= deadline) break;
    try {
      const step = await stepSchedule(deps, name, { budgetMs: deadline - deps.now() });
      fired += step?.fired.length ?? 0;
    } catch (error) {
      errors++;
      deps.log.error('schedule step failed', { schedule: name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { examined: names.length, fired, errors };
}
