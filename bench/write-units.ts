/**
 * Issue 19, part 2: where a task's write units go. On createTestEngine() (the
 * real handlers over the in-memory table and queues, virtual clock), runs a
 * workload of `bench/workloads.ts` to its end and bills every table write as
 * AWS bills it (`shared/adapters/memory/aws-write-bill.ts`: the rules of the
 * capacity meter, transactions doubled, index entries by size). Prints write
 * units per task, and a breakdown by the store call that wrote (its method,
 * and the use case that called it), with each call's item and index units.
 *
 * Fast (a second or so a workload) and the same on every run: the bench on
 * the local stack (`npm run bench -- a`) is the measurement that counts, this
 * is the account of it. Run: `node --import tsx bench/write-units.ts [a|b|c …]`.
 */
import type { MemoryItemTable } from '#adapters/memory/memory-item-table.ts';
import type { Item, ItemWrite } from '#adapters/item-table.ts';
import { createTestEngine, type TestEngine } from '../testing/index.ts';
import { itemBytes } from '#adapters/item-size.ts';
import { WORKLOADS, type Workload } from './workloads.ts';

/** Units and calls per label. */
type Breakdown = Map<string, { calls: number; table: number; index: number }>;

/** The store method and the use case that made a write, from the stack: `useCase > Store.method`. */
function labelOf(stack: string): string {
  const frames = stack.split('\n').slice(2);
  const name = (f: string) => /at (?:async )?([\w.<>]+)/.exec(f)?.[1] ?? '?';
  const store = frames.find((f) => f.includes('/adapters/stores/') && !f.includes('row-writes'));
  const app = frames.find((f) => f.includes('/shared/app/'));
  return `${app ? name(app) : '?'} > ${store ? name(store) : '?'}`;
}

/** What a workload cost on the test engine: write and read units (the definition's put left out), and where the writes went. */
export interface WorkloadUnits {
  readonly tasks: number;
  readonly units: number;
  readonly readUnits: number;
  /** Read units without the sweeper's index queries. */
  readonly processReadUnits: number;
  readonly breakdown: Breakdown;
  readonly engine: TestEngine;
  readonly processIds: readonly string[];
}

/** How far the clock moves after the workload: past every entry it left on the sweep log (30 s after each schedule). */
const SWEPT_AFTER_MS = 3_600_000;

export async function writeUnitsOf(w: Workload): Promise<WorkloadUnits> {
  const engine = createTestEngine();
  const table = engine.table as unknown as MemoryItemTable & Record<string, unknown>;
  const breakdown: Breakdown = new Map();
  for (const method of ['write', 'transact'] as const) {
    const original = (table[method] as (arg: ItemWrite | readonly ItemWrite[]) => Promise<unknown>).bind(table);
    (table as Record<string, unknown>)[method] = (arg: ItemWrite | readonly ItemWrite[]) => {
      const label = `${labelOf(new Error().stack ?? '')}${method === 'transact' ? ` [transaction of ${(arg as readonly ItemWrite[]).length}]` : ''}`;
      const before = table.billedWriteUnits();
      const indexBefore = indexUnits;
      const r = original(arg);
      const row = breakdown.get(label) ?? { calls: 0, table: 0, index: 0 };
      const index = indexUnits - indexBefore;
      breakdown.set(label, { calls: row.calls + 1, table: row.table + table.billedWriteUnits() - before - index, index: row.index + index });
      return r;
    };
  }
  let indexUnits = 0;
  // Read units as DynamoDB bills strongly consistent reads (as bench/map-scale.ts counts them): an item 1 unit per
  // 4 KB of it (a miss 1), a query 1 unit per 4 KB of all it read together.
  let readUnits = 0;
  // The sweeper's index queries cost per round of the engine, not per process: counted apart.
  let indexReadUnits = 0;
  const perItem = (items: readonly Item[]) => items.reduce((n, i) => n + Math.ceil(itemBytes(i) / 4096), 0);
  const perQuery = (items: readonly Item[]) => Math.max(1, Math.ceil(items.reduce((n, i) => n + itemBytes(i), 0) / 4096));
  const reads: [string, (r: unknown, args: unknown[]) => number][] = [
    ['get', (r) => (r === undefined ? 1 : perItem([r as Item]))],
    // A key that is not there is billed as a read too (the sweeper's cursors before they first move).
    ['getMany', (r, args) => perItem(r as Item[]) + Math.max(0, (args[0] as readonly unknown[]).length - (r as Item[]).length)],
    ['queryPartition', (r) => perQuery(r as Item[])],
    ['queryPartitionPage', (r) => perQuery((r as { items: Item[] }).items)],
    ['queryIndex', (r) => perQuery((r as { items: Item[] }).items)],
  ];
  for (const [method, units] of reads) {
    const original = (table[method] as (...args: unknown[]) => Promise<unknown>).bind(table);
    (table as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      const label = `read: ${labelOf(new Error().stack ?? '')}`;
      const r = await original(...args);
      const u = units(r, args);
      readUnits += u;
      if (method === 'queryIndex' || label.includes('ItemSweepIndex.walk')) indexReadUnits += u;
      const row = breakdown.get(label) ?? { calls: 0, table: 0, index: 0 };
      breakdown.set(label, { calls: row.calls + 1, table: row.table + u, index: row.index });
      return r;
    };
  }
  (table as unknown as { hooks: { billed?: (o: string, k: Item, b: { indexes: ReadonlyMap<string, number> }) => void } }).hooks.billed = (_o, _k, bill) => {
    for (const u of bill.indexes.values()) indexUnits += u;
  };
  const name = `units-${w.id}`;
  await engine.client.putDefinition(name, JSON.stringify(w.definition));
  const [unitsBefore, readsBefore, indexReadsBefore] = [table.billedWriteUnits(), readUnits, indexReadUnits];
  engine.worker({ handler: async () => ({ ok: true }) });
  const processIds: string[] = [];
  for (let i = 0; i < w.processes; i++) processIds.push((await engine.client.startProcess({ definition: name, input: w.input ?? { n: i } })).process.id);
  await engine.runUntilIdle();
  // Then past every sweep entry: the sweeper's cursors reach them, and it reads that each is done (no write).
  await engine.advance(SWEPT_AFTER_MS);
  const tasks = (w.workerTasks ?? w.definition.tasks.length) * w.processes;
  return { tasks, units: table.billedWriteUnits() - unitsBefore, readUnits: readUnits - readsBefore, processReadUnits: readUnits - readsBefore - (indexReadUnits - indexReadsBefore), breakdown, engine, processIds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ids = process.argv.slice(2);
  for (const w of WORKLOADS.filter((x) => (ids.length === 0 ? ['a', 'b', 'c'] : ids).includes(x.id))) {
    const { tasks, units, readUnits, breakdown } = await writeUnitsOf(w);
    console.log(`\n(${w.id}) ${w.title}: ${tasks} tasks, ${units} write units, ${(units / tasks).toFixed(2)} per task; ${readUnits} read units, ${(readUnits / tasks).toFixed(2)} per task`);
    console.log('| writer | calls | item units | index units | units per task |');
    console.log('|---|---|---|---|---|');
    for (const [label, r] of [...breakdown].sort((x, y) => y[1].table + y[1].index - (x[1].table + x[1].index))) {
      console.log(`| ${label} | ${r.calls} | ${r.table} | ${r.index} | ${((r.table + r.index) / tasks).toFixed(2)} |`);
    }
  }
}
