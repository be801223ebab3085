import type { Dag } from './dag.ts';
import { SMALL_JOIN_NEEDS } from './small-joins.ts';

/**
 * What a process cost, modelled from what the process already holds (its
 * definition's DAG, its progress counters, whether it ended): no write on the
 * hot path, no read of its tasks. Shown by `GET /processes/{id}` as `cost`.
 *
 * The figures per operation are the write path's, as AWS bills it (1 write
 * unit per KB of an item, each item of a transaction twice, each index entry
 * put or deleted once), measured per store call with
 * `node --import tsx bench/write-units.ts a b c` on the test engine
 * (`shared/adapters/memory/aws-write-bill.ts`, the capacity meter's rules;
 * the run then moves its clock an hour on, so the sweeper's cursors pass every
 * entry the workload left on the sweep log and read that each is done), on
 * items under 1 KB (outputs and inputs of a few bytes: a larger output bills
 * its KBs on each write of its item). `tests/unit/process-cost.test.ts` holds
 * the model to that measurement within 10% on workloads (a), (b) and (c).
 *
 * Left out: retries (the process keeps no count of attempts; each retry adds
 * about 4 write units: the retry with its sweep entry moved, and a claim),
 * the sweeper's own queries and cursors (a cost per shard and tick, not per process),
 * the children of maps (counted by their map's counters, not in progress),
 * and SQS requests (the workers' polling decides them).
 */
export interface ProcessCost {
  /** Dollars, at the us-east-1 list prices of {@link PRICES}. */
  readonly usd: number;
  readonly writeUnits: number;
  /** Strongly consistent read units (4 KB each). */
  readonly readUnits: number;
  /** API Gateway requests (each one Lambda invocation): the start, and a claim and an ending per task that ran. */
  readonly requests: number;
}

/** us-east-1 list prices, dollars per unit (as `bench/pricing.ts`). */
export const PRICES = {
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  apiRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
} as const;

/** Write units per operation (measured: see the module's comment). */
export const WRITE_UNITS = {
  /** The input item 1, the process item 1 and its 4 index entries (sweep, status, definition, kind), its sweep entry cleared once the roots are written 2. */
  start: 8,
  /** The process item 1, its status index entry moved (a delete and a put) 2. */
  end: 3,
  /**
   * Scheduled (item and sweep entry) 2, claimed 1, completed 1, counted in progress 1 (the last step of its follow-up:
   * the evidence that it is done, so its sweep entry stays on the log, uncleared, until the item's TTL).
   */
  completed: 5,
  /** Scheduled 2, claimed 1, failed with its progress count in one transaction 4, its sweep entry cleared 2. */
  failed: 9,
  /** Skipped or cancelled with its progress count in one transaction (2 items, billed twice). */
  skippedOrCancelled: 4,
  /** A parent counted in a small join, in a write of its own. */
  smallJoinParent: 1,
  /** A parent counted in a wide join (or the end counter of several sinks), in its ending's transaction: the join's item twice. */
  wideCounter: 2,
  /** An ending that is a transaction (it counts in a wide join or the end counter) bills its own item twice: one more. */
  endingInTransaction: 1,
} as const;

/** Read units per operation (strongly consistent, items under 4 KB). */
export const READ_UNITS = {
  /** The definition's head, the process read by the first completion and by the end. */
  process: 3,
  /** A claim reads the process input 1, and each need's output 1. */
  claim: 1,
  needOfClaim: 1,
  /** A completion's follow-up reads the counter of each wide join it feeds (a small join's comes back with its count). */
  joinFed: 1,
  /** The sweeper's visit of a completed task's entry, once its cursor reaches it: the task item 1 and its progress counter 1. */
  sweptCompletion: 2,
} as const;

/** What each ended status costs per task of this DAG, on average over its tasks (exact when every task ends alike). */
interface PerTask {
  readonly completedWrites: number;
  readonly claimReads: number;
  readonly completedReads: number;
}

const perTaskCache = new WeakMap<Dag, PerTask>();

function perTaskOf(dag: Dag): PerTask {
  const cached = perTaskCache.get(dag);
  if (cached) return cached;
  let writes = 0;
  let claimReads = 0;
  let joinReads = 0;
  for (const [name, spec] of dag.tasks) {
    const joins = (dag.children.get(name) ?? []).map((c) => dag.tasks.get(c)?.needs.length ?? 0).filter((n) => n > 1);
    const small = joins.filter((n) => n <= SMALL_JOIN_NEEDS).length;
    const counters = joins.length - small + (dag.sinks.length > 1 && dag.sinks.includes(name) ? 1 : 0);
    writes += WRITE_UNITS.completed + small * WRITE_UNITS.smallJoinParent + (counters > 0 ? WRITE_UNITS.endingInTransaction + counters * WRITE_UNITS.wideCounter : 0);
    claimReads += READ_UNITS.claim + spec.needs.length * READ_UNITS.needOfClaim;
    joinReads += (joins.length - small) * READ_UNITS.joinFed + READ_UNITS.sweptCompletion;
  }
  const n = Math.max(1, dag.tasks.size);
  const p = { completedWrites: writes / n, claimReads: claimReads / n, completedReads: joinReads / n };
  perTaskCache.set(dag, p);
  return p;
}

/**
 * The modelled cost of a process from its DAG and its current run's progress.
 *
 * @example
 * processCost(dag, { completed: 3, failed: 0, skipped: 0, cancelled: 0 }, true)
 * // a 3-task chain: { writeUnits: 26, readUnits: 14, requests: 7, usd: ... }
 */
export function processCost(dag: Dag, progress: { completed: number; failed: number; skipped: number; cancelled: number }, ended: boolean): ProcessCost {
  const per = perTaskOf(dag);
  const ran = progress.completed + progress.failed;
  const writeUnits =
    WRITE_UNITS.start +
    (ended ? WRITE_UNITS.end : 0) +
    progress.completed * per.completedWrites +
    progress.failed * WRITE_UNITS.failed +
    (progress.skipped + progress.cancelled) * WRITE_UNITS.skippedOrCancelled;
  const readUnits = READ_UNITS.process + ran * per.claimReads + progress.completed * per.completedReads;
  const requests = 1 + 2 * ran;
  const usd = writeUnits * PRICES.dynamoWriteUnit + readUnits * PRICES.dynamoReadUnit + requests * (PRICES.apiRequest + PRICES.lambdaRequest);
  return { usd: round(usd, 9), writeUnits: round(writeUnits, 2), readUnits: round(readUnits, 2), requests };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
