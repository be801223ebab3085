import { AsyncLocalStorage } from 'node:async_hooks';
import type { AppDeps } from './deps.ts';
import { logger } from '#observability/powertools.ts';
import { createDepsFromEnv } from './create-deps.ts';

let deps: AppDeps | undefined;
const scoped = new AsyncLocalStorage<AppDeps>();

/**
 * The handlers' shared deps, built once per Lambda container (clients are
 * reused across invocations) from the environment, on first use. Inside
 * {@link withDeps} the handlers run on the deps given there instead: that is
 * how the test engine runs the real handlers on its in-memory adapters.
 */
export function runtimeDeps(): AppDeps {
  const own = scoped.getStore();
  if (own) return own;
  deps ??= {
    ...createDepsFromEnv(),
    log: { warn: (message, fields) => logger.warn(message, fields ?? {}), error: (message, fields) => logger.error(message, fields ?? {}) },
  };
  return deps;
}

/** Runs `fn` with the handlers seeing `own` as their deps. */
export function withDeps<T>(own: AppDeps, fn: () => T): T {
  return scoped.run(own, fn);
}
