/** How the client backs off between attempts of a call that is safe to repeat. */
export interface BackoffOptions {
  /** First delay ceiling; doubles per attempt. @default 100 */
  readonly baseMs?: number;
  /** Largest delay, also the cap on a server's Retry-After. @default 5000 */
  readonly maxMs?: number;
}

/**
 * The delay before retry number `attempt` (0-based): "full jitter"
 * exponential backoff, a random delay up to `base * 2^attempt`, so that many
 * workers hitting the same throttle do not retry in lockstep. A server's
 * `Retry-After` (seconds or an HTTP date) wins when present, within `maxMs`.
 *
 * @example
 * await sleep(backoffDelay(2, { baseMs: 100 }));          // somewhere in [0, 400) ms
 * backoffDelay(0, {}, '3', Math.random, Date.now())       // 3000
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  retryAfter?: string | null,
  random: () => number = Math.random,
  now: number = Date.now(),
): number {
  const base = options.baseMs ?? 100;
  const max = options.maxMs ?? 5000;
  const told = retryAfterMs(retryAfter, now);
  if (told !== undefined) return Math.min(max, told);
  return Math.floor(random() * Math.min(max, base * 2 ** attempt));
}

/** `Retry-After` as milliseconds from `now`, or undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A promise that resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
