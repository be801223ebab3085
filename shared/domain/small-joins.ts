/**
 * A join of at most this many needs is counted by its parents' follow-ups, each in a write of its own with the
 * parent's place in the join's `counted` set (about 3 bytes a parent, so the join's item stays under 1 KB): 1 write
 * unit a parent, where a count inside the ending's transaction bills 2 for the join and doubles the ending's own.
 * A wider join is counted in the ending's transaction: its set would grow past 1 KB and bill more per count.
 */
export const SMALL_JOIN_NEEDS = 50;
