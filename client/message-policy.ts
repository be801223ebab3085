import { isTributaryApiError, type TributaryErrorCode } from './errors.ts';

/**
 * Claim errors that mean the task is someone else's or over, or (ProcessPaused) not to be run until its
 * process is resumed, which sends the message again: the message has nothing left to say.
 */
export const TASK_GONE_CODES: readonly TributaryErrorCode[] = [
  'TaskAlreadyClaimed',
  'TaskNotActive',
  // A process task: its child process ends it, never a worker (a stray message, e.g. a resume's resend).
  'ProcessTaskNotClaimable',
  'ProcessNotRunning',
  'ProcessPaused',
  'ProcessNotFound',
  'TaskNotFound',
  'DefinitionNotFound',
];

/** SQS's longest visibility timeout (12 h). */
const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * What to do with a task message whose claim was refused:
 * - `postpone`: hide it for `seconds` (a retry waiting for its backoff: it comes back when due);
 * - `delete`: the task is over, someone else's, or waits for a resume that sends it again;
 * - `keep`: anything else (a 5xx, a 429, a network error, a conflict that may clear): leave it, so that it
 *   reappears after its visibility timeout and the claim is tried again.
 */
export type MessageAction = { readonly action: 'postpone'; readonly seconds: number } | { readonly action: 'delete' } | { readonly action: 'keep' };

/**
 * The one message policy of a worker after a refused claim, shared by the
 * SQS `Worker` and the test engine (`testing/`), so that a test sees what
 * production does. `now` is the worker's clock (the engine's is virtual).
 *
 * @example
 * const next = messageAfterRefusedClaim(error, Date.now());
 * if (next.action === 'delete') await deleteMessage();
 * else if (next.action === 'postpone') await changeVisibility(next.seconds);
 */
export function messageAfterRefusedClaim(error: unknown, now: number): MessageAction {
  const notBefore = notBeforeOf(error);
  if (notBefore !== undefined) return { action: 'postpone', seconds: Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil((notBefore - now) / 1000))) };
  if (isTributaryApiError(error, ...TASK_GONE_CODES)) return { action: 'delete' };
  return { action: 'keep' };
}

/**
 * When a refused claim may succeed, epoch ms: 409 TaskNotActive (a retry waiting for its backoff), or 409
 * ConcurrencyLimited / RateLimited (a task limit: when the first slot frees, or the window moves on).
 */
function notBeforeOf(error: unknown): number | undefined {
  if (!isTributaryApiError(error, 'TaskNotActive', 'ConcurrencyLimited', 'RateLimited')) return undefined;
  const details = error.details as { notBefore?: unknown } | undefined;
  const at = typeof details?.notBefore === 'string' ? Date.parse(details.notBefore) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}
