import { isTributaryError } from '#domain/errors.ts';
import { logger } from '#observability/powertools.ts';
import type { z } from 'zod';
import type { ErrorBodySchema } from '#schemas/responses.ts';
import { statusOf } from './error-response.ts';

/** One item's refusal, in the API's error body: what the single route would have answered. */
export type ItemErrorBody = z.input<typeof ErrorBodySchema>;
type ErrorDetails = ItemErrorBody['error']['details'];

/** What one item of a batch came to: its result or its error body, and the status its single call would have answered. */
export interface BatchItemOutcome<R> {
  readonly result: R | ItemErrorBody;
  readonly status: number;
}

/** The task an item names. */
export interface TaskRef {
  readonly processId: string;
  readonly task: string;
}

const INTERNAL_ERROR: ItemErrorBody = { error: { code: 'InternalError', message: 'internal error' } };

/**
 * Runs the items of a batch route, each through the single route's use case,
 * and answers one outcome per item in the order given. Items naming
 * different tasks run concurrently (a batch holds at most 10, so at most 10
 * calls are in flight): the batch takes as long as its slowest item, not the
 * sum. Items naming the same task run one after another, in order, as
 * repeated single calls would, so that a duplicate within a batch sees the
 * first one's effect (a repeated claim gets the same lease back, a repeated
 * completion answers 200) rather than racing it.
 *
 * A typed refusal (4xx) becomes that item's error body; anything else is
 * logged and becomes that item's `InternalError`. It never rejects: one
 * item's failure never fails the others, nor the batch.
 *
 * @example
 * const outcomes = await runBatchItems(body.tasks, (t) => claimTask(deps, t.processId, t.task, body.workerId));
 * return { status: 200, body: { results: outcomes.map((o) => o.result) } };
 */
export async function runBatchItems<I extends TaskRef, R>(items: readonly I[], run: (item: I) => Promise<R>): Promise<BatchItemOutcome<R>[]> {
  const outcomes = new Array<BatchItemOutcome<R>>(items.length);
  const lanes = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = `${item.processId}\u0000${item.task}`;
    const lane = lanes.get(key);
    if (lane) lane.push(index);
    else lanes.set(key, [index]);
  });
  await Promise.all(
    [...lanes.values()].map(async (lane) => {
      for (const index of lane) outcomes[index] = await outcomeOf(items[index]!, run);
    }),
  );
  return outcomes;
}

async function outcomeOf<I extends TaskRef, R>(item: I, run: (item: I) => Promise<R>): Promise<BatchItemOutcome<R>> {
  try {
    return { result: await run(item), status: 200 };
  } catch (error) {
    if (isTributaryError(error)) {
      const status = statusOf(error);
      if (status < 500) {
        return { result: { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details as ErrorDetails }) } }, status };
      }
    }
    try {
      logger.error('unhandled error in a batch item', { processId: item.processId, task: item.task, error: error instanceof Error ? error : String(error) });
    } catch {
      // Logging must not turn an item's answer into a throw.
    }
    return { result: INTERNAL_ERROR, status: 500 };
  }
}
