export interface Progress {
  readonly total: number;
  readonly completed: number;
  /** Whole percent, rounded down so that 100 means everything is done. */
  readonly percent: number;
}

/**
 * Progress of a process as shown by the API.
 *
 * @example
 * progressOf(3, 2) // { total: 3, completed: 2, percent: 66 }
 * progressOf(0, 0) // { total: 0, completed: 0, percent: 0 }
 */
export function progressOf(total: number, completed: number): Progress {
  return { total, completed, percent: total === 0 ? 0 : Math.floor((100 * completed) / total) };
}
