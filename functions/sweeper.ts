import { runtimeDeps } from '#app/runtime-deps.ts';
import { sweep, type SweepStats } from '#app/sweep.ts';

/**
 * The recovery sweeper, on an EventBridge schedule (and on an interval in the
 * local stack). It queries the sparse sweep index; it never scans the table.
 */
export const handler = async (): Promise<SweepStats> => {
  const deps = runtimeDeps();
  const stats = await sweep(deps);
  if (stats.examined > 0) console.log(JSON.stringify({ level: 'INFO', message: 'sweep', ...stats }));
  return stats;
};
