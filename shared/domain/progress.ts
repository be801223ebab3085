export interface Progress {
  readonly total: number;
  readonly completed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
  /** Whole percent of tasks in a final status, rounded down so that 100 means everything has ended. */
  readonly percent: number;
}

/** How many tasks ended each way. */
export interface FinalCounts {
  readonly completed: number;
  readonly failed?: number;
  readonly skipped?: number;
  readonly cancelled?: number;
}

/**
 * Progress of a process as shown by the API: every ended process shows 100,
 * and a process without failures shows the same percent as its completions.
 *
 * @example
 * progressOf(3, { completed: 2 })               // { total: 3, completed: 2, failed: 0, skipped: 0, cancelled: 0, percent: 66 }
 * progressOf(4, { completed: 1, skipped: 3 })   // percent: 100
 * progressOf(0, { completed: 0 })               // percent: 0
 */
export function progressOf(total: number, counts: FinalCounts): Progress {
  const { completed, failed = 0, skipped = 0, cancelled = 0 } = counts;
  const ended = completed + failed + skipped + cancelled;
  return { total, completed, failed, skipped, cancelled, percent: total === 0 ? 0 : Math.floor((100 * ended) / total) };
}
