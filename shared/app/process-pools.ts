import { createHash } from 'node:crypto';
import { ProcessConcurrencyLimitedError } from '#domain/errors.ts';
import { concurrencyKeyOf, type ProcessConcurrencySpec } from '#domain/process-concurrency.ts';
import { isQueuedProcess, PROCESS_STATUS } from '#domain/status-predicates.ts';
import type { DefinitionVersionItem, ProcessItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { getDefinition } from './definitions.ts';
import type { NewProcess, ReopenProcess, Written } from './ports.ts';
import { instant } from './timestamps.ts';
import { endProcess } from './end-process.ts';
import { finishStaleStart, startOwed, startReasonOf } from './pool-handover.ts';

/**
 * Process concurrency (issue 18): where a start goes (a slot, the queue, a
 * refusal, or the slot of the oldest holder), and the dequeue that hands a
 * freed slot to the head of its pool's queue. Each pool (a definition and a
 * key value) has its own counter and its own queue: no read or pass serves
 * two pools in one order, so a pool with 1,000 queued never delays another.
 */

/** Queued processes a dequeue looks at per query: a few, in case the index still shows one that just left. */
const HEAD_READ = 5;
/** Most processes one call dequeues: a freeing call frees one slot; the sweeper's call may fill several. */
const MAX_DEQUEUES_PER_CALL = 25;
/** Most holders of each status a `cancelOldest` start reads to find the oldest. */
const HOLDERS_READ = 100;
/** Most supersessions one `cancelOldest` start tries before it gives up (others took the freed slots). */
const MAX_SUPERSEDE_ATTEMPTS = 5;
/** How many queue entries `queuePosition` counts at most. */
export const MAX_QUEUE_POSITION = 1_000;

/** The pool of a process: its definition and its key's value (hashed: a key may be any text). */
export function poolIdOf(definition: string, key: string | undefined): string {
  const hash = createHash('sha256').update(key === undefined ? '' : `k:${key}`).digest('base64url').slice(0, 22);
  return `${definition}#${hash}`;
}

/** What became of a start under a concurrency limit. */
export type PooledStart = { created: true; queued: boolean } | { created: false; existing: ProcessItem };

/**
 * Creates a process of a definition with `concurrency`: RUNNING in a free slot
 * (only when nobody is queued, so the queue stays first in first out), else
 * by its `onLimit`: QUEUED, refused (409 ConcurrencyLimited, nothing created),
 * or in the slot of the oldest holder, which is cancelled (`Superseded`) first.
 * The caller schedules the roots of a process created RUNNING.
 */
export async function createInPool(deps: AppDeps, spec: ProcessConcurrencySpec, process: NewProcess, input: unknown): Promise<PooledStart> {
  const key = concurrencyKeyOf(spec, input);
  const pool = poolIdOf(process.definition, key);
  const placement = { pool, ...(key === undefined ? {} : { concurrencyKey: key }), limit: spec.limit };
  const queueFirst = spec.onLimit === 'queue' && (await deps.pools.queueHead({ pool, limit: 1 })).length > 0;
  // A full pool seen by a read queues the start as a refusal would (the same guarantee: the first ending to give a
  // slot back to it marks it), without the refused transaction, which is billed. The take still decides.
  const seenFull = !queueFirst && spec.onLimit === 'queue' && ((await deps.pools.get({ pool }))?.slotsHeld ?? 0) >= spec.limit;
  for (let attempt = 0; !queueFirst && !seenFull && attempt < MAX_SUPERSEDE_ATTEMPTS; attempt++) {
    const r = await deps.processes.createInPool({ process, input, placement });
    if (r.created) return { created: true, queued: false };
    if ('existing' in r) return r;
    if (spec.onLimit === 'rejectNew') throw new ProcessConcurrencyLimitedError(process.definition, spec.limit, key);
    if (spec.onLimit === 'queue') break;
    // cancelOldest: the oldest holder gives up its slot; another start may take it first, so try again.
    const [oldest] = await deps.pools.oldestHolders({ definition: process.definition, pool, maxRead: HOLDERS_READ });
    if (oldest === undefined) throw new ProcessConcurrencyLimitedError(process.definition, spec.limit, key);
    await endProcess(deps, oldest.id, 'cancel', oldest, { code: 'Superseded', message: `superseded by process '${process.id}' (concurrency onLimit: cancelOldest)` });
  }
  if (spec.onLimit !== 'queue') throw new ProcessConcurrencyLimitedError(process.definition, spec.limit, key);
  // Queued behind others without a refusal: the pool may not be full, so no ending is bound to come. The pool owes a
  // dequeue then (a crash before the look below must not strand this start). A start refused by a full pool writes
  // nothing to it: the first ending that gives a slot back to a full pool marks it (see pool-handover.ts).
  if (queueFirst) await markUnlessFull(deps, pool, process.definition, key, spec.limit);
  // A plain put: its place in the queue is its creation time (then its id), its sweep entry in the queue's partition.
  const r = await deps.processes.createInPool({ process, input, placement: { ...placement, queueTicket: Date.parse(process.createdAt) } });
  if (!r.created) {
    if ('existing' in r) return r;
    throw new Error('a queued start cannot be refused for a full pool');
  }
  // A slot may have freed since (its end found nobody queued): take it now rather than at the sweeper's pass.
  await dequeueNext(deps, pool);
  return { created: true, queued: true };
}

/**
 * Before a process queues behind others without a refusal of its own: the
 * pool may not be full, so no ending is bound to come; then the pool owes a
 * dequeue (a crash before the queuing call's own look must not strand it).
 */
export async function markUnlessFull(deps: AppDeps, pool: string, definition: string, key: string | undefined, limit: number): Promise<void> {
  if (((await deps.pools.get({ pool }))?.slotsHeld ?? 0) >= limit) return;
  await deps.pools.mark({ pool, definition, ...(key === undefined ? {} : { poolKey: key }), sweepAt: deps.now() + deps.settings.followUpGraceMs });
}

/**
 * Hands the pool's free slots to the head of its queue, first in first out:
 * each dequeue is one transaction (the slot taken, the process RUNNING), then
 * the roots of the started process. Stops when the pool is full or its queue
 * empty. Idempotent: the freeing call's follow-up, the queuing start's, and
 * the sweeper's all call it. Answers whether the queue was seen empty.
 */
export async function dequeueNext(deps: AppDeps, pool: string, budgetMs?: number): Promise<{ dequeued: number; empty: boolean }> {
  let dequeued = 0;
  const tried = new Set<string>();
  while (dequeued < MAX_DEQUEUES_PER_CALL) {
    const head = (await deps.pools.queueHead({ pool, limit: HEAD_READ + tried.size })).filter((id) => !tried.has(id));
    if (head.length === 0) return { dequeued, empty: true };
    let outcome: 'started' | 'full' | 'gone' = 'gone';
    for (const id of head) {
      tried.add(id);
      const process = await deps.processes.get({ id });
      // The index may still show a process that just left the queue (dequeued, cancelled, or handed a slot by an
      // ending whose call died before its roots: those are finished here).
      if (!process || !isQueuedProcess(process.status)) {
        if (process) await finishStaleStart(deps, process);
        continue;
      }
      outcome = await dequeueOne(deps, process, budgetMs);
      if (outcome !== 'gone') break;
    }
    if (outcome === 'full') return { dequeued, empty: false };
    if (outcome === 'started') dequeued += 1;
  }
  return { dequeued, empty: false };
}

async function dequeueOne(deps: AppDeps, process: ProcessItem, budgetMs?: number): Promise<'started' | 'full' | 'gone'> {
  const def = await getDefinition(deps, process.definition, process.version);
  // A version without a limit (the pool is shared by every version) takes a slot as long as the count allows.
  const limit = def.concurrency?.limit ?? Number.MAX_SAFE_INTEGER;
  // A read first: a transaction refused on a full pool costs its write units all the same.
  if (((await deps.pools.get({ pool: process.pool! }))?.slotsHeld ?? 0) >= limit) return 'full';
  const at = instant(deps);
  const sweepAt = at.now + deps.settings.followUpGraceMs;
  // The timeout counts from the actual start.
  const deadlineAt = def.timeoutSeconds === undefined ? undefined : at.now + def.timeoutSeconds * 1000;
  const outcome = await deps.pools.dequeue({ process, limit, at, sweepAt, ...(deadlineAt === undefined ? {} : { deadlineAt }) });
  if (outcome === 'started') {
    // Its roots, or (a queued rerun) its rerun's pass.
    const started = { ...process, status: PROCESS_STATUS.running, sweepAt, sweepReason: startReasonOf(process), ...(deadlineAt === undefined ? {} : { deadlineAt }) };
    await startOwed(deps, started, budgetMs);
  }
  return outcome;
}

/**
 * The sweeper's duty for a pool on the sweep index: dequeue what the free
 * slots allow; then leave the index if the queue is empty, or look again later.
 */
export async function sweepPool(deps: AppDeps, pool: string): Promise<boolean> {
  const item = await deps.pools.get({ pool });
  if (item?.sweepAt === undefined || item.sweepAt > deps.now()) return false;
  const { empty } = await dequeueNext(deps, pool, deps.settings.sweepFollowUpBudgetMs);
  if (empty) await deps.pools.clear({ pool, sweepAt: item.sweepAt });
  else await deps.pools.defer({ pool, sweepAt: item.sweepAt, nextSweepAt: deps.now() + deps.settings.followUpGraceMs * 2 });
  return true;
}

/** The 1-based place of a QUEUED process in its pool's queue (undefined past {@link MAX_QUEUE_POSITION}, or when not queued). */
export async function queuePositionOf(deps: AppDeps, process: Pick<ProcessItem, 'id' | 'status' | 'pool'>): Promise<number | undefined> {
  if (!isQueuedProcess(process.status) || process.pool === undefined) return undefined;
  return deps.pools.queuePosition({ pool: process.pool, id: process.id, maxRead: MAX_QUEUE_POSITION });
}

/**
 * The reopening of a process of a concurrency pool by a rerun: the new run
 * takes a slot in its reopening transaction; under `onLimit: queue` it is
 * reopened QUEUED instead (row `requeue`) when the pool is full or others
 * wait already, so a rerun queues as a start does. Otherwise a full pool is a
 * 409 ConcurrencyLimited.
 */
export async function reopenInPool(deps: AppDeps, pool: string, to: DefinitionVersionItem, reopening: ReopenProcess): Promise<Written<ProcessItem>> {
  const spec = to.concurrency;
  const limit = spec?.limit ?? Number.MAX_SAFE_INTEGER;
  const queues = spec?.onLimit === 'queue';
  const queueAt = deps.now();
  if (queues && (await deps.pools.queueHead({ pool, limit: 1 })).length > 0) {
    await markUnlessFull(deps, pool, to.name, reopening.current.concurrencyKey, limit);
    return deps.processes.reopen({ ...reopening, queueAt });
  }
  try {
    return await deps.processes.reopen({ ...reopening, slotLimit: limit });
  } catch (error) {
    if (!(error instanceof ProcessConcurrencyLimitedError) || !queues) throw error;
    // Refused by the full pool: the first ending that gives a slot back to it marks it (pool-handover.ts).
    return deps.processes.reopen({ ...reopening, queueAt });
  }
}
