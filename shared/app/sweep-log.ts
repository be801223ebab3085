import type { AppDeps } from './deps.ts';
import type { DueEntry, SweepPosition, SweepWalk } from './ports.ts';

/**
 * The sweep index as a log: each shard is read in `sweepAt` order from its
 * cursor, the last entry the sweeper settled. Why no entry is missed:
 * - every write that sets `sweepAt` sets it at or after its writer's now
 *   ({@link notBehind} where a time could lie in the past);
 * - the sweeper reads entries up to `now - sweepLagMs` (the horizon) and moves
 *   a cursor only past entries strictly before the horizon, so a write made at
 *   any time since lands ahead of every cursor. The lag covers an index that is
 *   eventually consistent and clocks that differ between writers (10 s on
 *   AWS); the in-memory table's index is updated with the write, on one clock,
 *   so it runs with 0 (DynamoDB Local's, updated with the write too, as well);
 * - an entry is passed only once it is settled: its work done (its evidence
 *   read), or moved ahead (the sweeper's `revisit` moves one it could not
 *   settle); if even that fails, the cursor stops before it.
 */

/** The latest `sweepAt` a sweep at `now` reads. */
export function sweepHorizon(deps: AppDeps, now: number): number {
  return now - (deps.settings.sweepLagMs ?? 0);
}

/** A due time that may lie in the past (a deadline), brought up to now: nothing is written behind a cursor. */
export function notBehind(deps: AppDeps, at: number): number {
  return Math.max(at, deps.now());
}

/**
 * Moves each shard's cursor past the entries of this walk that were settled,
 * in order, stopping at the first that was not, and at the horizon (an entry
 * at the horizon itself is read again: a write at that very moment could
 * still land beside it). Written only where the cursor moved. Answers how
 * many entries the cursors passed.
 */
export async function advanceCursors(deps: AppDeps, walk: SweepWalk, passed: ReadonlySet<DueEntry>, horizon: number): Promise<number> {
  const to = new Map<string, SweepPosition>();
  const stopped = new Set<string>();
  let count = 0;
  for (const entry of walk.entries) {
    if (stopped.has(entry.shard)) continue;
    if (!passed.has(entry) || entry.position.sweepAt >= horizon) {
      stopped.add(entry.shard);
      continue;
    }
    to.set(entry.shard, entry.position);
    count += 1;
  }
  await Promise.all(
    [...to].map(async ([shard, position]) => {
      try {
        await deps.sweepIndex.advance({ shard, to: position });
      } catch (error) {
        // The shard is read again from where it was: what was settled is read once more, nothing is lost.
        deps.log.error('a sweep cursor could not be moved', { shard, error: String(error) });
      }
    }),
  );
  return count;
}
