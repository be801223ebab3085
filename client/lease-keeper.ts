import { isTributaryApiError, LeaseLostError } from './errors.ts';
import type { TributaryClient } from './tributary-client.ts';
import { errorFields, type WorkerLogger } from './worker-logger.ts';

/** Errors that mean the lease is gone for good; anything else may be a passing network or server problem. */
export const LEASE_LOST_CODES = ['LeaseMismatch', 'TaskNotActive', 'ProcessNotRunning', 'ProcessNotFound', 'TaskNotFound'] as const;

/** Heartbeats are never closer than this, whatever the lease: a guard against a badly skewed clock. */
const MIN_INTERVAL_MS = 100;

export interface LeaseKeeperOptions {
  readonly client: TributaryClient;
  readonly processId: string;
  readonly task: string;
  readonly leaseToken: string;
  /** From the claim; used to derive the interval when `everyMs` is not given. */
  readonly leaseExpiresAt: string;
  /** @default a third of the lease left at start, so that two heartbeats can fail before the lease runs out */
  readonly everyMs?: number;
  readonly logger: WorkerLogger;
}

/**
 * Keeps one claimed task's lease alive while its handler runs. When the server
 * says the lease is gone (stale token, task no longer active, process ended),
 * `signal` aborts with a {@link LeaseLostError} and heartbeats stop; transient
 * failures are logged and retried at the next tick.
 *
 * @example
 * const keeper = new LeaseKeeper({ client, processId, task, leaseToken, leaseExpiresAt, logger });
 * keeper.start();
 * try { await work(keeper.signal); } finally { keeper.stop(); }
 * if (!keeper.lost) await client.complete(processId, task, { leaseToken });
 */
export class LeaseKeeper {
  readonly everyMs: number;
  private readonly options: LeaseKeeperOptions;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: LeaseKeeperOptions) {
    this.options = options;
    // Derived from our clock against the server's: a worker clock running ahead only makes heartbeats more frequent.
    const leaseMs = Date.parse(options.leaseExpiresAt) - Date.now();
    this.everyMs = Math.max(MIN_INTERVAL_MS, options.everyMs ?? Math.floor(leaseMs / 3));
  }

  /** Aborts, with a {@link LeaseLostError} as its reason, once the lease is known to be lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  start(): void {
    this.schedule();
  }

  /** Gives the lease up (it was released): heartbeats stop and `signal` aborts with `reason`, so the handler can stop too. */
  abandon(reason: Error): void {
    this.stop();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** Stops heartbeating; a heartbeat already in flight is ignored when it returns. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    // Chained timeouts rather than an interval: a slow heartbeat never overlaps the next.
    this.timer = setTimeout(() => void this.beat(), this.everyMs);
  }

  private async beat(): Promise<void> {
    const { client, processId, task, leaseToken, logger } = this.options;
    try {
      await client.heartbeat(processId, task, leaseToken);
    } catch (error) {
      if (this.stopped) return;
      if (isTributaryApiError(error, ...LEASE_LOST_CODES)) {
        logger.warn('lease lost; aborting the handler', { processId, task, ...errorFields(error) });
        this.stopped = true;
        this.controller.abort(new LeaseLostError(processId, task, { cause: error }));
        return;
      }
      logger.warn('heartbeat failed; trying again at the next tick', { processId, task, ...errorFields(error) });
    }
    this.schedule();
  }
}
