import { ValidationError } from '#domain/errors.ts';
import { holdsSlotProcess, PROCESS_STATUS } from '#domain/status-predicates.ts';
import type { ConcurrencyPools } from '#schemas/concurrency-api.ts';
import type { DefinitionVersionItem, ProcessSummary } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { MAX_QUEUE_POSITION, poolIdOf } from './process-pools.ts';

type Pool = ConcurrencyPools['items'][number];

/**
 * `GET /concurrency?definition=` without `task` (issue 18): the process pools
 * of a definition with `concurrency` at the top level, one per key: the slots
 * held (the pool's counter), the RUNNING and PAUSED processes holding them,
 * and how many processes are QUEUED (its queue's entries, counted up to
 * {@link MAX_QUEUE_POSITION}). Pool items are not listed by definition, so a
 * keyed definition's pools are found among its RUNNING, PAUSED and QUEUED
 * processes (one listing page of at most `limit` of each status): a bounded
 * read, never a scan.
 */
export async function listProcessPools(deps: AppDeps, def: DefinitionVersionItem, limit: number): Promise<ConcurrencyPools> {
  const spec = def.concurrency;
  if (spec === undefined) {
    throw new ValidationError(`definition '${def.name}' (version ${def.version}) has no process concurrency limit: name a task with 'concurrency'`, [
      { path: 'task', message: 'required for a definition without a top-level concurrency limit' },
    ]);
  }
  const statuses = [PROCESS_STATUS.running, PROCESS_STATUS.paused, PROCESS_STATUS.queued] as const;
  const pages = await Promise.all(statuses.map((status) => deps.processes.list({ status, definition: def.name, limit })));
  const found = pages.flatMap((p) => p.items);
  const pools = new Set(found.map((p) => p.pool).filter((p): p is string => p !== undefined));
  // A definition without a key has its one pool, found or not.
  if (spec.key === undefined) pools.add(poolIdOf(def.name, undefined));
  const items = await Promise.all([...pools].map((pool) => poolView(deps, pool, spec.limit, found)));
  return { definition: def.name, limit: spec.limit, items: items.sort((a, b) => a.key.localeCompare(b.key)) };
}

async function poolView(deps: AppDeps, pool: string, limit: number, found: readonly ProcessSummary[]): Promise<Pool> {
  const [item, queued] = await Promise.all([deps.pools.get({ pool }), deps.pools.queueLength({ pool, maxRead: MAX_QUEUE_POSITION })]);
  const holders = found.filter((p) => p.pool === pool && holdsSlotProcess(p.status)).map((p) => ({ processId: p.id }));
  return { key: item?.poolKey ?? '', limit, holders, held: item?.slotsHeld ?? 0, queued };
}
