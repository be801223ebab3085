import type { EffectSum } from '#domain/effects.ts';

/**
 * The lease values of a claim and of a heartbeat (rows `claim`,
 * `claimLimited`, `heartbeat`), written without a read of the task first.
 *
 * A claim's lease runs for the length its worker asked for (`leaseSeconds`,
 * here `leaseMs`), recorded on the task, or else for the task's timeout
 * (`timeoutMs`, stored at scheduling), with `leaseMs` removed so that no
 * earlier claim's length lingers. A heartbeat extends by the recorded
 * length, else by the timeout: `if_not_exists(leaseMs, timeoutMs) + now`; or
 * by a new length it names, which it records for the heartbeats after it.
 */

/** What a claim writes of its lease. */
export function claimedLease(now: number, leaseMs: number | undefined): { leaseExpiresAt: EffectSum | number; leaseMs: number | undefined } {
  if (leaseMs !== undefined) return { leaseExpiresAt: now + leaseMs, leaseMs };
  return { leaseExpiresAt: { source: 'timeoutMs', plus: now }, leaseMs: undefined };
}

/** What a heartbeat writes of its lease. */
export function heartbeatLease(now: number, leaseMs: number | undefined): { leaseExpiresAt: EffectSum | number; leaseMs?: number } {
  if (leaseMs !== undefined) return { leaseExpiresAt: now + leaseMs, leaseMs };
  return { leaseExpiresAt: { source: 'leaseMs', orElseSource: 'timeoutMs', plus: now } };
}
