import { createHash } from 'node:crypto';
import { canonicalJson } from '#domain/canonical-json.ts';
import { IdempotencyKeyReusedError } from '#domain/errors.ts';
import type { StartProcessBody } from '#schemas/api.ts';
import type { AppDeps } from './deps.ts';
import type { ProcessView } from './process-views.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { checkProcessInput } from './input-validation.ts';
import { scheduleNewTasks } from './scheduling.ts';
import { budgetedPassDeadline, instant } from './timestamps.ts';
import { PROCESS_STATUS } from '#domain/status-predicates.ts';
import { createInPool } from './process-pools.ts';
import { notBehind } from './sweep-log.ts';

/** What POST /processes answers: the process as it starts, without its tasks. */
export type StartedProcess = Pick<ProcessView, 'id' | 'definition' | 'version' | 'status' | 'input' | 'createdAt'>;

/**
 * Starts a process of a definition (latest version unless one is given) and
 * schedules its roots. With an idempotency key, the process id is derived from
 * the key, so a repeat finds the same process (`created: false`); a reuse of
 * the key for another request (definition, version or input) is refused with
 * IdempotencyKeyReusedError, by a hash of the request stored on the process. `link`
 * names the ended process a compensation process compensates, or the parent
 * process and task of a child process (and its depth).
 *
 * @example
 * const { created, process } = await startProcess(deps, { definition: 'loan', input: { amount: 10 } });
 */
export async function startProcess(
  deps: AppDeps,
  body: StartProcessBody,
  link: { compensates?: string; parent?: { processId: string; task: string }; depth?: number } = {},
): Promise<{ created: boolean; process: StartedProcess }> {
  const def = await getDefinition(deps, body.definition, body.version);
  checkProcessInput(def, body.input ?? null);
  const dag = dagOf(def);
  const at = instant(deps);
  const id = body.idempotencyKey === undefined ? deps.newId() : processIdOfKey(body.idempotencyKey);
  const input = body.input ?? null;
  const deadlineAt = def.timeoutSeconds === undefined ? undefined : at.now + def.timeoutSeconds * 1000;
  const newProcess = {
    id,
    definition: def.name,
    version: def.version,
    total: dag.order.length,
    createdAt: at.iso,
    ...(body.idempotencyKey === undefined ? {} : { idempotencyKey: body.idempotencyKey, requestHash: requestHashOf(body) }),
    // Until the roots are written, the process is on the sweep index.
    sweepAt: at.now + deps.settings.followUpGraceMs,
    inputExpiresAt: at.expiresAt + deps.settings.maxProcessSeconds,
    ...(deadlineAt === undefined ? {} : { deadlineAt }),
    ...(link.compensates === undefined ? {} : { compensates: link.compensates }),
    ...(link.parent === undefined ? {} : { parent: link.parent, depth: link.depth ?? 1 }),
  };
  // Issue 18: under a concurrency limit the process takes a slot of its pool, or queues, or is refused.
  const pooled = def.concurrency === undefined ? undefined : await createInPool(deps, def.concurrency, newProcess, input);
  const result = pooled ?? (await deps.processes.create({ process: newProcess, input }));
  if (pooled?.created === true && pooled.queued) {
    // The start may have been dequeued at once (a slot freed meanwhile): answer the status as it is.
    const now = await deps.processes.get({ id });
    return { created: true, process: { id, definition: def.name, version: def.version, status: now?.status ?? PROCESS_STATUS.queued, input, createdAt: at.iso } };
  }
  if (!result.created) {
    const existing = result.existing;
    // A process started before the hash was stored has none: it is taken as the same request, as it was then.
    if (existing.requestHash !== undefined && existing.requestHash !== requestHashOf(body)) {
      throw new IdempotencyKeyReusedError(body.idempotencyKey!, existing.id);
    }
    return {
      created: false,
      process: {
        id: existing.id,
        definition: existing.definition,
        version: existing.version,
        status: existing.status,
        input: await deps.processes.getInput({ id: existing.id }),
        createdAt: existing.createdAt,
      },
    };
  }
  await scheduleRoots(deps, id, def.name, def.version, at.now + deps.settings.followUpGraceMs, deadlineAt === undefined ? {} : { deadlineAt });
  return { created: true, process: { id, definition: def.name, version: def.version, status: PROCESS_STATUS.running, input, createdAt: at.iso } };
}

/** Writes the roots as SCHEDULED, sends their messages, then takes the process off the sweep index. Idempotent. */
export async function scheduleRoots(
  deps: AppDeps,
  id: string,
  definition: string,
  version: number,
  sweepAt: number,
  resume: { from?: number; budgetMs?: number; deadlineAt?: number } = {},
): Promise<void> {
  const def = await getDefinition(deps, definition, version);
  const at = instant(deps);
  const from = resume.from ?? 0;
  const roots = dagOf(def).roots.slice(from);
  const pass = await scheduleNewTasks(deps, def, id, roots, at, budgetedPassDeadline(deps, at, resume.budgetMs));
  if (!pass.complete) {
    // Too many roots for one call's budget: the sweeper resumes from here, now.
    await deps.processes.deferSweep({ id, sweepAt, nextSweepAt: deps.now(), resumeFrom: from + pass.handled });
    return;
  }
  // A process with timeoutSeconds stays on the sweep index, due at its deadline.
  if (resume.deadlineAt !== undefined) await deps.processes.awaitDeadline({ id, sweepAt, deadlineAt: notBehind(deps, resume.deadlineAt) });
  else await deps.processes.clearSweep({ id, sweepAt });
}

/**
 * What makes two starts with one idempotency key the same request: the
 * definition, the version as asked (none means "the latest", so a repeat after
 * a new version is published is still the same request) and the input, as
 * canonical JSON (key order does not matter).
 */
export function requestHashOf(body: Pick<StartProcessBody, 'definition' | 'version' | 'input'>): string {
  const request = canonicalJson({ definition: body.definition, version: body.version ?? null, input: body.input ?? null });
  return createHash('sha256').update(request).digest('base64url');
}

/** The UUID-shaped id of the process started with an idempotency key. */
export function processIdOfKey(key: string): string {
  const h = createHash('sha256').update(`idempotency:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
