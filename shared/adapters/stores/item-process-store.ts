import { BY_KIND_INDEX, DEFAULT_SWEEP_SHARDS, PROCESS_BY_DEFINITION_INDEX, PROCESS_BY_STATUS_INDEX } from '#config/table.ts';
import { PROCESS_TRANSITIONS, processTarget, SWEEP_REASON_ON_ENTRY, TASK_STATUS, type ProcessStatus, type TaskStatus } from '#domain/lifecycle.ts';
import type { Conflict, NewProcess, Page, PoolPlacement, ProcessEnding, ProcessIdentity, ProcessStore, ReopenProcess, RunProgress, SeedProgress, Written } from '#app/ports.ts';
import {
  ProcessEventItemSchema,
  ProcessItemSchema,
  ProcessSummarySchema,
  RunRecordSchema,
  type ProcessEventItem,
  type ProcessItem,
  type ProcessSummary,
  type RunRecord,
} from '#schemas/items.ts';
import type { ItemTable } from '../item-table.ts';
import { EVENT_SK_PREFIX, keys, PROCESS_KIND, processIdOf, processIndexKeys, processIndexShards, progressPrefix, progressShardOf, queuePartitionOf, RUN_SK_PREFIX, sweepShardOf } from './keys.ts';
import { decodeShardCursor, encodeShardCursor, queryShards, type ShardPartition } from './merged-shards.ts';
import { companionOf, endCounterUpdate, inputWrite, poolUpdate, processPut, processUpdate, progressUpdate, recordPut } from './row-writes.ts';
import { holdsSlotProcess } from '#domain/status-predicates.ts';
import { ProcessConcurrencyLimitedError } from '#domain/errors.ts';

/** Identities cached per container: a process's definition and version never change. */
const MAX_CACHED_IDENTITIES = 10_000;

/**
 * The process item (`META`) holds only fixed-size state and is rewritten only
 * on process-level changes (start, end), never per task. The input lives in
 * its own item, written once; a counter item (`END`) counts settled sinks.
 * Every write is built from its row of the lifecycle table (`row-writes.ts`).
 */
export class ItemProcessStore implements ProcessStore {
  private readonly identities = new Map<string, ProcessIdentity>();

  /** @param sweepShards how many sweep shards the process items' entries spread over (the setting). */
  constructor(
    private readonly table: ItemTable,
    private readonly sweepShards: number = DEFAULT_SWEEP_SHARDS,
  ) {}

  async create({ process: p, input }: { process: NewProcess; input: unknown }): Promise<{ created: true } | { created: false; existing: ProcessItem }> {
    const meta = keys.processMeta(p.id);
    // The input first: it is write-once, and harmless if the META write then
    // loses (same id means same idempotency key, hence the same request).
    // Stored as JSON text: any JSON value fits, however deeply nested.
    await this.table.write(inputWrite('create', keys.processInput(p.id), { inputJson: JSON.stringify(input ?? null), expiresAt: p.inputExpiresAt }));
    const status = processTarget('start');
    const r = await this.table.write(
      processPut('start', meta, {
        id: p.id,
        definition: p.definition,
        version: p.version,
        total: p.total,
        ver: 1,
        run: 1,
        createdAt: p.createdAt,
        updatedAt: p.createdAt,
        idempotencyKey: p.idempotencyKey,
        requestHash: p.requestHash,
        // Every index key a start writes is sharded by the id: no key is shared by every start.
        kind: processIndexKeys.kind(p.id),
        kindKey: `${p.createdAt}#${p.id}`,
        createdKey: `${p.createdAt}#${p.id}`,
        procStatus: processIndexKeys.status(p.id, status),
        procDefinition: processIndexKeys.definition(p.id, p.definition),
        sweepShard: sweepShardOf(meta, this.sweepShards),
        sweepAt: p.sweepAt,
        sweepReason: SWEEP_REASON_ON_ENTRY.process.RUNNING,
        deadlineAt: p.deadlineAt,
        compensates: p.compensates,
        parentProcessId: p.parent?.processId,
        parentTask: p.parent?.task,
        depth: p.depth,
      }),
    );
    if (!r.ok) return { created: false, existing: ProcessItemSchema.parse(r.current) };
    return { created: true };
  }

  async createInPool({ process: p, input, placement }: { process: NewProcess; input: unknown; placement: PoolPlacement }): Promise<
    { created: true } | { created: false; existing: ProcessItem } | { created: false; full: true }
  > {
    const meta = keys.processMeta(p.id);
    await this.table.write(inputWrite('create', keys.processInput(p.id), { inputJson: JSON.stringify(input ?? null), expiresAt: p.inputExpiresAt }));
    const shared = {
      id: p.id,
      definition: p.definition,
      version: p.version,
      total: p.total,
      ver: 1,
      run: 1,
      createdAt: p.createdAt,
      updatedAt: p.createdAt,
      idempotencyKey: p.idempotencyKey,
      requestHash: p.requestHash,
      kind: processIndexKeys.kind(p.id),
      kindKey: `${p.createdAt}#${p.id}`,
      createdKey: `${p.createdAt}#${p.id}`,
      procDefinition: processIndexKeys.definition(p.id, p.definition),
      compensates: p.compensates,
      pool: placement.pool,
      concurrencyKey: placement.concurrencyKey,
    };
    if (placement.queueTicket !== undefined) {
      // Its sweep entry is its place in the queue: the queue's partition, sorted by its ticket (first in first out).
      const queued = processPut('queue', meta, {
        ...shared,
        procStatus: processIndexKeys.status(p.id, processTarget('queue')),
        sweepShard: queuePartitionOf(placement.pool),
        sweepAt: placement.queueTicket,
        sweepReason: SWEEP_REASON_ON_ENTRY.queued,
        queueTicket: placement.queueTicket,
      });
      const r = await this.table.write(queued);
      return r.ok ? { created: true } : { created: false, existing: ProcessItemSchema.parse(r.current) };
    }
    companionOf(PROCESS_TRANSITIONS.start, 'pool.take', 'process event start');
    const r = await this.table.transact([
      processPut('start', meta, {
        ...shared,
        procStatus: processIndexKeys.status(p.id, processTarget('start')),
        sweepShard: sweepShardOf(meta, this.sweepShards),
        sweepAt: p.sweepAt,
        sweepReason: SWEEP_REASON_ON_ENTRY.process.RUNNING,
        deadlineAt: p.deadlineAt,
        startedAt: p.createdAt,
      }),
      poolUpdate('take', keys.pool(placement.pool), { slotsHeld: 1, definition: p.definition, poolKey: placement.concurrencyKey }, { limit: placement.limit }),
    ]);
    if (r.ok) return { created: true };
    const [processLost, poolLost] = r.reasons;
    if (processLost?.code === 'ConditionalCheckFailed' && processLost.current) return { created: false, existing: ProcessItemSchema.parse(processLost.current) };
    if (poolLost?.code === 'ConditionalCheckFailed') return { created: false, full: true };
    throw new Error(`the start of process '${p.id}' was refused: ${r.reasons.map((x) => x.code).join(', ')}`);
  }

  async get({ id }: { id: string }): Promise<ProcessItem | undefined> {
    const item = await this.table.get(keys.processMeta(id));
    return item ? ProcessItemSchema.parse(item) : undefined;
  }

  async getInput({ id }: { id: string }): Promise<unknown> {
    return (await this.getClaimInput({ id })).input;
  }

  async getClaimInput({ id }: { id: string }): Promise<{ input: unknown; paused: boolean }> {
    const item = await this.table.get(keys.processInput(id));
    return { input: typeof item?.inputJson === 'string' ? (JSON.parse(item.inputJson) as unknown) : null, paused: item?.paused === true };
  }

  /**
   * One transaction: the process item's status and version (the row's guard), the
   * input item's `paused` flag (claims read it with the input, so refusing them costs
   * no extra read), and the event's history item, keyed by the version written.
   */
  async pauseOrResume(args: {
    current: ProcessItem;
    event: 'pause' | 'resume';
    at: { now: number; iso: string; expiresAt: number };
    reason?: string;
    sweepAt?: number;
  }): Promise<Written<ProcessItem>> {
    const { current, event, at } = args;
    const meta = keys.processMeta(current.id);
    const change = statusChange(current, event, at.iso);
    const paused = event === 'pause';
    // A pause or resume owes its pass: the process takes the sweep slot (the pass gives it back to the deadline, if
    // any), and the pass starts from the beginning (no cursor of another pass).
    const sweep = args.sweepAt !== undefined ? { sweepAt: args.sweepAt, sweepReason: paused ? SWEEP_REASON_ON_ENTRY.paused : SWEEP_REASON_ON_ENTRY.resumed } : {};
    const sweepShard = 'sweepAt' in sweep ? sweepShardOf(meta, this.sweepShards) : undefined;
    const label = `process event '${event}'`;
    companionOf(PROCESS_TRANSITIONS[event], `input.${event}`, label);
    companionOf(PROCESS_TRANSITIONS[event], 'record.event', label);
    const guard = { version: current.ver };
    const r = await this.table.transact([
      processUpdate(event, meta, { ...writtenChange(change), ...sweep, sweepShard }, guard),
      // The input item exists from the start (it is written before the process item): the row's guard says so.
      paused ? inputWrite('pause', keys.processInput(current.id), { paused: true }) : inputWrite('resume', keys.processInput(current.id), {}),
      recordPut('event', keys.processEvent(current.id, change.ver), { type: paused ? 'ProcessPaused' : 'ProcessResumed', at: at.iso, expiresAt: at.expiresAt, reason: args.reason }),
    ]);
    if (!r.ok) return lostTransaction(r.reasons, `the ${event} of process '${current.id}'`);
    // The item as written, without a read (the parsed form: no index keys).
    const { resumeFrom: _, ...rest } = current;
    return { ok: true, item: { ...('sweepAt' in sweep ? rest : current), ...parsedChange(change), ...sweep } };
  }

  async events({ id }: { id: string }): Promise<ProcessEventItem[]> {
    const items = await this.table.queryPartition(keys.processMeta(id).pk, EVENT_SK_PREFIX);
    return items.map((i) => ProcessEventItemSchema.parse(i));
  }

  async identity({ id, fresh = false }: { id: string; fresh?: boolean }): Promise<ProcessIdentity | undefined> {
    const cached = fresh ? undefined : this.identities.get(id);
    if (cached) return cached;
    const process = await this.get({ id });
    if (!process) return undefined;
    const identity = { definition: process.definition, version: process.version, run: process.run };
    this.identities.delete(id);
    if (this.identities.size >= MAX_CACHED_IDENTITIES) this.identities.delete(this.identities.keys().next().value as string);
    this.identities.set(id, identity);
    return identity;
  }

  async reopen(args: ReopenProcess): Promise<Written<ProcessItem>> {
    const { current, record } = args;
    const meta = keys.processMeta(current.id);
    const change = statusChange(current, 'reopen', record.at);
    const next = {
      run: record.run,
      version: record.version,
      total: args.total,
      sweepAt: args.sweepAt,
      sweepReason: SWEEP_REASON_ON_ENTRY.reopened.process,
      ...(args.deadlineAt === undefined ? {} : { deadlineAt: args.deadlineAt }),
    };
    companionOf(PROCESS_TRANSITIONS.reopen, 'record.run', 'process event reopen');
    companionOf(PROCESS_TRANSITIONS.reopen, 'input.reopen', 'process event reopen');
    // Issue 18: the new run of a pooled process takes a slot of its pool in the same transaction.
    const slot =
      current.pool !== undefined && args.slotLimit !== undefined
        ? [poolUpdate('take', keys.pool(current.pool), { slotsHeld: 1, definition: current.definition, poolKey: current.concurrencyKey }, { limit: args.slotLimit })]
        : [];
    // Issue 18: a rerun over a full pool waits in its queue instead (its sweep entry is its place there).
    const queued =
      args.queueAt !== undefined && current.pool !== undefined
        ? processUpdate(
            'requeue',
            meta,
            {
              ...writtenChange({ ...change, procStatus: processIndexKeys.status(current.id, processTarget('requeue')) }),
              run: record.run,
              version: record.version,
              total: args.total,
              sweepShard: queuePartitionOf(current.pool),
              sweepAt: args.queueAt,
              sweepReason: SWEEP_REASON_ON_ENTRY.queued,
              queueTicket: args.queueAt,
            },
            { version: current.ver },
          )
        : undefined;
    const r = await this.table.transact([
      // The last run's end goes (the run record keeps it); the process no longer expires (the row says what goes).
      queued ?? processUpdate('reopen', meta, { ...writtenChange(change), ...next, sweepShard: sweepShardOf(meta, this.sweepShards), deadlineAt: args.deadlineAt }, { version: current.ver }),
      // The record expires as the input does: long after any run can have ended (a later end does not rewrite it).
      recordPut('run', keys.processRun(current.id, record.run), { recordJson: JSON.stringify(record), expiresAt: args.inputExpiresAt }),
      // A process cancelled while paused ran with its input marked paused: the new run is not.
      inputWrite('reopen', keys.processInput(current.id), {
        expiresAt: args.inputExpiresAt,
        inputJson: args.input === undefined ? undefined : JSON.stringify(args.input.value ?? null),
      }),
      ...(queued === undefined ? slot : []),
    ]);
    if (!r.ok && slot.length > 0 && r.reasons[0]?.code !== 'ConditionalCheckFailed' && r.reasons[3]?.code === 'ConditionalCheckFailed') {
      throw new ProcessConcurrencyLimitedError(current.definition, args.slotLimit ?? 0, current.concurrencyKey);
    }
    if (!r.ok) return lostTransaction(r.reasons, `the reopening of process '${current.id}'`);
    this.identities.delete(current.id);
    // The item as written, without a read (the parsed form: no index keys).
    const { endedAt: _ended, error: _error, resumeFrom: _resumeFrom, deadlineAt: _deadline, ...kept } = current;
    if (queued !== undefined) {
      return { ok: true, item: { ...kept, ...parsedChange(change), ...next, status: processTarget('requeue'), sweepAt: args.queueAt!, sweepReason: SWEEP_REASON_ON_ENTRY.queued, queueTicket: args.queueAt! } };
    }
    return { ok: true, item: { ...kept, ...parsedChange(change), ...next } };
  }

  async runs({ id }: { id: string }): Promise<RunRecord[]> {
    const items = await this.table.queryPartition(keys.processMeta(id).pk, RUN_SK_PREFIX);
    return items.map((i) => RunRecordSchema.parse(JSON.parse(String(i.recordJson))));
  }

  async resetEndCounter(args: { id: string; run: number; settled: number; expected: number }): Promise<void> {
    await this.table.write(endCounterUpdate('reset', keys.processEnd(args.id), { settled: args.settled, expected: args.expected, run: args.run }, { run: args.run }));
  }

  async end(args: Parameters<ProcessStore['end']>[0]): Promise<Written<ProcessItem> & { poolFull?: true }> {
    const { current } = args;
    const meta = keys.processMeta(current.id);
    const values = this.endValues(args);
    if (current.pool !== undefined && holdsSlotProcess(current.status)) {
      // Issue 18: the slot is freed in the transaction that ends the process (its condition makes it happen once).
      companionOf(PROCESS_TRANSITIONS[args.event], 'pool.free', `process event '${args.event}'`);
      const poolKey = keys.pool(current.pool);
      const g = args.giveBack;
      const free =
        g === undefined
          ? poolUpdate('free', poolKey, { slotsHeld: -1 })
          : 'limit' in g
            ? poolUpdate('freeBelow', poolKey, { slotsHeld: -1 }, { limit: g.limit })
            : poolUpdate('freeMark', poolKey, { slotsHeld: -1, sweepShard: sweepShardOf(poolKey, this.sweepShards), sweepAt: g.markAt, sweepReason: SWEEP_REASON_ON_ENTRY.queued });
      const t = await this.table.transact([processUpdate(args.event, meta, values, { version: current.ver }), free]);
      if (!t.ok && t.reasons[0]?.code !== 'ConditionalCheckFailed' && t.reasons[1]?.code === 'ConditionalCheckFailed' && g !== undefined && 'limit' in g) {
        return { ok: false, current, poolFull: true };
      }
      if (!t.ok) return lostTransaction(t.reasons, `the end of process '${current.id}'`);
      const item = await this.get({ id: current.id });
      if (!item) throw new Error(`process '${current.id}' vanished after its end`);
      return { ok: true, item };
    }
    const r = await this.table.write(processUpdate(args.event, meta, values, { version: current.ver }, { returnNew: true }));
    if (!r.ok) return { ok: false, current: r.current ? ProcessItemSchema.parse(r.current) : undefined };
    return { ok: true, item: ProcessItemSchema.parse(r.item) };
  }

  async endHandingOver(args: Parameters<ProcessStore['endHandingOver']>[0]): Promise<Written<ProcessItem> & { toGone?: true }> {
    const { current, to, at } = args;
    companionOf(PROCESS_TRANSITIONS[args.event], 'process.handOver', `process event '${args.event}'`);
    const toMeta = keys.processMeta(to.id);
    const status = processTarget('handOver');
    const { toSweep, deadlineAt } = args.toStart;
    const t = await this.table.transact([
      processUpdate(args.event, keys.processMeta(current.id), { ...this.endValues(args), handedTo: to.id }, { version: current.ver }),
      processUpdate('handOver', toMeta, {
        procStatus: processIndexKeys.status(to.id, status),
        ver: to.ver + 1,
        updatedAt: at.iso,
        // It owes its roots (a queued rerun: its rerun's pass). Its entry stays at its queue place (no index write)
        // unless the sweeper must see it.
        sweepReason: to.run > 1 ? SWEEP_REASON_ON_ENTRY.reopened.process : SWEEP_REASON_ON_ENTRY.process.RUNNING,
        ...(toSweep === undefined ? {} : { sweepShard: sweepShardOf(toMeta, this.sweepShards), sweepAt: toSweep.sweepAt }),
        deadlineAt,
        startedAt: at.iso,
      }),
    ]);
    if (!t.ok && t.reasons[0]?.code !== 'ConditionalCheckFailed' && t.reasons[1]?.code === 'ConditionalCheckFailed') return { ok: false, current, toGone: true };
    if (!t.ok) return lostTransaction(t.reasons, `the end of process '${current.id}'`);
    const item = await this.get({ id: current.id });
    if (!item) throw new Error(`process '${current.id}' vanished after its end`);
    return { ok: true, item };
  }

  /** What an ending writes on the process item (with cleanup owed it stays due now, else it leaves the sweep index). */
  private endValues(args: ProcessEnding) {
    const { current, at } = args;
    const meta = keys.processMeta(current.id);
    return {
      ...writtenChange(statusChange(current, args.event, at.iso)),
      endedAt: at.iso,
      expiresAt: at.expiresAt,
      errorJson: args.error === undefined ? undefined : JSON.stringify(args.error),
      ...(args.owesCleanup ? { sweepShard: sweepShardOf(meta, this.sweepShards), sweepAt: at.now, sweepReason: SWEEP_REASON_ON_ENTRY.process.FAILED } : {}),
    };
  }

  async recordCompensation(args: { id: string; run: number; sweepAt: number; compensatedBy?: string; compensationError?: string }): Promise<boolean> {
    const values = { compensatedBy: args.compensatedBy, compensationError: args.compensationError };
    const r = await this.table.write(processUpdate('recordCompensation', keys.processMeta(args.id), values, { run: args.run, sweepAt: args.sweepAt }));
    return r.ok;
  }

  async clearSweep({ id, sweepAt }: { id: string; sweepAt: number }): Promise<void> {
    await this.table.write(processUpdate('clearSweep', keys.processMeta(id), {}, { sweepAt }));
  }

  async awaitDeadline(args: { id: string; sweepAt: number; deadlineAt: number }): Promise<boolean> {
    const values = { sweepAt: args.deadlineAt, sweepReason: SWEEP_REASON_ON_ENTRY.waiting.process };
    const r = await this.table.write(processUpdate('awaitDeadline', keys.processMeta(args.id), values, { sweepAt: args.sweepAt }));
    return r.ok;
  }

  async deferSweep(args: { id: string; sweepAt: number; nextSweepAt: number; resumeFrom: number }): Promise<boolean> {
    const meta = keys.processMeta(args.id);
    // A process started by a hand-over may owe its roots from its queue place, which the sweeper never reads: a pass
    // that must be resumed moves to the process's own sweep shard (no extra index write: the entry moves anyway).
    const r = await this.table.write(processUpdate('deferSweep', meta, { sweepAt: args.nextSweepAt, resumeFrom: args.resumeFrom, sweepShard: sweepShardOf(meta, this.sweepShards) }, { sweepAt: args.sweepAt }));
    return r.ok;
  }

  async progress({ id, run }: { id: string; run: number }): Promise<RunProgress> {
    const shards = await this.table.queryPartition(keys.processMeta(id).pk, progressPrefix(run));
    const sum = (status: TaskStatus): number => shards.reduce((n, s) => n + (typeof s[status] === 'number' ? s[status] : 0), 0);
    return { completed: sum(TASK_STATUS.completed), failed: sum(TASK_STATUS.failed), skipped: sum(TASK_STATUS.skipped), cancelled: sum(TASK_STATUS.cancelled) };
  }

  async seedProgress({ id, run, completed, position, next, expiresAt }: SeedProgress): Promise<boolean> {
    const perShard = new Map<number, number>();
    for (const task of completed) perShard.set(progressShardOf(task), (perShard.get(progressShardOf(task)) ?? 0) + 1);
    // Each shard counts the chunk once (its `seededTo` is the guard). Endings of the run only ADD, so an early one
    // (a cancel racing the rerun's pass) is kept.
    const written = await Promise.all(
      [...perShard].map(([shard, n]) =>
        this.table.write(progressUpdate('seed', keys.processProgress(id, run, shard), { [TASK_STATUS.completed]: n, seededTo: next, expiresAt }, { position })),
      ),
    );
    return written.every((w) => w.ok);
  }

  async settledSinks({ id }: { id: string }): Promise<number> {
    const item = await this.table.get(keys.processEnd(id));
    return typeof item?.settled === 'number' ? item.settled : 0;
  }

  /**
   * Lists processes through an index, newest first: by status (optionally
   * filtered by definition), by definition, or all. Each index value is
   * written over `PROCESS_INDEX_SHARDS` keys, merged here by
   * `createdKey`; the indexes hold keys, and one batch read fetches the
   * page's summaries.
   */
  async list(args: { status?: ProcessStatus; definition?: string; limit: number; nextToken?: string }): Promise<Page<ProcessSummary>> {
    const index = args.status ? PROCESS_BY_STATUS_INDEX : args.definition ? PROCESS_BY_DEFINITION_INDEX : BY_KIND_INDEX;
    const value = args.status ?? args.definition ?? PROCESS_KIND;
    const filtered = args.status !== undefined && args.definition !== undefined;
    const listing = listingOf(index.indexName, value, filtered ? args.definition : undefined);
    const after = decodeShardCursor(args.nextToken, listing);
    const page = await queryShards(this.table, {
      index,
      shards: shardsOf(value, filtered ? args.definition : undefined),
      descending: true,
      limit: args.limit,
      // A filtered page looks at `limit` entries (one per shard at least), as one partition's query did.
      ...(filtered ? { evaluate: args.limit } : {}),
      ...(after === undefined ? {} : { after }),
    });
    const ids = page.items.map((i) => processIdOf(String(i.pk)));
    const found = await this.table.getMany(ids.map((id) => keys.processMeta(id)));
    const summaries = new Map(found.map((i) => ProcessSummarySchema.parse(i)).map((s) => [s.id, s]));
    const nextToken = encodeShardCursor(page.cursor, listing);
    return { items: ids.map((id) => summaries.get(id)).filter((p): p is ProcessSummary => p !== undefined), ...(nextToken ? { nextToken } : {}) };
  }

  async findByStatus(args: {
    status: ProcessStatus;
    definition: string;
    createdFrom?: string;
    createdTo?: string;
    limit: number;
    nextToken?: string;
  }): Promise<Page<ProcessItem>> {
    const listing = listingOf(PROCESS_BY_STATUS_INDEX.indexName, args.status, args.definition);
    const after = decodeShardCursor(args.nextToken, listing);
    const page = await queryShards(this.table, {
      index: PROCESS_BY_STATUS_INDEX,
      shards: shardsOf(args.status, args.definition),
      descending: true,
      limit: args.limit,
      evaluate: args.limit,
      sortBetween: { ...(args.createdFrom === undefined ? {} : { from: args.createdFrom }), ...(args.createdTo === undefined ? {} : { to: args.createdTo }) },
      ...(after === undefined ? {} : { after }),
    });
    const ids = page.items.map((i) => processIdOf(String(i.pk)));
    const found = new Map((await this.table.getMany(ids.map((id) => keys.processMeta(id)))).map((i) => ProcessItemSchema.parse(i)).map((p) => [p.id, p]));
    const nextToken = encodeShardCursor(page.cursor, listing);
    return { items: ids.map((id) => found.get(id)).filter((p): p is ProcessItem => p !== undefined), ...(nextToken ? { nextToken } : {}) };
  }
}

/** What a page token is bound to: the index, the value listed, and the definition filter. */
function listingOf(indexName: string, value: string, definition: string | undefined): string {
  return JSON.stringify([indexName, value, definition ?? null]);
}

/**
 * The shards of one index value; with a definition, each shard's filter on
 * `procDefinition` (a process's status and definition keys carry the same shard).
 */
function shardsOf(value: string, definition: string | undefined): ShardPartition[] {
  const filters = definition === undefined ? undefined : processIndexShards(definition);
  return processIndexShards(value).map((partition, i) => ({ partition, ...(filters ? { filter: { attribute: 'procDefinition', value: filters[i] as string } } : {}) }));
}

/**
 * What every change of a process's status writes: the status (and its index
 * key), the next version (the optimistic lock the row guards), and the time.
 */
function statusChange(current: ProcessItem, event: 'complete' | 'fail' | 'cancel' | 'pause' | 'resume' | 'reopen', iso: string) {
  const status = processTarget(event);
  return { status, procStatus: processIndexKeys.status(current.id, status), ver: current.ver + 1, updatedAt: iso };
}

/** A status change as the write supplies it: the row sets the status itself (its `to`). */
function writtenChange({ status: _status, ...change }: ReturnType<typeof statusChange>) {
  return change;
}

/** A status change as the parsed item holds it: without the index key. */
function parsedChange({ procStatus: _indexKey, ...change }: ReturnType<typeof statusChange>) {
  return change;
}

/** A transaction lost on the process item's guard answers the conflict with that item; any other loss breaks an invariant. */
function lostTransaction(reasons: readonly { code: string; current?: Record<string, unknown> }[], what: string): Conflict<ProcessItem> {
  const lost = reasons[0];
  if (lost?.code === 'ConditionalCheckFailed') return { ok: false, current: lost.current ? ProcessItemSchema.parse(lost.current) : undefined };
  throw new Error(`${what} was refused: ${reasons.map((x) => x.code).join(', ')}`);
}
