import { SWEEP_REASON_ON_ENTRY } from '#domain/lifecycle.ts';
import { LAST_ERROR_LIMITS, summariseError } from '#domain/retry-policy.ts';
import type { EndTask, SettleCount, SubProcessStore, TaskRef } from '#app/ports.ts';
import type { AttemptRecord, TaskError } from '#schemas/items.ts';
import { DEFAULT_SWEEP_SHARDS } from '#config/table.ts';
import type { ItemTable } from '../item-table.ts';
import { keys, sweepShardOf } from './keys.ts';
import { taskUpdate } from './row-writes.ts';
import { progressWrite, settleWrite } from './task-writes.ts';
import { poolFreeWrite } from './item-slot-store.ts';

/**
 * A process task's own writes on any {@link ItemTable} (issue 17, part 3):
 * its child started (`startChild`), and its ending when the child ends
 * (`completeByChild`, `failByChild`, `retryByChild`). No lease exists: each
 * write is guarded on the run and the attempt the caller read, so a late or
 * repeated call (a crash redone, two sweepers) writes nothing twice. Every
 * write comes from its row of the lifecycle table (`row-writes.ts`).
 */
export class ItemSubProcessStore implements SubProcessStore {
  constructor(
    private readonly table: ItemTable,
    private readonly sweepShards: number = DEFAULT_SWEEP_SHARDS,
  ) {}

  async start(args: TaskRef & { run: number; attempt: number; childProcessId: string; childRun: number; iso: string }): Promise<boolean> {
    const values = { childProcessId: args.childProcessId, childRun: args.childRun, claimedAt: args.iso };
    return (await this.table.write(taskUpdate('startChild', keys.task(args), values, { run: args.run, attempt: args.attempt }))).ok;
  }

  async complete({ end, attempt, output, settles, sweepAt }: { end: EndTask; attempt: number; output: unknown; settles: readonly SettleCount[]; sweepAt: number }): Promise<boolean> {
    const key = keys.task(end);
    const values = { ...this.endedValues(end, key, sweepAt), outputJson: JSON.stringify(output) };
    const update = taskUpdate('completeByChild', key, values, { run: end.run, attempt, held: end.held ?? false });
    return (await this.table.transact([update, progressWrite('completeByChild', end), ...settles.map((s) => settleWrite('completeByChild', end, s)), ...(end.pooled ? [poolFreeWrite(end.processId, end.run)] : [])])).ok;
  }

  async fail(args: { end: EndTask; attempt: number; error: TaskError; record: AttemptRecord; settles: readonly SettleCount[]; sweepAt: number }): Promise<boolean> {
    const { end } = args;
    const key = keys.task(end);
    const values = {
      ...this.endedValues(end, key, args.sweepAt),
      errorJson: JSON.stringify(args.error),
      lastErrorJson: JSON.stringify(summariseError(args.error, LAST_ERROR_LIMITS)),
      attempts: [args.record],
    };
    const update = taskUpdate('failByChild', key, values, { run: end.run, attempt: args.attempt, held: end.held ?? false });
    return (await this.table.transact([update, progressWrite('failByChild', end), ...args.settles.map((s) => settleWrite('failByChild', end, s)), ...(end.pooled ? [poolFreeWrite(end.processId, end.run)] : [])])).ok;
  }

  async retry(args: TaskRef & { run: number; attempt: number; iso: string; nextAttemptAt: number; error: TaskError; record: AttemptRecord }): Promise<boolean> {
    const key = keys.task(args);
    const values = {
      attempt: args.attempt + 1,
      nextAttemptAt: args.nextAttemptAt,
      lastErrorJson: JSON.stringify(summariseError(args.error, LAST_ERROR_LIMITS)),
      scheduledAt: args.iso,
      sweepShard: sweepShardOf(key, this.sweepShards),
      // The sweeper reruns the child when the backoff is over: no message, no queue.
      sweepAt: args.nextAttemptAt,
      sweepReason: SWEEP_REASON_ON_ENTRY.subProcess.start,
      sends: 0,
      attempts: [args.record],
    };
    return (await this.table.write(taskUpdate('retryByChild', key, values, { run: args.run, attempt: args.attempt }))).ok;
  }

  private endedValues(end: EndTask, key: { pk: string; sk: string }, sweepAt: number) {
    return { endedAt: end.iso, expiresAt: end.expiresAt, sweepShard: sweepShardOf(key, this.sweepShards), sweepAt, sweepReason: SWEEP_REASON_ON_ENTRY.task.COMPLETED };
  }
}
