import { ProcessNotFoundError, ProcessPausedError, ProcessTaskNotClaimableError, TaskAlreadyClaimedError, TaskNotActiveError } from '#domain/errors.ts';
import { parseChildName } from '#domain/map-children.ts';
import type { TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { explainTaskConflict } from './explain-conflict.ts';
import type { UpstreamResult } from './ports.ts';
import { instant } from './timestamps.ts';
import { isRunningTask, isScheduledTask, TASK_STATUS } from '#domain/status-predicates.ts';
import { claimLimitedTask } from './claim-limited.ts';

export interface Claim {
  readonly leaseToken: string;
  readonly leaseExpiresAt: string;
  readonly attempt: number;
  /**
   * `upstream`: the outputs of the needs that completed. `failedUpstream`
   * (only when some need is an optional task that failed): their errors.
   * `skippedUpstream` (only when some need was SKIPPED by a branch): their names.
   */
  readonly input: { readonly process: unknown; readonly upstream: Record<string, unknown>; readonly failedUpstream?: Record<string, unknown>; readonly skippedUpstream?: readonly string[] };
  /** A child of a map: the map's name, the child's index and its item (`input.upstream` is then the map's). */
  readonly map?: string;
  readonly index?: number;
  readonly item?: unknown;
}

/** A lease length a worker asks for (`leaseSeconds` of the claim and heartbeat routes, 1..43200). */
export interface LeaseRequest {
  /** The lease's length in seconds; absent, the task's `timeoutSeconds`. */
  readonly leaseSeconds?: number | undefined;
}

/**
 * Claims a SCHEDULED task for a worker: one conditional write that returns a
 * fresh lease. The same worker claiming again while its lease is live gets the
 * same lease back; anyone else gets TaskAlreadyClaimed. On a paused process
 * the claim is undone and answered with ProcessPaused. The lease runs for
 * `leaseSeconds` when given (and heartbeats then extend it by as much), else
 * for the task's timeout; the attempt's own deadline still bounds it.
 *
 * @example
 * const claim = await claimTask(deps, processId, 'Review Credit', 'worker-1', { leaseSeconds: 30 });
 */
export async function claimTask(deps: AppDeps, processId: string, task: string, workerId: string, lease: LeaseRequest = {}): Promise<Claim> {
  const leaseMs = lease.leaseSeconds === undefined ? undefined : lease.leaseSeconds * 1000;
  const at = instant(deps);
  const child = parseChildName(task);
  // A child counts its claim in its map's counters of the process's run (the cached view: a rerun's children are claimed in their run).
  const mapRun = child ? (await deps.processes.identity({ id: processId }))?.run : undefined;
  // A child of a process that does not exist: nothing to count it in, and nothing to claim.
  if (child && mapRun === undefined) throw new ProcessNotFoundError(processId);
  // No worker runs a process task (its child process ends it): refused before any write, from the cached view.
  if (!child && (await isProcessTask(deps, processId, task))) throw new ProcessTaskNotClaimableError(task, 'claimed');
  const result = await deps.tasks.claim({ processId, task, workerId, leaseToken: deps.newToken(), now: at.now, iso: at.iso, ...(mapRun === undefined ? {} : { mapRun }), ...(leaseMs === undefined ? {} : { leaseMs }) });
  let item: TaskItem;
  if (!result.ok) {
    const current = result.current;
    const sameLiveLease = isRunningTask(current?.status) && current.workerId === workerId && (current.leaseExpiresAt ?? 0) > at.now;
    if (current && isScheduledTask(current.status) && current.limits !== undefined && (current.nextAttemptAt ?? 0) <= at.now) {
      // A task with a concurrency or rate limit: the plain claim refused it; it is claimed with its slots (issue 18).
      item = await claimLimitedTask(deps, processId, task, workerId, current, at, leaseMs);
    } else {
      if (!current || !sameLiveLease) throw await explainTaskConflict(deps, processId, task, 'claim', current, undefined);
      item = current;
    }
  } else {
    item = result.item;
  }
  if (!item.leaseToken || item.leaseExpiresAt === undefined || !item.definition || item.version === undefined) {
    throw new TaskAlreadyClaimedError(task);
  }
  // After resends backed off, the sweep entry may lie beyond the lease: pull it in,
  // so an abandoned lease is noticed when it expires (rare: only long-waiting tasks).
  const firstLook = Math.min(item.leaseExpiresAt, item.attemptDeadline ?? Number.POSITIVE_INFINITY);
  if (item.sweepAt !== undefined && item.sweepAt > firstLook) await deps.tasks.watchLease({ processId, item, at: firstLook });
  const def = await getDefinition(deps, item.definition, item.version);
  const needs = dagOf(def).tasks.get(child?.map ?? task)?.needs ?? [];
  const [{ input: processInput, paused }, outputs, mapItem, childItem] = await Promise.all([
    // The same one read as the input alone: a claim on a paused process costs nothing more until it is refused.
    deps.processes.getClaimInput({ id: processId }),
    needs.length > 0 ? deps.tasks.getUpstream({ processId, tasks: needs }) : Promise.resolve(new Map<string, UpstreamResult>()),
    child ? deps.tasks.get({ processId, task: child.map }) : undefined,
    child ? deps.maps.getItem({ processId, map: child.map, run: item.run ?? 1, index: child.index }) : undefined,
  ]);
  if (paused) {
    // Undo the claim (same attempt, lease fenced) and resend nothing: the resume sends the message again.
    // The sweeper's resend of a task marked while paused waits too; this entry is only a safety net.
    await deps.tasks.release({ processId, task, leaseToken: item.leaseToken, now: at.now, iso: at.iso, sweepAt: at.now + deps.settings.maxResendIntervalMs, ...(mapRun === undefined ? {} : { mapRun }) });
    throw new ProcessPausedError(processId);
  }
  if (child && !isRunningTask(mapItem?.status)) {
    // Its map ended early (failures past its tolerance, or its process ended) after this child was scheduled: it never runs.
    await deps.maps.cancelChild({ processId, task, status: 'running', run: item.run ?? 1, iso: at.iso, expiresAt: at.expiresAt });
    throw new TaskNotActiveError(task, TASK_STATUS.cancelled);
  }
  const upstream: Record<string, unknown> = {};
  const failedUpstream: Record<string, unknown> = {};
  // A parent a branch skipped is absent from upstream, and named here (in the order of the needs).
  const skippedUpstream: string[] = [];
  for (const need of needs) {
    const result = outputs.get(need);
    if (result?.failed) failedUpstream[need] = result.error;
    else if (result?.skipped) skippedUpstream.push(need);
    else upstream[need] = result?.output ?? null;
  }
  return {
    leaseToken: item.leaseToken,
    leaseExpiresAt: new Date(firstLook).toISOString(),
    attempt: item.attempt ?? 1,
    input: {
      process: processInput,
      upstream,
      ...(Object.keys(failedUpstream).length > 0 ? { failedUpstream } : {}),
      ...(skippedUpstream.length > 0 ? { skippedUpstream } : {}),
    },
    ...(child ? { map: child.map, index: child.index, item: childItem ?? null } : {}),
  };
}

/**
 * Extends the caller's lease from now: by `leaseSeconds` when given (the length its later heartbeats then extend by
 * too), else by the length its claim asked for, else by the task's timeout. Fenced by the token.
 */
export async function heartbeatTask(deps: AppDeps, processId: string, task: string, leaseToken: string, lease: LeaseRequest = {}): Promise<{ leaseExpiresAt: string }> {
  const leaseMs = lease.leaseSeconds === undefined ? undefined : lease.leaseSeconds * 1000;
  const result = await deps.tasks.heartbeat({ processId, task, leaseToken, now: deps.now(), ...(leaseMs === undefined ? {} : { leaseMs }) });
  if (!result.ok) throw await explainTaskConflict(deps, processId, task, 'heartbeat', result.current, leaseToken);
  // The worker is told the sooner of its lease and its attempt's deadline: past either, the token is dead.
  const until = Math.min(result.item.leaseExpiresAt ?? 0, result.item.attemptDeadline ?? Number.POSITIVE_INFINITY);
  return { leaseExpiresAt: new Date(until).toISOString() };
}

/** Whether `task` runs a sub-process (`process:`), by the process's cached view and its (cached) definition. */
async function isProcessTask(deps: AppDeps, processId: string, task: string): Promise<boolean> {
  const identity = await deps.processes.identity({ id: processId });
  if (!identity) return false;
  const def = await getDefinition(deps, identity.definition, identity.version);
  return dagOf(def).tasks.get(task)?.process !== undefined;
}
