import { z } from 'zod';

/**
 * `maxParallel: N` (issue 18, part 2): at most N tasks of one process are
 * SCHEDULED or RUNNING at once. A map task itself holds no slot (it waits on
 * its children, and a parent that holds a slot while its children wait for
 * one deadlocks the pool); each of its children does.
 */

/** The largest `maxParallel` a definition may set. */
export const MAX_PARALLEL_LIMIT = 10_000;

const maxParallelMessage = `maxParallel must be a whole number from 1 to ${MAX_PARALLEL_LIMIT}`;

/** The top-level key, shared by the document, the stored spec and the API's view. */
export const maxParallelKeys = {
  maxParallel: z
    .number({ error: maxParallelMessage })
    .int(maxParallelMessage)
    .min(1, maxParallelMessage)
    .max(MAX_PARALLEL_LIMIT, maxParallelMessage)
    .optional()
    .describe('at most this many tasks of one process are SCHEDULED or RUNNING at once; the others wait, in definition order'),
};
