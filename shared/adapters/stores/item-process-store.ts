import { BY_KIND_INDEX, PROCESS_BY_DEFINITION_INDEX, PROCESS_BY_STATUS_INDEX } from '#config/table.ts';
import { processGuards, processTarget, SWEEP_REASON_ON_ENTRY, taskGuards, taskTarget, type Guard, type ProcessStatus, type TaskStatus } from '#domain/lifecycle.ts';
import type { Conflict, NewProcess, Page, ProcessIdentity, ProcessStore, ReopenProcess, RunProgress, Written } from '#app/ports.ts';
import {
  ProcessEventItemSchema,
  ProcessItemSchema,
  ProcessSummarySchema,
  RunRecordSchema,
  type ProcessError,
  type ProcessEventItem,
  type ProcessItem,
  type ProcessSummary,
  type RunRecord,
} from '#schemas/items.ts';
import type { ItemTable } from '../item-table.ts';
import { EVENT_SK_PREFIX, keys, processIdOf, progressPrefix, progressShardOf, RUN_SK_PREFIX, sweepShardOf } from './keys.ts';
import { decodePageToken, encodePageToken } from './page-token.ts';
import { withPageTokenErrors } from './query-errors.ts';

/** A history item is written once (its key is the process version that wrote it). */
const NEW_ITEM: Guard = { kind: 'absent' };

/** Identities cached per container: a process's definition and version never change. */
const MAX_CACHED_IDENTITIES = 10_000;

/**
 * The process item (`META`) holds only fixed-size state and is rewritten only
 * on process-level changes (start, end), never per task. The input lives in
 * its own item, written once; a counter item (`END`) counts settled sinks.
 */
export class ItemProcessStore implements ProcessStore {
  private readonly identities = new Map<string, ProcessIdentity>();

  constructor(private readonly table: ItemTable) {}

  async create({ process: p, input }: { process: NewProcess; input: unknown }): Promise<{ created: true } | { created: false; existing: ProcessItem }> {
    const meta = keys.processMeta(p.id);
    // The input first: it is write-once, and harmless if the META write then
    // loses (same id means same idempotency key, hence the same request).
    // Stored as JSON text: any JSON value fits, however deeply nested.
    await this.table.write({
      type: 'put',
      key: keys.processInput(p.id),
      item: { inputJson: JSON.stringify(input ?? null), expiresAt: p.inputExpiresAt },
      guards: processGuards('start'),
    });
    const status = processTarget('start');
    const r = await this.table.write({
      type: 'put',
      key: meta,
      item: {
        id: p.id,
        definition: p.definition,
        version: p.version,
        status,
        total: p.total,
        ver: 1,
        run: 1,
        createdAt: p.createdAt,
        updatedAt: p.createdAt,
        idempotencyKey: p.idempotencyKey,
        kind: 'PROCESS',
        kindKey: `${p.createdAt}#${p.id}`,
        createdKey: `${p.createdAt}#${p.id}`,
        procStatus: status,
        procDefinition: p.definition,
        sweepShard: sweepShardOf(meta.pk),
        sweepAt: p.sweepAt,
        sweepReason: SWEEP_REASON_ON_ENTRY.process.RUNNING,
        ...(p.deadlineAt === undefined ? {} : { deadlineAt: p.deadlineAt }),
        ...(p.compensates === undefined ? {} : { compensates: p.compensates }),
      },
      guards: processGuards('start'),
    });
    if (!r.ok) return { created: false, existing: ProcessItemSchema.parse(r.current) };
    return { created: true };
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
    // A resume owes its pass: the process takes the sweep slot (the pass gives it back to the deadline, if any).
    const sweep = !paused && args.sweepAt !== undefined ? { sweepAt: args.sweepAt, sweepReason: SWEEP_REASON_ON_ENTRY.resumed } : {};
    const r = await this.table.transact([
      {
        type: 'update',
        key: meta,
        set: { ...change, ...sweep, ...('sweepAt' in sweep ? { sweepShard: sweepShardOf(meta.pk) } : {}) },
        ...(paused ? {} : { remove: ['resumeFrom'] }),
        guards: processGuards(event, { version: current.ver }),
      },
      // The input item exists from the start (it is written before the process item).
      { type: 'update', key: keys.processInput(current.id), ...(paused ? { set: { paused: true } } : { remove: ['paused'] }), guards: [] },
      {
        type: 'put',
        key: keys.processEvent(current.id, change.ver),
        item: { type: paused ? 'ProcessPaused' : 'ProcessResumed', at: at.iso, expiresAt: at.expiresAt, ...(args.reason === undefined ? {} : { reason: args.reason }) },
        guards: [NEW_ITEM],
      },
    ]);
    if (!r.ok) return lostTransaction(r.reasons, `the ${event} of process '${current.id}'`);
    // The item as written, without a read (the parsed form: no index keys).
    const { resumeFrom: _, ...rest } = current;
    return { ok: true, item: { ...(paused ? current : rest), ...parsedChange(change), ...sweep } };
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
    const r = await this.table.transact([
      {
        type: 'update',
        key: meta,
        set: { ...change, ...next, sweepShard: sweepShardOf(meta.pk) },
        // The last run's end goes (the run record keeps it); the process no longer expires.
        remove: ['endedAt', 'expiresAt', 'errorJson', 'resumeFrom', ...(args.deadlineAt === undefined ? ['deadlineAt'] : [])],
        guards: processGuards('reopen', { version: current.ver }),
      },
      // The record expires as the input does: long after any run can have ended (a later end does not rewrite it).
      { type: 'put', key: keys.processRun(current.id, record.run), item: { recordJson: JSON.stringify(record), expiresAt: args.inputExpiresAt }, guards: [NEW_ITEM] },
      {
        type: 'update',
        key: keys.processInput(current.id),
        set: { expiresAt: args.inputExpiresAt, ...(args.input === undefined ? {} : { inputJson: JSON.stringify(args.input.value ?? null) }) },
        // A process cancelled while paused ran with its input marked paused: the new run is not.
        remove: ['paused'],
        guards: [],
      },
    ]);
    if (!r.ok) return lostTransaction(r.reasons, `the reopening of process '${current.id}'`);
    this.identities.delete(current.id);
    // The item as written, without a read (the parsed form: no index keys).
    const { endedAt: _ended, error: _error, resumeFrom: _resumeFrom, deadlineAt: _deadline, ...kept } = current;
    return { ok: true, item: { ...kept, ...parsedChange(change), ...next } };
  }

  async runs({ id }: { id: string }): Promise<RunRecord[]> {
    const items = await this.table.queryPartition(keys.processMeta(id).pk, RUN_SK_PREFIX);
    return items.map((i) => RunRecordSchema.parse(JSON.parse(String(i.recordJson))));
  }

  async resetEndCounter(args: { id: string; run: number; settled: number; expected: number }): Promise<void> {
    await this.table.write({
      type: 'update',
      key: keys.processEnd(args.id),
      set: { settled: args.settled, expected: args.expected, run: args.run },
      remove: ['expiresAt'],
      guards: taskGuards('reopen', { run: args.run }).filter((g) => g.kind !== 'statusIn'),
    });
  }

  async end(args: {
    current: ProcessItem;
    event: 'complete' | 'fail' | 'cancel';
    at: { now: number; iso: string; expiresAt: number };
    owesCleanup: boolean;
    error?: ProcessError;
  }): Promise<Written<ProcessItem>> {
    const { current, at, owesCleanup } = args;
    const meta = keys.processMeta(current.id);
    const r = await this.table.write({
      type: 'update',
      key: meta,
      set: {
        ...statusChange(current, args.event, at.iso),
        endedAt: at.iso,
        expiresAt: at.expiresAt,
        ...(args.error === undefined ? {} : { errorJson: JSON.stringify(args.error) }),
        // With cleanup owed, the process stays due (now) until its unfinished tasks are cancelled.
        ...(owesCleanup ? { sweepShard: sweepShardOf(meta.pk), sweepAt: at.now, sweepReason: SWEEP_REASON_ON_ENTRY.process.FAILED } : {}),
      },
      ...(owesCleanup ? {} : { remove: ['sweepShard', 'sweepAt', 'sweepReason'] }),
      guards: processGuards(args.event, { version: current.ver }),
      returnNew: true,
    });
    if (!r.ok) return { ok: false, current: r.current ? ProcessItemSchema.parse(r.current) : undefined };
    return { ok: true, item: ProcessItemSchema.parse(r.item) };
  }

  async recordCompensation(args: { id: string; run: number; sweepAt: number; compensatedBy?: string; compensationError?: string }): Promise<boolean> {
    const r = await this.table.write({
      type: 'update',
      key: keys.processMeta(args.id),
      set: {
        ...(args.compensatedBy === undefined ? {} : { compensatedBy: args.compensatedBy }),
        ...(args.compensationError === undefined ? {} : { compensationError: args.compensationError }),
      },
      guards: processGuards('recordCompensation', { run: args.run, sweepAt: args.sweepAt }),
    });
    return r.ok;
  }

  async clearSweep({ id, sweepAt }: { id: string; sweepAt: number }): Promise<void> {
    await this.table.write({ type: 'update', key: keys.processMeta(id), remove: ['sweepShard', 'sweepAt', 'sweepReason', 'resumeFrom'], guards: processGuards('clearSweep', { sweepAt }) });
  }

  async awaitDeadline(args: { id: string; sweepAt: number; deadlineAt: number }): Promise<boolean> {
    const r = await this.table.write({
      type: 'update',
      key: keys.processMeta(args.id),
      set: { sweepAt: args.deadlineAt, sweepReason: SWEEP_REASON_ON_ENTRY.waiting.process },
      remove: ['resumeFrom'],
      guards: processGuards('deferSweep', { sweepAt: args.sweepAt }),
    });
    return r.ok;
  }

  async deferSweep(args: { id: string; sweepAt: number; nextSweepAt: number; resumeFrom: number }): Promise<boolean> {
    const r = await this.table.write({
      type: 'update',
      key: keys.processMeta(args.id),
      set: { sweepAt: args.nextSweepAt, resumeFrom: args.resumeFrom },
      guards: processGuards('deferSweep', { sweepAt: args.sweepAt }),
    });
    return r.ok;
  }

  async progress({ id, run }: { id: string; run: number }): Promise<RunProgress> {
    const shards = await this.table.queryPartition(keys.processMeta(id).pk, progressPrefix(run));
    const sum = (status: TaskStatus): number => shards.reduce((n, s) => n + (typeof s[status] === 'number' ? s[status] : 0), 0);
    return { completed: sum(taskTarget('complete')), failed: sum(taskTarget('fail')), skipped: sum(taskTarget('skip')), cancelled: sum(taskTarget('cancel')) };
  }

  async seedProgress({ id, run, completed, expiresAt }: { id: string; run: number; completed: readonly string[]; expiresAt: number }): Promise<boolean> {
    const perShard = new Map<number, number>();
    for (const task of completed) perShard.set(progressShardOf(task), (perShard.get(progressShardOf(task)) ?? 0) + 1);
    // As the end counter's reset: once per run (the run mark is the guard). Endings of the run only ADD, so an
    // early one (a cancel racing the rerun's pass) is kept, and a pass done again seeds nothing twice.
    const guards = taskGuards('reopen', { run }).filter((g) => g.kind !== 'statusIn');
    const written = await Promise.all(
      [...perShard].map(([shard, n]) =>
        this.table.write({ type: 'update', key: keys.processProgress(id, run, shard), set: { run, expiresAt }, add: { [taskTarget('complete')]: n }, guards }),
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
   * filtered by definition), by definition, or all. The indexes hold keys; one
   * batch read fetches the page's summaries.
   */
  async list(args: { status?: ProcessStatus; definition?: string; limit: number; nextToken?: string }): Promise<Page<ProcessSummary>> {
    const index = args.status ? PROCESS_BY_STATUS_INDEX : args.definition ? PROCESS_BY_DEFINITION_INDEX : BY_KIND_INDEX;
    const partition = args.status ?? args.definition ?? 'PROCESS';
    const filter = args.status !== undefined && args.definition !== undefined ? { attribute: 'procDefinition', value: args.definition } : undefined;
    const page = await withPageTokenErrors(args.nextToken, () =>
      this.table.queryIndex({
        index,
        partition,
        descending: true,
        limit: args.limit,
        ...(filter ? { filter } : {}),
        ...(args.nextToken === undefined ? {} : { startKey: decodePageToken(args.nextToken) }),
      }),
    );
    const ids = page.items.map((i) => processIdOf(String(i.pk)));
    const found = await this.table.getMany(ids.map((id) => keys.processMeta(id)));
    const summaries = new Map(found.map((i) => ProcessSummarySchema.parse(i)).map((s) => [s.id, s]));
    const nextToken = encodePageToken(page.lastKey);
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
    const page = await withPageTokenErrors(args.nextToken, () =>
      this.table.queryIndex({
        index: PROCESS_BY_STATUS_INDEX,
        partition: args.status,
        descending: true,
        limit: args.limit,
        filter: { attribute: 'procDefinition', value: args.definition },
        sortBetween: { ...(args.createdFrom === undefined ? {} : { from: args.createdFrom }), ...(args.createdTo === undefined ? {} : { to: args.createdTo }) },
        ...(args.nextToken === undefined ? {} : { startKey: decodePageToken(args.nextToken) }),
      }),
    );
    const ids = page.items.map((i) => processIdOf(String(i.pk)));
    const found = new Map((await this.table.getMany(ids.map((id) => keys.processMeta(id)))).map((i) => ProcessItemSchema.parse(i)).map((p) => [p.id, p]));
    const nextToken = encodePageToken(page.lastKey);
    return { items: ids.map((id) => found.get(id)).filter((p): p is ProcessItem => p !== undefined), ...(nextToken ? { nextToken } : {}) };
  }
}

/**
 * What every change of a process's status writes: the status (and its index
 * key), the next version (the optimistic lock the row guards), and the time.
 */
function statusChange(current: ProcessItem, event: 'complete' | 'fail' | 'cancel' | 'pause' | 'resume' | 'reopen', iso: string) {
  const status = processTarget(event);
  return { status, procStatus: status, ver: current.ver + 1, updatedAt: iso };
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
