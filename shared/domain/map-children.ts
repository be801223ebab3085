/**
 * The children of a map task: how they are named, how they run in lanes, and
 * when the map may settle. Pure arithmetic, shared by the use cases and the
 * stores.
 *
 * A map of `total` items with `maxConcurrency` C runs as `min(C, total)` lanes.
 * Lane k runs the children k, k + C, k + 2C, … one after another: the ending of
 * child i schedules child i + C, in the same transaction. So at most C children
 * are ever SCHEDULED or RUNNING, no shared cursor is written per child (no hot
 * item), and each child's successor is known without a read of anything but
 * the map's total. The last child of each lane counts itself on the map item
 * (`settled` of `expected` lanes); the map settles when every lane has.
 */

/** A child's address: the map's name and the child's zero-based index. */
export interface ChildRef {
  readonly map: string;
  readonly index: number;
}

/** Children per block: a page of the children route, and the unit children's partitions rotate by. */
export const CHILDREN_PER_BLOCK = 100;
/** Items per stored chunk of a map's items: a claim reads one chunk (about 1 KB for small items). */
export const ITEMS_PER_CHUNK = 10;
/** How many partitions a map's children spread over (see docs/architecture.md, Scale). */
export const CHILD_PARTITIONS = 32;
/** The largest `results` a map hands downstream (bytes of JSON); past it, `resultsOmitted`. */
export const MAP_RESULTS_LIMIT_BYTES = 256 * 1024;
/** The largest item of a map (bytes of JSON). */
export const MAP_ITEM_LIMIT_BYTES = 256 * 1024;

const CHILD_NAME = /^(.+)\[(0|[1-9][0-9]{0,5})\]$/;

/**
 * The name of a child: `resize[41]`.
 *
 * @example
 * childName('resize', 41) // 'resize[41]'
 */
export function childName(map: string, index: number): string {
  return `${map}[${index}]`;
}

/**
 * The map and index a child's name addresses, or undefined for a declared
 * task's name (which cannot hold brackets).
 *
 * @example
 * parseChildName('resize[41]') // { map: 'resize', index: 41 }
 * parseChildName('resize') // undefined
 */
export function parseChildName(name: string): ChildRef | undefined {
  const m = CHILD_NAME.exec(name);
  if (!m?.[1] || m[2] === undefined) return undefined;
  return { map: m[1], index: Number(m[2]) };
}

/** How many lanes a map of `total` items runs. */
export function laneCount(total: number, maxConcurrency: number): number {
  return Math.min(total, maxConcurrency);
}

/** The child that the ending of child `index` schedules, or undefined when it is the last of its lane. */
export function laneSuccessor(index: number, total: number, maxConcurrency: number): number | undefined {
  const next = index + maxConcurrency;
  return next < total ? next : undefined;
}

/** The block of a child (a page of {@link CHILDREN_PER_BLOCK} consecutive children). */
export function blockOf(index: number): number {
  return Math.floor(index / CHILDREN_PER_BLOCK);
}

/** The chunk of stored items that holds item `index`. */
export function chunkOf(index: number): number {
  return Math.floor(index / ITEMS_PER_CHUNK);
}

/**
 * How many failed children a map tolerates: a count as written, or a percent
 * of its total, rounded down.
 *
 * @example
 * toleratedFailures({ toleratedFailurePercent: 5 }, 1000) // 50
 */
export function toleratedFailures(spec: { readonly toleratedFailurePercent?: number; readonly toleratedFailureCount?: number }, total: number): number {
  if (spec.toleratedFailurePercent !== undefined) return Math.floor((spec.toleratedFailurePercent * total) / 100);
  return spec.toleratedFailureCount ?? 0;
}

/** A map's counters, summed over its partitions. `scheduled` and `running` are the children in those statuses now. */
export interface MapCounts {
  readonly total: number;
  readonly scheduled: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Bytes of the completed children's outputs (JSON), to know whether `results` fit. */
  readonly outputBytes: number;
}

/** The map's output for downstream, without its results (added when they fit). */
export function mapSummary(counts: Pick<MapCounts, 'total' | 'completed' | 'failed'>): { total: number; completed: number; failed: number } {
  return { total: counts.total, completed: counts.completed, failed: counts.failed };
}
