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
