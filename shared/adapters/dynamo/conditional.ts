import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Helpers for conditional writes. Every state change is a conditional write
 * with `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`, so a lost race comes
 * back with the item as it is now, and callers can say precisely why.
 */
export class ConditionFailed {
  constructor(readonly item: Record<string, unknown> | undefined) {}
}

/** Runs a conditional write; returns `ConditionFailed` (with the current item) instead of throwing. */
export async function conditionally<T>(write: () => Promise<T>): Promise<T | ConditionFailed> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
      const raw = (error as ConditionalCheckFailedException).Item as Record<string, AttributeValue> | undefined;
      return new ConditionFailed(raw ? unmarshall(raw) : undefined);
    }
    throw error;
  }
}

/** The per-action cancellation reasons of a cancelled transaction, or undefined for other errors. */
export function cancellationReasons(error: unknown): { code: string; item?: Record<string, unknown> }[] | undefined {
  if (!(error instanceof TransactionCanceledException) && (error as Error)?.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
  return reasons.map((r) => ({
    code: r.Code ?? 'None',
    ...(r.Item ? { item: unmarshall(r.Item as Record<string, AttributeValue>) } : {}),
  }));
}

/** True when a transaction lost a race with another transaction and may simply be retried. */
export function isTransactionConflict(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  return (
    (reasons?.some((r) => r.code === 'TransactionConflict') ?? false) ||
    (error as Error)?.name === 'TransactionConflictException' ||
    (error as Error)?.name === 'TransactionInProgressException'
  );
}
