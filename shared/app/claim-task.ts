import { TaskAlreadyClaimedError } from '#domain/errors.ts';
import { ConditionFailed } from '#adapters/dynamo/conditional.ts';
import { TaskItemSchema, type TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { explainTaskConflict } from './explain-conflict.ts';
import { instant } from './timestamps.ts';

export interface Claim {
  readonly leaseToken: string;
  readonly leaseExpiresAt: string;
  readonly attempt: number;
  readonly input: { readonly process: unknown; readonly upstream: Record<string, unknown> };
}

/**
 * Claims a SCHEDULED task for a worker: one conditional write that returns a
 * fresh lease. The same worker claiming again while its lease is live gets the
 * same lease back; anyone else gets TaskAlreadyClaimed.
 *
 * @example
 * const claim = await claimTask(deps, processId, 'Review Credit', 'worker-1');
 */
export async function claimTask(deps: AppDeps, processId: string, task: string, workerId: string): Promise<Claim> {
  const at = instant(deps);
  const result = await deps.tasks.claim(processId, task, workerId, deps.newToken(), at.now, at.iso);
  let item: TaskItem;
  if (result instanceof ConditionFailed) {
    const current = result.item ? TaskItemSchema.parse(result.item) : undefined;
    const sameLiveLease = current?.status === 'RUNNING' && current.workerId === workerId && (current.leaseExpiresAt ?? 0) > at.now;
    if (!sameLiveLease) throw await explainTaskConflict(deps, processId, task, 'claim', result.item, undefined);
    item = current;
  } else {
    item = result;
  }
  if (!item.leaseToken || item.leaseExpiresAt === undefined || !item.definition || item.version === undefined) {
    throw new TaskAlreadyClaimedError(task);
  }
  // After resends backed off, the sweep entry may lie beyond the lease: pull it in,
  // so an abandoned lease is noticed when it expires (rare: only long-waiting tasks).
  if (item.sweepAt !== undefined && item.sweepAt > item.leaseExpiresAt) await deps.tasks.moveRunningSweep(processId, item, item.leaseExpiresAt);
  const def = await getDefinition(deps, item.definition, item.version);
  const needs = dagOf(def).tasks.get(task)?.needs ?? [];
  const [processInput, outputs] = await Promise.all([
    deps.processes.getInput(processId),
    needs.length > 0 ? deps.tasks.getMany(processId, needs, ['outputJson']) : Promise.resolve(new Map<string, Record<string, unknown>>()),
  ]);
  const upstream: Record<string, unknown> = {};
  for (const need of needs) {
    const json = outputs.get(need)?.outputJson;
    upstream[need] = typeof json === 'string' ? (JSON.parse(json) as unknown) : null;
  }
  return {
    leaseToken: item.leaseToken,
    leaseExpiresAt: new Date(item.leaseExpiresAt).toISOString(),
    attempt: item.attempt ?? 1,
    input: { process: processInput, upstream },
  };
}

/** Extends the caller's lease by the task's timeout. Fenced by the token. */
export async function heartbeatTask(deps: AppDeps, processId: string, task: string, leaseToken: string): Promise<{ leaseExpiresAt: string }> {
  const result = await deps.tasks.heartbeat(processId, task, leaseToken, deps.now());
  if (result instanceof ConditionFailed) throw await explainTaskConflict(deps, processId, task, 'heartbeat', result.item, leaseToken);
  return { leaseExpiresAt: new Date(result.leaseExpiresAt ?? 0).toISOString() };
}
