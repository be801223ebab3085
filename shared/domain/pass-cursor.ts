/**
 * Where a pass over a process's tasks stopped, stored as the process's
 * `resumeFrom` (one number, so the store port keeps its shape).
 *
 * A pass walks the definition's topological order (`dagOf(def).order`) a
 * chunk at a time; `position` is the index in that order of the next declared
 * task to look at. A pass with several walks over the order (a rerun resets
 * first, then schedules) numbers them with `phase`. `tally` is a count the
 * pass carries from chunk to chunk (a rerun's kept sinks, for the end
 * counter), so that a pass resumed after a crash counts exactly once: the
 * chunk the crash interrupted is redone from its start, with the tally as it
 * was before it.
 *
 * Room for indexed children (a map task's `TASK#<name>#<000042>`, a later
 * issue): they belong to their declared task's position, so a walk that pages
 * through them adds a sub-position below `position` (the span leaves 2^24
 * declared tasks per phase, far above any definition's limit).
 *
 * Pure.
 *
 * @example
 * decodeCursor(encodeCursor({ phase: 1, position: 300, tally: 7 })) // { phase: 1, position: 300, tally: 7 }
 * decodeCursor(0) // { phase: 0, position: 0, tally: 0 }: a pass from its start
 */
export interface PassCursor {
  readonly phase: number;
  readonly position: number;
  readonly tally: number;
}

/** Declared-task positions per phase. */
const POSITION_SPAN = 2 ** 24;
/** Phases per pass. */
const PHASES = 4;

export const START_CURSOR: PassCursor = { phase: 0, position: 0, tally: 0 };

export function encodeCursor(cursor: PassCursor): number {
  if (cursor.position >= POSITION_SPAN || cursor.phase >= PHASES || cursor.tally >= POSITION_SPAN) throw new RangeError(`cursor out of range: ${JSON.stringify(cursor)}`);
  return (cursor.tally * PHASES + cursor.phase) * POSITION_SPAN + cursor.position;
}

/** The cursor of a stored `resumeFrom` (absent: a pass from its start). */
export function decodeCursor(value: number | undefined): PassCursor {
  if (value === undefined) return START_CURSOR;
  const position = value % POSITION_SPAN;
  const rest = Math.floor(value / POSITION_SPAN);
  return { phase: rest % PHASES, position, tally: Math.floor(rest / PHASES) };
}
