import { z } from 'zod';
import { TributaryApiError, TributaryResponseError } from './errors.ts';
import { ClaimSchema, ErrorBodySchema, TaskEndedSchema, type TaskError } from './schemas.ts';
import { ERROR_STATUS } from '../shared/schemas/error-status.ts';

/** The most items one batch call takes: what one SQS receive brings. */
export const MAX_BATCH_ITEMS = 10;

/** A task, as the batch routes name it. */
export interface TaskRef {
  readonly processId: string;
  readonly task: string;
}

/** One item of `completeTasks`: POST .../complete's body plus the task. */
export interface CompleteItem extends TaskRef {
  readonly leaseToken?: string;
  readonly output?: unknown;
}

/** One item of `failTasks`: POST .../fail's body plus the task. */
export interface FailItem extends TaskRef {
  readonly leaseToken?: string;
  readonly error: TaskError;
}

/**
 * One item's fate in a batch: its value, or the error its single call would
 * have thrown (a {@link TributaryApiError} with the single route's status and
 * code), so that code written for the single calls reads it unchanged.
 */
export type BatchItemResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: TributaryApiError };

export const BatchClaimSchema = z.object({ results: z.array(z.union([ClaimSchema, ErrorBodySchema])) });
export const BatchEndedSchema = z.object({ results: z.array(z.union([TaskEndedSchema, ErrorBodySchema])) });

/**
 * The status each error code answers on a single route: the server's one table, so that a batch item's error reads
 * as its single call's. An item's error carries no status of its own.
 */
export const ERROR_CODE_STATUS: Readonly<Record<string, number>> = ERROR_STATUS;

/**
 * Turns a batch answer's results into {@link BatchItemResult}s, each error
 * as the error its single call would have thrown. `request` labels the
 * errors: `POST /tasks/claim [3]` for the fourth item.
 */
export function itemResults<T>(results: readonly (T | z.infer<typeof ErrorBodySchema>)[], expected: number, request: string): BatchItemResult<T>[] {
  if (results.length !== expected) throw new TributaryResponseError(`${request}: ${results.length} results for ${expected} items`, { status: 200, request });
  return results.map((r, i) => {
    if (typeof r === 'object' && r !== null && 'error' in r) {
      const { code, message, details } = (r as z.infer<typeof ErrorBodySchema>).error;
      const status = ERROR_CODE_STATUS[code] ?? 500;
      return { ok: false, error: new TributaryApiError({ status, code, message, details, request: `${request} [${i}]` }) };
    }
    return { ok: true, value: r as T };
  });
}
