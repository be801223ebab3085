import { isQueuedProcess, isRunningProcess, PROCESS_STATUS } from '#domain/status-predicates.ts';
import { SWEEP_REASON_ON_ENTRY, type SweepReason } from '#domain/lifecycle.ts';
import type { ProcessError, ProcessItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { getDefinition } from './definitions.ts';
import type { Written } from './ports.ts';
import { dequeueNext } from './process-pools.ts';
import { scheduleRoots } from './start-process.ts';
import { continueRerun } from './rerun-pass.ts';
import { instant } from './timestamps.ts';

/**
 * Process concurrency (issue 18): the ending of a process that holds a slot.
 * The slot goes straight to the head of its pool's queue in the ending's own
 * transaction (`endHandingOver`: the holder ends, the head becomes RUNNING,
 * the pool's count does not change), and the started process's roots follow
 * in the same call. Only an ending that finds nobody queued gives the slot
 * back; to a full pool it also marks the pool due on the sweep index, because
 * a start refused while the pool was full may be queuing just now.
 *
 * A hand-over cut by a crash before its roots: the started process owes them
 * on its sweep entry, still at its queue place, where the sweeper does not
 * look. The ending records `handedTo`, and whatever redoes the ending (the
 * follow-up of its last task, its cleanup) finishes that start
 * ({@link finishHandover}); so does any later reader of the queue's head.
 */

/** Queued processes an ending looks at per read of its queue's head (the index may still show some that left). */
const HEAD_READ = 5;
/** Reads of the queue's head before an ending gives up looking and gives its slot back (the pool is then marked). */
const MAX_HEAD_READS = 4;

/** How a holder ends: as `ProcessStore.end`'s arguments, without the time. */
export interface HolderEnding {
  readonly current: ProcessItem;
  readonly event: 'complete' | 'fail' | 'cancel';
  readonly owesCleanup: boolean;
  readonly error?: ProcessError;
}

/** What an ending did in its pool's turn; what it owes after (outside the turn: it may end processes of the pool). */
interface Turn {
  readonly result: Written<ProcessItem>;
  /** The process it started, owing its roots or its rerun's pass. */
  readonly started?: ProcessItem;
  /** Processes seen at the queue's head that a hand-over started and a crash left owing. */
  readonly stale: ProcessItem[];
  /** It gave its slot back: one more look at the queue. */
  readonly gaveBack: boolean;
}

/**
 * Ends a process that holds a slot of its pool: hands the slot to the head of
 * the queue, or gives it back when nobody is queued. Answers as
 * `ProcessStore.end` does (a lost condition on the ending itself comes back
 * with the process as it is now, for the caller's retry).
 */
export async function endHolder(deps: AppDeps, ending: HolderEnding): Promise<Written<ProcessItem>> {
  const pool = ending.current.pool!;
  const turn = await oneAtATime(pool, () => handOverOrGiveBack(deps, ending));
  for (const p of turn.stale) await finishStaleStart(deps, p);
  if (turn.started) await startOwed(deps, turn.started);
  // A start that queued while this ending looked (its read of the index saw nobody) takes the slot now.
  if (turn.gaveBack && turn.result.ok && (await deps.pools.queueHead({ pool, limit: 1 })).length > 0) await dequeueNext(deps, pool);
  return turn.result;
}

async function handOverOrGiveBack(deps: AppDeps, ending: HolderEnding): Promise<Turn> {
  const pool = ending.current.pool!;
  const at = instant(deps);
  const tried = new Set<string>();
  const stale: ProcessItem[] = [];
  for (let read = 0; read < MAX_HEAD_READS; read++) {
    const head = (await deps.pools.queueHead({ pool, limit: HEAD_READ + tried.size })).filter((id) => !tried.has(id));
    let next: ProcessItem | undefined;
    for (const id of head) {
      tried.add(id);
      const p = await deps.processes.get({ id });
      if (p !== undefined && isQueuedProcess(p.status)) {
        next = p;
        break;
      }
      // Not queued any more: dequeued, cancelled, or started by a hand-over whose call died before its roots.
      if (p !== undefined) stale.push(p);
    }
    if (next === undefined) break;
    const def = await getDefinition(deps, next.definition, next.version);
    // The timeout counts from the actual start; a process with one must be seen by the sweeper at its deadline.
    const deadlineAt = def.timeoutSeconds === undefined ? undefined : at.now + def.timeoutSeconds * 1000;
    const toSweep = deadlineAt === undefined ? undefined : { sweepAt: at.now + deps.settings.followUpGraceMs };
    const r = await deps.processes.endHandingOver({
      ...ending,
      at,
      to: next,
      toStart: { ...(deadlineAt === undefined ? {} : { deadlineAt }), ...(toSweep === undefined ? {} : { toSweep }) },
    });
    if (r.toGone) continue;
    const started = r.ok ? { ...next, status: PROCESS_STATUS.running, sweepAt: toSweep?.sweepAt ?? next.sweepAt, sweepReason: startReasonOf(next), ...(deadlineAt === undefined ? {} : { deadlineAt }) } : undefined;
    return { result: r, stale, gaveBack: false, ...(started === undefined ? {} : { started }) };
  }
  return { result: await giveBack(deps, ending, at), stale, gaveBack: true };
}

/**
 * The endings of one pool that run in this process (a batch of completions runs its processes side by side) take
 * turns: each reads the queue's head after the one before handed its slot over, so they do not all pick the same
 * head and lose (a refused transaction is billed all the same). Only an optimisation: endings in other processes
 * still race, and the table's conditions decide.
 */
const turns = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(pool: string, fn: () => Promise<T>): Promise<T> {
  const run = (turns.get(pool) ?? Promise.resolve()).then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  turns.set(pool, tail);
  try {
    return await run;
  } finally {
    if (turns.get(pool) === tail) turns.delete(pool);
  }
}

/** Nobody queued: the slot goes back to the pool (marked due when it was full). */
async function giveBack(deps: AppDeps, ending: HolderEnding, at: { now: number; iso: string; expiresAt: number }): Promise<Written<ProcessItem>> {
  const pool = ending.current.pool!;
  const def = await getDefinition(deps, ending.current.definition, ending.current.version);
  const limit = def.concurrency?.limit ?? Number.MAX_SAFE_INTEGER;
  const mark = { markAt: at.now + deps.settings.followUpGraceMs };
  const full = ((await deps.pools.get({ pool }))?.slotsHeld ?? 0) >= limit;
  let r = await deps.processes.end({ ...ending, at, giveBack: full ? mark : { limit } });
  // The pool filled up since the read: a start may have been refused meanwhile.
  if (r.poolFull) r = await deps.processes.end({ ...ending, at, giveBack: mark });
  return r;
}

/** What a process owes when it leaves the queue: its roots, or (a queued rerun) its rerun's pass. */
export function startReasonOf(p: Pick<ProcessItem, 'run'>): SweepReason {
  return p.run > 1 ? SWEEP_REASON_ON_ENTRY.reopened.process : SWEEP_REASON_ON_ENTRY.process.RUNNING;
}

/** The work a process that just left the queue owes on its sweep entry: its roots, or its rerun's pass. Idempotent. */
export async function startOwed(deps: AppDeps, p: ProcessItem, budgetMs?: number): Promise<void> {
  if (p.sweepAt === undefined) return;
  if (p.sweepReason === SWEEP_REASON_ON_ENTRY.reopened.process) {
    await continueRerun(deps, p, budgetMs);
    return;
  }
  if (p.sweepReason !== SWEEP_REASON_ON_ENTRY.process.RUNNING) return;
  await scheduleRoots(deps, p.id, p.definition, p.version, p.sweepAt, {
    ...(p.resumeFrom === undefined ? {} : { from: p.resumeFrom }),
    ...(p.deadlineAt === undefined ? {} : { deadlineAt: p.deadlineAt }),
    ...(budgetMs === undefined ? {} : { budgetMs }),
  });
}

/** A process started by a hand-over whose call died before its roots (or rerun pass): finish them. Idempotent. */
export async function finishStart(deps: AppDeps, p: ProcessItem): Promise<void> {
  if (isRunningProcess(p.status)) await startOwed(deps, p);
}

/**
 * A process a reader of the queue's head found started but still on the queue's index: finished only once its start
 * is older than the follow-up grace. A younger one is most likely being started by the call that handed it the slot
 * (its roots and the leaving of the queue come right after the hand-over), and finishing it too would cost refused
 * writes for nothing; a start a crash did cut is finished by the redo of the ending ({@link finishHandover}) or by a
 * reader after the grace.
 */
export async function finishStaleStart(deps: AppDeps, p: ProcessItem): Promise<void> {
  const started = p.startedAt === undefined ? Number.NaN : Date.parse(p.startedAt);
  if (Number.isFinite(started) && started + deps.settings.followUpGraceMs > deps.now()) return;
  await finishStart(deps, p);
}

/** After an ending is redone (its follow-up or cleanup ran again): the start its slot went to, finished if a crash cut it. */
export async function finishHandover(deps: AppDeps, ended: ProcessItem): Promise<void> {
  if (ended.handedTo === undefined) return;
  const to = await deps.processes.get({ id: ended.handedTo });
  if (to !== undefined) await finishStart(deps, to);
}
