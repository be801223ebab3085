import type { HistoryEvent } from './types.ts';

/** One attempt as its events tell it. */
export interface AttemptSpan {
  readonly run: number;
  readonly attempt: number;
  readonly scheduled?: string;
  readonly claimed?: string;
  readonly ended?: string;
  readonly outcome?: string;
  readonly workerId?: string;
  /** A failed attempt with one after it: the next is not claimable before this. */
  readonly retryAt?: string;
}

const ENDINGS: Readonly<Record<string, string>> = {
  TaskCompleted: 'COMPLETED',
  TaskFailed: 'FAILED',
  TaskLeaseExpired: 'FAILED',
  TaskAttemptTimedOut: 'FAILED',
  TaskCancelled: 'CANCELLED',
  TaskSkipped: 'SKIPPED',
};

/** Groups a task's events into its attempts, in order: scheduled, claimed, ended, and the backoff before the next. */
export function attemptSpans(events: readonly HistoryEvent[]): AttemptSpan[] {
  const spans = new Map<string, { run: number; attempt: number; scheduled?: string; claimed?: string; ended?: string; outcome?: string; workerId?: string; retryAt?: string }>();
  for (const e of events) {
    const key = `${e.run}/${e.attempt ?? 1}`;
    const span = spans.get(key) ?? { run: e.run, attempt: e.attempt ?? 1 };
    if (e.type === 'TaskScheduled') span.scheduled ??= e.at;
    else if (e.type === 'TaskClaimed') {
      span.claimed = e.at;
      span.workerId = e.workerId;
    } else if (ENDINGS[e.type]) {
      span.ended = e.at;
      span.outcome = ENDINGS[e.type];
      const retry = e.details?.nextAttemptAt;
      if (typeof retry === 'string') span.retryAt = retry;
    }
    spans.set(key, span);
  }
  return [...spans.values()];
}
