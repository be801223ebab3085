import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, ItemTable, Key } from '#adapters/item-table.ts';
import {
  PROCESS_STATUSES,
  PROCESS_TRANSITIONS,
  processGuards,
  TASK_STATUSES,
  TASK_TRANSITIONS,
  taskGuards,
  type Guard,
  type GuardKind,
  type GuardValues,
  type ProcessEvent,
  type TaskEvent,
  type TransitionRow,
} from '#domain/lifecycle.ts';
import { dynamoAdapter, memoryAdapter, type Adapter } from './adapters.ts';
import { T0 } from './fixtures.ts';

/**
 * Every row of the lifecycle table, run as a conditional write on DynamoDB
 * Local and on the in-memory table. For each row: from every status it allows
 * (or from no item), the write with the row's guards applies and leads to the
 * row's status; from a status it does not allow, and with each guard given a
 * wrong value, the write is refused and the item is left as it was. Then both
 * tables must have answered every row alike.
 */

type Kind = 'task' | 'process';
interface Row {
  readonly kind: Kind;
  readonly event: string;
  readonly row: TransitionRow<string>;
  readonly statuses: readonly string[];
  readonly guards: (values: GuardValues) => Guard[];
}

const rows: Row[] = [
  ...Object.entries(TASK_TRANSITIONS).map(([event, row]) => ({
    kind: 'task' as const,
    event,
    row: row as TransitionRow<string>,
    statuses: TASK_STATUSES,
    guards: (v: GuardValues) => taskGuards(event as TaskEvent, v),
  })),
  ...Object.entries(PROCESS_TRANSITIONS).map(([event, row]) => ({
    kind: 'process' as const,
    event,
    row: row as TransitionRow<string>,
    statuses: PROCESS_STATUSES,
    guards: (v: GuardValues) => processGuards(event as ProcessEvent, v),
  })),
];

/** An item in `status` whose every guarded attribute matches {@link valuesFor}. */
function itemIn(status: string, row: TransitionRow<string>): Item {
  // A live lease runs out after now, an expired one at now; likewise the attempt deadline. A retry is due at now.
  const leaseExpiresAt = row.guards.includes('leaseLive') ? T0 + 1 : T0;
  const attemptDeadline = row.guards.includes('attemptExpired') ? T0 : T0 + 1;
  // A task scheduled with a task limit carries `limits` (issue 18): only the rows that require one see it.
  const limits = row.guards.includes('limited') ? { limits: 1 } : {};
  return { name: 'subject', status, leaseToken: 'lease-1', leaseExpiresAt, attemptDeadline, nextAttemptAt: T0, ver: 3, run: 2, sweepAt: T0 + 5, attempt: 1, settled: 1, ...limits };
}

/** Guard values that hold for {@link itemIn}: a join counter at 1 is below 2, and has all settled at 1. */
function valuesFor(row: TransitionRow<string>): GuardValues {
  // The item is of run 2: the caller's run is 2 (run, runAtMost), or the next one for a reset (runBefore).
  return {
    leaseToken: 'lease-1',
    now: T0,
    version: 3,
    run: row.guards.includes('runBefore') ? 3 : 2,
    sweepAt: T0 + 5,
    attempt: 1,
    expected: row.guards.includes('allSettled') ? 1 : 2,
    held: false,
    dropped: 0,
    limit: 2,
    member: 7,
  };
}

/** One guard made to fail: a wrong value, or (for `sweepOwed` and `absent`) an item that breaks it. */
function spoil(kind: GuardKind, values: GuardValues, item: Item | undefined): { values: GuardValues; item: Item | undefined } {
  switch (kind) {
    case 'lease':
      return { values: { ...values, leaseToken: 'lease-0' }, item };
    case 'leaseExpired':
      return { values: { ...values, now: T0 - 1 }, item };
    case 'leaseLive':
      return { values, item: item && { ...item, leaseExpiresAt: T0 } };
    case 'attemptLive':
      return { values, item: item && { ...item, attemptDeadline: T0 } };
    case 'attemptExpired':
      return { values, item: item && { ...item, attemptDeadline: T0 + 1 } };
    case 'due':
      return { values, item: item && { ...item, nextAttemptAt: T0 + 1 } };
    case 'version':
      return { values: { ...values, version: 2 }, item };
    case 'run':
    case 'runAtMost':
      return { values: { ...values, run: 1 }, item };
    case 'runBefore':
      return { values: { ...values, run: 2 }, item };
    case 'sweepAt':
      return { values: { ...values, sweepAt: T0 + 4 }, item };
    case 'attempt':
      return { values: { ...values, attempt: 2 }, item };
    case 'sweepOwed': {
      const { sweepAt: _, ...unswept } = item ?? {};
      return { values, item: unswept };
    }
    case 'absent':
      return { values, item: { name: 'subject' } };
    case 'present':
      return { values, item: undefined };
    case 'dropped':
      return { values: { ...values, dropped: 1 }, item };
    case 'settledBelow':
      return { values: { ...values, expected: 1 }, item };
    case 'allSettled':
      return { values: { ...values, expected: 2 }, item };
    case 'hold':
      return { values, item: item && { ...item, held: true } };
    case 'unseeded':
      return { values, item: item && { ...item, seededTo: (values.position ?? 0) + 1 } };
    case 'slotFree':
      return { values: { ...values, capacity: 1 }, item: item && { ...item, used: 1 } };
    case 'leaseSlotFree':
      return { values, item: item && { ...item, leaseExpiresAt: T0 + 1 } };
    case 'unlimited':
      return { values, item: item && { ...item, limits: 1 } };
    case 'limited': {
      const { limits: _, ...unlimited } = item ?? {};
      return { values, item: unlimited };
    }
    case 'processSlotFree':
      return { values, item: item && { ...item, slotsHeld: 2 } };
    case 'uncounted':
      return { values, item: item && { ...item, counted: new Set([values.member ?? 0]) } };
    case 'cursorBehind':
      return { values, item: item && { ...item, cursorAt: (values.sweepAt ?? 0) + 1 } };
    default:
      throw new Error(`no way to spoil ${String(kind satisfies never)}`);
  }
}

interface CaseOutcome {
  readonly case: string;
  readonly ok: boolean;
  readonly current?: Item;
  readonly after: Item | undefined;
}

/** Runs one row on one table, asserting as it goes; answers what it saw, for the comparison. */
async function exercise(table: ItemTable, r: Row): Promise<CaseOutcome[]> {
  const outcomes: CaseOutcome[] = [];
  const keyOf = (name: string): Key => ({ pk: `${r.kind.toUpperCase()}#${r.event}`, sk: name });
  const attempt = async (name: string, before: Item | undefined, values: GuardValues, to: string): Promise<CaseOutcome> => {
    const key = keyOf(name);
    if (before) await table.write({ type: 'put', key, item: before, guards: [] });
    const result = await table.write({ type: 'update', key, set: { status: to, touched: r.event }, guards: r.guards(values) });
    const outcome = { case: name, ok: result.ok, ...(result.ok || !result.current ? {} : { current: result.current }), after: await table.get(key) };
    outcomes.push(outcome);
    return outcome;
  };
  const values = valuesFor(r.row);
  const target = (from: string): string => (r.row.to === 'same' ? from : r.row.to);

  for (const from of r.row.from) {
    const before = from === 'absent' ? undefined : itemIn(from, r.row);
    const applied = await attempt(`from ${from}`, before, values, target(from));
    expect(applied.ok, `${r.kind} ${r.event} from ${from}`).toBe(true);
    expect(applied.after).toEqual({ ...keyOf(`from ${from}`), ...(before ?? {}), status: target(from), touched: r.event });
  }

  const outside = [...r.statuses, 'absent'].find((s) => !(r.row.from as readonly string[]).includes(s));
  if (outside !== undefined) {
    const before = outside === 'absent' ? undefined : itemIn(outside, r.row);
    const refused = await attempt(`outside ${outside}`, before, values, target(r.row.from[0] ?? outside));
    const unchanged = before && { ...keyOf(`outside ${outside}`), ...before };
    expect(refused.ok, `${r.kind} ${r.event} from ${outside}`).toBe(false);
    expect(refused.current).toEqual(unchanged);
    expect(refused.after).toEqual(unchanged);
  }

  const allowed = r.row.from.find((s) => s !== 'absent') ?? 'absent';
  for (const guard of r.row.guards) {
    const spoilt = spoil(guard, values, allowed === 'absent' ? undefined : itemIn(allowed, r.row));
    const name = `wrong ${guard}`;
    const refused = await attempt(name, spoilt.item, spoilt.values, target(allowed));
    expect(refused.ok, `${r.kind} ${r.event} with a wrong ${guard}`).toBe(false);
    expect(refused.after).toEqual(spoilt.item && { ...keyOf(name), ...spoilt.item });
  }
  return outcomes;
}

const outcomes = { dynamodb: new Map<string, CaseOutcome[]>(), memory: new Map<string, CaseOutcome[]>() };
const title = (r: Row): string => `${r.kind} ${r.event}: ${r.row.from.join(' | ')} → ${r.row.to} [${r.row.guards.join(', ') || 'no guard'}]`;

for (const [name, factory] of [
  ['dynamodb', dynamoAdapter('transitions')],
  ['memory', memoryAdapter()],
] as const) {
  describe(`every transition of the lifecycle table, on the ${name} table`, () => {
    let adapter: Adapter | undefined;
    beforeAll(async () => {
      adapter = await factory();
    });
    afterAll(() => adapter?.close());

    for (const r of rows) {
      it(title(r), async () => {
        if (!adapter) throw new Error('no adapter');
        outcomes[name].set(title(r), await exercise(adapter.table, r));
      });
    }
  });
}

describe('the in-memory table answers every transition as DynamoDB Local does', () => {
  it('covers every row of both tables', () => {
    expect(rows).toHaveLength(Object.keys(TASK_TRANSITIONS).length + Object.keys(PROCESS_TRANSITIONS).length);
    expect(new Set(rows.map(title)).size).toBe(rows.length);
  });

  for (const r of rows) {
    it(title(r), () => {
      const dynamo = outcomes.dynamodb.get(title(r));
      const outside = [...r.statuses, 'absent'].some((s) => !(r.row.from as readonly string[]).includes(s));
      // Every allowed start, one disallowed start, and each guard wrong: one case each.
      expect(dynamo?.map((c) => c.case)).toHaveLength(r.row.from.length + (outside ? 1 : 0) + r.row.guards.length);
      expect(outcomes.memory.get(title(r))).toEqual(dynamo);
    });
  }
});
