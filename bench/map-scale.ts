/**
 * Issue 16, part 4: the cost of a map's child does not grow with the map. On
 * createTestEngine() (the real handlers over the in-memory table and queues),
 * runs a map of 1,000 items and one of 100,000 (items from a JSON Lines object on
 * the in-memory S3 twin), each with a join, to the end,
 * and prints for each: wall time, children per second, and table operations
 * per child (writes as DynamoDB meters them, item and index; read units as
 * DynamoDB bills strongly consistent reads: 4 KB an item, or a query's items together).
 * Exits 1 when the two maps' writes or reads per child differ by 5% or more,
 * or when the 100,000-item map takes 10 minutes or more.
 *
 * Run: `npm run bench:maps` (node --import tsx bench/map-scale.ts [sizes…]).
 */
import type { MemoryMapItemSource } from '#adapters/memory/memory-map-item-source.ts';
import { createTestEngine } from '../testing/index.ts';
import { itemBytes } from '#adapters/item-size.ts';

interface Figures {
  readonly items: number;
  readonly seconds: number;
  readonly writesPerChild: number;
  readonly readsPerChild: number;
}

async function runMap(items: number): Promise<Figures> {
  const engine = createTestEngine();
  let reads = 0;
  const table = engine.table as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const counted = (name: string, size: (r: unknown) => number) => {
    const original = table[name]!.bind(engine.table);
    table[name] = async (...args: unknown[]) => {
      const r = await original(...args);
      reads += size(r);
      return r;
    };
  };
  // Read units as DynamoDB bills strongly consistent reads: a read of an item 1 unit per 4 KB of it; a query 1 unit
  // per 4 KB of all it read together (so a page of 100 small children costs a few units, not 100).
  type Item = Record<string, unknown>;
  const perItem = (items: readonly Item[]) => items.reduce((n, i) => n + Math.ceil(itemBytes(i) / 4096), 0);
  const perQuery = (items: readonly Item[]) => Math.max(1, Math.ceil(items.reduce((n, i) => n + itemBytes(i), 0) / 4096));
  counted('get', (r) => (r === undefined ? 1 : perItem([r as Item])));
  counted('getMany', (r) => perItem(r as Item[]));
  counted('queryPartition', (r) => perQuery(r as Item[]));
  counted('queryPartitionPage', (r) => perQuery((r as { items: Item[] }).items));
  counted('queryIndex', (r) => perQuery((r as { items: Item[] }).items));
  // Items from an object (the in-memory S3 twin): a claim reads its child's chunk, not a list of 100,000 items in the
  // input or in an upstream output, which every claim would read whole (the input and the map's upstream are in it).
  (engine.deps.mapItems as MemoryMapItemSource).putObject('bench', 'items.jsonl', `${Array.from({ length: items }, (_, i) => JSON.stringify({ i })).join('\n')}\n`);
  await engine.client.putDefinition(
    'scale',
    `tasks:\n  - name: fan\n    map:\n      itemsFrom: { bucket: "'bench'", key: "'items.jsonl'", format: jsonl }\n      maxConcurrency: 100\n  - name: join\n    needs: [fan]\n`,
  );
  const started = performance.now();
  const { process } = await engine.client.startProcess({ definition: 'scale', input: {} });
  engine.worker({ handler: async ({ item }) => item ?? null });
  // runUntilIdle stops after 10,000 rounds (a round delivers a batch): a 100,000-item map needs more, so go on.
  for (let more = true; more; ) {
    more = await engine.runUntilIdle().then(
      () => false,
      (e: unknown) => {
        if (e instanceof Error && e.message.includes('did not go idle')) return true;
        throw e;
      },
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const view = await engine.client.getProcess(process.id);
  if (view.status !== 'COMPLETED') throw new Error(`the ${items}-item map ended ${view.status}`);
  let writes = 0;
  for (const counts of engine.table.writeCounts().values()) for (const n of counts.values()) writes += n;
  return { items, seconds, writesPerChild: writes / items, readsPerChild: reads / items };
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const [small, large] = sizes.length === 2 ? sizes : [1_000, 100_000];
const results: Figures[] = [];
for (const n of [small!, large!]) {
  const f = await runMap(n);
  results.push(f);
  console.log(`map of ${n}: ${f.seconds.toFixed(1)} s, ${(n / f.seconds).toFixed(0)} children/s, ${f.writesPerChild.toFixed(3)} writes and ${f.readsPerChild.toFixed(3)} read units per child`);
}
const [a, b] = results as [Figures, Figures];
const diff = (x: number, y: number) => Math.abs(y - x) / x;
const flat = diff(a.writesPerChild, b.writesPerChild) < 0.05 && diff(a.readsPerChild, b.readsPerChild) < 0.05;
console.log(`per child, ${b.items} vs ${a.items}: writes ${(100 * diff(a.writesPerChild, b.writesPerChild)).toFixed(2)}%, reads ${(100 * diff(a.readsPerChild, b.readsPerChild)).toFixed(2)}% apart (limit 5%) ${flat ? 'ok' : 'TOO MUCH'}`);
const inTime = b.seconds < 600;
console.log(`the ${b.items}-item map took ${b.seconds.toFixed(0)} s (limit 600 s) ${inTime ? 'ok' : 'TOO SLOW'}`);
process.exit(flat && inTime ? 0 : 1);
