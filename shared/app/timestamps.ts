import type { AppDeps } from './deps.ts';

/** One reading of the clock, in the forms the stores need. */
export interface Instant {
  readonly now: number;
  readonly iso: string;
  /** TTL (epoch seconds) for items of a process that ends now. */
  readonly expiresAt: number;
}

export function instant(deps: Pick<AppDeps, 'now' | 'settings'>): Instant {
  const now = deps.now();
  return { now, iso: new Date(now).toISOString(), expiresAt: Math.floor(now / 1000) + deps.settings.retentionSeconds };
}

/** When a budgeted pass started at `at` must stop starting work: the call's budget, or the sweeper's when given. */
export function budgetedPassDeadline(deps: Pick<AppDeps, 'settings'>, at: Instant, budgetMs?: number): number {
  return at.now + (budgetMs ?? deps.settings.followUpBudgetMs);
}
