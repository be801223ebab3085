import type { SweepIndex } from '#adapters/dynamo/sweep-index.ts';
import type { AppDeps } from './deps.ts';
import { logger } from '#observability/powertools.ts';
import { createDepsFromEnv } from './create-deps.ts';

let deps: (AppDeps & { sweepIndex: SweepIndex }) | undefined;

/**
 * The handlers' shared deps, built once per Lambda container (clients are
 * reused across invocations) from the environment, on first use.
 */
export function runtimeDeps(): AppDeps & { sweepIndex: SweepIndex } {
  deps ??= {
    ...createDepsFromEnv(),
    log: { warn: (message, fields) => logger.warn(message, fields ?? {}), error: (message, fields) => logger.error(message, fields ?? {}) },
  };
  return deps;
}
