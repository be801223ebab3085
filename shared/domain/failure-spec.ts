import { DEFAULT_RETRY, resolveTaskPolicy, type FailureDefaults, type FailurePolicy, type RetryOverrides, type TaskFailureKeys } from './retry-policy.ts';

/**
 * The failure keys of a definition (issue 7) as the normalised spec carries
 * them, kept apart from the rest of the definition language. The spec keeps
 * what was written (task overrides and `defaults`), which is compact to store;
 * {@link resolveTaskPolicy} applies the defaults when a task runs.
 */

/** Top-level failure keys of a normalised definition; absent keys take their defaults. */
export interface DefinitionFailureKeys {
  /** The whole process; past it the process ends FAILED (ProcessTimedOut). */
  readonly timeoutSeconds?: number;
  /** @default 'failFast' */
  readonly onFailure?: FailurePolicy;
  /** What every task inherits (retry, attemptTimeoutSeconds); the lease default is applied to each task's timeoutSeconds. */
  readonly defaults?: FailureDefaults;
}

/** A task's own failure keys, as written. */
export type TaskFailureSpec = TaskFailureKeys;

interface DocumentFailureKeys {
  readonly timeoutSeconds?: number | undefined;
  readonly onFailure?: FailurePolicy | undefined;
  readonly defaults?: { readonly retry?: RetryOverrides | undefined; readonly attemptTimeoutSeconds?: number | undefined } | undefined;
  readonly tasks: readonly { readonly retry?: RetryOverrides | undefined; readonly optional?: boolean | undefined; readonly attemptTimeoutSeconds?: number | undefined }[];
}

/** The failure keys of a validated document, without undefined keys. */
export function normaliseFailureKeys(doc: DocumentFailureKeys): { process: DefinitionFailureKeys; tasks: TaskFailureSpec[] } {
  const defaults = compact({ retry: doc.defaults?.retry && compact(doc.defaults.retry), attemptTimeoutSeconds: doc.defaults?.attemptTimeoutSeconds });
  const process = compact({
    timeoutSeconds: doc.timeoutSeconds,
    onFailure: doc.onFailure,
    defaults: Object.keys(defaults).length > 0 ? defaults : undefined,
  });
  const tasks = doc.tasks.map((t) => compact({ retry: t.retry && compact(t.retry), optional: t.optional, attemptTimeoutSeconds: t.attemptTimeoutSeconds }));
  return { process, tasks };
}

/**
 * The failure keys' part of the canonical form: each task's *resolved* policy
 * where it differs from the built-in defaults, so a spelled-out default hashes
 * like an omitted one, and any real change of policy makes a new version.
 */
export function canonicalFailureKeys(spec: DefinitionFailureKeys & { readonly tasks: readonly TaskFailureSpec[] }): {
  process: Record<string, unknown>;
  tasks: Record<string, unknown>[];
} {
  const process = compact({ timeoutSeconds: spec.timeoutSeconds, onFailure: spec.onFailure === 'failFast' ? undefined : spec.onFailure });
  const tasks = spec.tasks.map((t) => {
    const resolved = resolveTaskPolicy(spec.defaults, t);
    const retry = Object.fromEntries(
      (Object.keys(DEFAULT_RETRY) as (keyof typeof DEFAULT_RETRY)[])
        .filter((k) => JSON.stringify(resolved.retry[k]) !== JSON.stringify(DEFAULT_RETRY[k]))
        .map((k) => [k, resolved.retry[k]]),
    );
    return compact({
      retry: Object.keys(retry).length > 0 ? retry : undefined,
      optional: resolved.optional ? true : undefined,
      attemptTimeoutSeconds: resolved.attemptTimeoutSeconds,
    });
  });
  return { process, tasks };
}

function compact<T extends object>(value: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
