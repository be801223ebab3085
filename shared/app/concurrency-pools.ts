import { ValidationError } from '#domain/errors.ts';
import type { ConcurrencyPools, ConcurrencyQuery } from '#schemas/concurrency-api.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { listProcessPools } from './process-pool-listing.ts';

/**
 * The pools of a task's concurrency limit (`GET /concurrency`): one page of
 * its slot items (one query of the task's pool partition, at most `limit`
 * items), grouped by key, with the live holders. A slot whose lease has run
 * out is free, whoever last held it.
 *
 * @example
 * const page = await listConcurrencyPools(deps, { definition: 'orders', task: 'call-partner', limit: 200 });
 * // { definition: 'orders', task: 'call-partner', limit: 5, items: [{ key: 'acme', limit: 5, holders: [...] }] }
 */
export async function listConcurrencyPools(deps: AppDeps, query: ConcurrencyQuery): Promise<ConcurrencyPools> {
  const def = await getDefinition(deps, query.definition);
  // Without a task: the definition's process pools, with their queued counts.
  if (query.task === undefined) return listProcessPools(deps, def, query.limit);
  const spec = dagOf(def).tasks.get(query.task);
  if (!spec?.concurrency) {
    const why = spec ? 'has no concurrency limit' : 'is not a task of it';
    throw new ValidationError(`task '${query.task}' ${why} (definition '${def.name}', version ${def.version})`, [{ path: 'task', message: `'${query.task}' ${why}` }]);
  }
  const now = deps.now();
  const page = await deps.taskLimits.poolPage({ definition: def.name, task: query.task, limit: query.limit, ...(query.nextToken === undefined ? {} : { cursor: query.nextToken }) });
  const pools = new Map<string, ConcurrencyPools['items'][number] & { holders: ConcurrencyPools['items'][number]['holders'][number][] }>();
  for (const slot of page.items) {
    const pool = pools.get(slot.key) ?? { key: slot.key, limit: slot.limit, holders: [] };
    pools.set(slot.key, pool);
    if (slot.leaseExpiresAt !== undefined && slot.leaseExpiresAt > now && slot.processId !== undefined && slot.task !== undefined) {
      pool.holders.push({ processId: slot.processId, task: slot.task, leaseExpiresAt: new Date(slot.leaseExpiresAt).toISOString() });
    }
  }
  return {
    definition: def.name,
    task: query.task,
    limit: spec.concurrency.limit,
    items: [...pools.values()],
    ...(page.cursor === undefined ? {} : { nextToken: page.cursor }),
  };
}
