import { ConcurrencyPoolsSchema, ConcurrencyQuerySchema } from '../concurrency-api.ts';
import { declareRoute } from './route-declaration.ts';

/** Flow control (issue 18): what holds a task's concurrency slots. */
export const CONCURRENCY_ROUTES = {
  ListConcurrencyPools: declareRoute({
    method: 'GET',
    path: '/concurrency',
    group: 'read',
    tag: 'tasks',
    summary: "A task's or a definition's concurrency pools",
    description:
      "With `task`: the pools of a task's `concurrency` limit, one per key: its limit and the RUNNING tasks holding its slots, with their lease expiry. Paged by slots (a pool may continue on the next page). How many tasks wait on a pool is not known: a waiting task is only a SCHEDULED task whose claims were refused (counted on it as `limitRefusals`). Without `task`: the definition's process pools (`concurrency` at the top level), one per key: the slots held, the RUNNING and PAUSED processes holding them, and the count of QUEUED processes (up to 1,000). A keyed definition's pools are found among its RUNNING, PAUSED and QUEUED processes (one read of at most `limit` of each status; no `nextToken`).",
    query: ConcurrencyQuerySchema,
    responses: { 200: { description: 'one page of pools', schema: ConcurrencyPoolsSchema } },
    errors: ['DefinitionNotFound'],
  }),
};
