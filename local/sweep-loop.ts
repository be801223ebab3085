import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { sweeperEntry } from '#config/routes.ts';
import { REPO_ROOT } from './http-server.ts';
import { createLambdaContext } from './lambda-context.ts';
import { consoleLogger, errorFields, type LocalLogger } from './log.ts';

type SweepHandler = (event: Record<string, never>, context: Context) => Promise<unknown>;

export interface SweepLoopOptions {
  /** Pause between the end of one sweep and the start of the next. */
  readonly intervalMs: number;
  /** Sweeper module, relative to `rootDir`. @default sweeperEntry ('functions/sweeper.ts') */
  readonly entry?: string;
  /** @default the repository root */
  readonly rootDir?: string;
  /** Lambda timeout the context reports to the sweeper. @default 60000 */
  readonly timeoutMs?: number;
  readonly region?: string;
  readonly logger?: LocalLogger;
  /** What the loop runs, in its log lines and Lambda context (the same loop runs the schedules' scheduler). @default 'Sweeper' */
  readonly label?: string;
}

export interface SweepLoopStats {
  /** Sweeps that ran to completion, successfully or not. */
  readonly runs: number;
  readonly failures: number;
  /** False once the sweeper module could not be loaded; the loop then stays idle. */
  readonly enabled: boolean;
}

export interface SweepLoop {
  stats(): SweepLoopStats;
  /** Cancels the next sweep and waits for a running one to finish. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs the recovery sweeper the way the deployed schedule does, minus the
 * overlap: the next sweep is scheduled only after the previous one settles, so
 * a slow sweep delays the next instead of racing it. A sweeper module that does
 * not load is reported once and the loop stays idle; the rest of the stack keeps running.
 *
 * @example
 * const loop = startSweepLoop({ intervalMs: 2000 });
 * await loop.stop();
 */
export function startSweepLoop(options: SweepLoopOptions): SweepLoop {
  const entry = options.entry ?? sweeperEntry;
  const logger = options.logger ?? consoleLogger;
  const path = resolve(options.rootDir ?? REPO_ROOT, entry);
  let handler: Promise<SweepHandler | undefined> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let runs = 0;
  let failures = 0;
  let enabled = true;

  const load = (): Promise<SweepHandler | undefined> =>
    (handler ??= import(pathToFileURL(path).href).then(
      (mod: { handler?: unknown }) => {
        if (typeof mod.handler === 'function') return mod.handler as SweepHandler;
        throw new Error(`${entry} does not export a 'handler' function`);
      },
    ).catch((error: unknown) => {
      enabled = false;
      const consequence = options.label === undefined ? 'recovery sweeper disabled' : `${options.label} disabled`;
      const lost = options.label === undefined ? 'expired leases and owed messages will not be recovered in this run' : 'it will not run in this run';
      logger('WARN', `${consequence}: could not load ${entry}; ${lost}`, errorFields(error));
      return undefined;
    }));

  const sweep = async (): Promise<void> => {
    const sweeper = await load();
    if (!sweeper || stopped) return;
    const context = createLambdaContext({ functionName: `tributary-${options.label ?? 'Sweeper'}`, timeoutMs: options.timeoutMs ?? 60_000, region: options.region ?? process.env.AWS_REGION });
    try {
      await sweeper({}, context);
    } catch (error) {
      failures++;
      logger('ERROR', options.label === undefined ? 'sweep failed' : `${options.label} run failed`, errorFields(error));
    } finally {
      runs++;
    }
  };

  const schedule = (): void => {
    if (stopped || !enabled) return;
    timer = setTimeout(() => {
      running = sweep().finally(() => {
        running = undefined;
        schedule();
      });
    }, options.intervalMs);
    // The loop alone should not keep a process alive (the HTTP server does that).
    timer.unref();
  };
  schedule();

  return {
    stats: () => ({ runs, failures, enabled }),
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
