import { isTributaryError } from '#domain/errors.ts';
import { StartProcessBodySchema } from '#schemas/api.ts';
import type { AppDeps } from './deps.ts';
import { startProcess } from './start-process.ts';

/** Where a start-queue message that can never start a process goes: the queue's DLQ, with the reason. */
export interface RejectedStarts {
  reject(args: { body: string; reason: string }): Promise<void>;
}

/** What became of one start-queue message. */
export type QueuedStartOutcome =
  | { readonly kind: 'started'; readonly processId: string; readonly created: boolean }
  | { readonly kind: 'rejected'; readonly reason: string };

/**
 * One message of the start queue: `{definition, version?, input?, idempotencyKey?}`, the body of POST /processes.
 * It starts a process through the same use case, so a duplicated message with the same idempotency key starts
 * one. A message that can never start one (not JSON, not that shape, an unknown definition, an input its
 * `inputSchema` refuses, a reused key) is handed to `rejected` with the reason and starts nothing; any other
 * error is thrown, so that SQS delivers the message again (and, past its receive count, dead-letters it).
 *
 * @example
 * await startFromQueue(deps, rejected, '{"definition":"ingest","input":{"key":"a.csv"},"idempotencyKey":"s3:a.csv"}');
 */
export async function startFromQueue(deps: AppDeps, rejected: RejectedStarts, body: string): Promise<QueuedStartOutcome> {
  const reason = await startOrReason(deps, body);
  if (typeof reason !== 'string') return reason;
  deps.log.warn('start-queue message rejected', { reason, body: body.slice(0, 1000) });
  await rejected.reject({ body, reason });
  return { kind: 'rejected', reason };
}

async function startOrReason(deps: AppDeps, body: string): Promise<QueuedStartOutcome | string> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    return `BadJson: ${(e as Error).message}`;
  }
  const parsed = StartProcessBodySchema.safeParse(json);
  if (!parsed.success) return `ValidationError: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ')}`;
  try {
    const { created, process } = await startProcess(deps, parsed.data);
    return { kind: 'started', processId: process.id, created };
  } catch (error) {
    if (isTributaryError(error) && !error.retryable) return `${error.code}: ${error.message}`.slice(0, 1000);
    throw error;
  }
}
