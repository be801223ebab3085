import type { Companion, Effects } from './effects.ts';
import type { GuardKind } from './guards.ts';

/**
 * The transition table: every status change of a task or a process is one row
 * of {@link TASK_TRANSITIONS} or {@link PROCESS_TRANSITIONS}: the statuses it
 * may start from, the status it leads to, the guards it checks (their
 * language is in `guards.ts`), its effects on the item (`effects.ts`) and the
 * writes that go with it in one transaction (`companions`). This file holds
 * the statuses and what a row is; the rows are in `task-transitions.ts` and
 * `process-transitions.ts`.
 */

export const TASK_STATUSES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** PAUSED is reachable once pause and resume exist (operator controls); the table already has room for it. */
/** QUEUED (issue 18): started over its definition's concurrency limit, waiting for a slot (it holds none). */
export const PROCESS_STATUSES = ['RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED', 'QUEUED'] as const;
export type ProcessStatus = (typeof PROCESS_STATUSES)[number];

/** One kind of write on one kind of item: what it checks, what it changes, and why. */
export interface WriteRow {
  readonly guards: readonly GuardKind[];
  /** What the write sets and removes (besides the status, which follows `to`); the store supplies the values. */
  readonly effects: Effects;
  /** The writes of other items in the same transaction (join counters, the end counter, the input, a history record). */
  readonly companions?: readonly Companion[];
  /** One line on why the row exists. */
  readonly doc: string;
}

export interface TransitionRow<S extends string> extends WriteRow {
  /** Statuses the event may start from. `absent` means the item does not exist yet (a PENDING task has no item). */
  readonly from: readonly (S | 'absent')[];
  /** The status after the event; `from` itself for events that change no status (heartbeat, sweep bookkeeping). */
  readonly to: S | 'same';
}


/** Ended statuses. A task leaves one only through `reopen` (rerun). */
export const TERMINAL_TASK_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const satisfies readonly TaskStatus[];
/** A task on a queue or held by a worker. */
export const ACTIVE_TASK_STATUSES = ['SCHEDULED', 'RUNNING'] as const satisfies readonly TaskStatus[];
export const TERMINAL_PROCESS_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED'] as const satisfies readonly ProcessStatus[];

/** @example isTerminalTask('SKIPPED') // true */
export function isTerminalTask(status: TaskStatus): boolean {
  return (TERMINAL_TASK_STATUSES as readonly string[]).includes(status);
}

/** @example isActiveTask('SCHEDULED') // true */
export function isActiveTask(status: TaskStatus): boolean {
  return (ACTIVE_TASK_STATUSES as readonly string[]).includes(status);
}

/** @example isTerminalProcess('RUNNING') // false */
export function isTerminalProcess(status: ProcessStatus): boolean {
  return (TERMINAL_PROCESS_STATUSES as readonly string[]).includes(status);
}
