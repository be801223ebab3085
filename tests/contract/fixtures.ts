import type { EndTask, NewProcess, ScheduleContext, TaskRef } from '#app/ports.ts';
import type { DefinitionVersionItem } from '#schemas/items.ts';

/** Every time in the contract is fixed: no clock, so both adapters see the same values. */
export const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
export const iso = (t: number): string => new Date(t).toISOString();
/** A task's timeout in the contract's schedules. */
export const TIMEOUT_SECONDS = 300;
export const EXPIRES_AT = Math.floor(T0 / 1000) + 86_400;

export function schedule(processId: string, task: string, over: Partial<ScheduleContext> = {}): ScheduleContext {
  return {
    processId,
    task,
    definition: 'contract',
    version: 1,
    queue: 'default',
    timeoutSeconds: TIMEOUT_SECONDS,
    attempt: 1,
    run: 1,
    iso: iso(T0),
    sweepAt: T0 + 60_000,
    ...over,
  };
}

/** A task item as `schedule(...)` writes it, parsed. */
export function scheduledItem(task: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: task,
    status: 'SCHEDULED',
    attempt: 1,
    run: 1,
    queue: 'default',
    definition: 'contract',
    version: 1,
    timeoutMs: TIMEOUT_SECONDS * 1000,
    scheduledAt: iso(T0),
    sweepAt: T0 + 60_000,
    sweepReason: 'enqueue',
    sends: 0,
    ...over,
  };
}

export function claimArgs(ref: TaskRef, leaseToken: string, now = T0): TaskRef & { workerId: string; leaseToken: string; now: number; iso: string } {
  return { ...ref, workerId: 'worker-1', leaseToken, now, iso: iso(now) };
}

export function endTask(ref: TaskRef, leaseToken: string | undefined, now = T0 + 1_000): EndTask {
  return { ...ref, ...(leaseToken === undefined ? {} : { leaseToken }), iso: iso(now), now, expiresAt: EXPIRES_AT, run: 1 };
}

export function newProcess(id: string, over: Partial<NewProcess> = {}): NewProcess {
  return { id, definition: 'contract', version: 1, total: 2, createdAt: iso(T0), sweepAt: T0 + 30_000, inputExpiresAt: EXPIRES_AT, ...over };
}

export function definitionVersion(name: string, version: number, over: Partial<DefinitionVersionItem> = {}): DefinitionVersionItem {
  return {
    name,
    version,
    description: `${name} v${version}`,
    tasks: [{ name: 'A', needs: [], queue: 'default', timeoutSeconds: TIMEOUT_SECONDS }],
    contentHash: `hash-${name}-${version}`,
    createdAt: iso(T0 + version),
    ...over,
  };
}
