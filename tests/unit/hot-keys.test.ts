import { describe, expect, it } from 'vitest';
import { TABLE_WRITES, type MemoryItemTable } from '#adapters/memory/memory-item-table.ts';
import { INDEXES } from '#config/table.ts';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';

/**
 * Hot keys: the writes each partition key takes, counted by the in-memory
 * table as DynamoDB meters them, in a 3,000-task process run to completion
 * and in 1,000 process starts. Ids come from the engine's deterministic
 * sequence, so the figures are the same on every run.
 *
 * The bar: no index partition key takes more than 5% of the workload's index
 * writes. The table's own keys are reported apart: a process's items share
 * `PROC#<id>` by design (every task its own sort key, which DynamoDB splits a
 * hot partition by), so a wide process writes one table partition key.
 */
const MAX_SHARE = 0.05;

interface KeyFigures {
  readonly writes: number;
  readonly keys: number;
  readonly hottest: string;
  readonly hottestWrites: number;
}

/** Writes per index (and the table), with each one's hottest partition key. */
function figures(table: MemoryItemTable): { byIndex: Map<string, KeyFigures>; indexWrites: number; hottestIndexKey: { where: string; key: string; writes: number } } {
  const byIndex = new Map<string, KeyFigures>();
  let indexWrites = 0;
  let hottestIndexKey = { where: '', key: '', writes: 0 };
  for (const [where, counts] of table.writeCounts()) {
    const sorted = [...counts].sort((a, b) => b[1] - a[1]);
    const [hottest, hottestWrites] = sorted[0] ?? ['', 0];
    const writes = sorted.reduce((s, [, n]) => s + n, 0);
    byIndex.set(where, { writes, keys: counts.size, hottest, hottestWrites });
    if (where === TABLE_WRITES) continue;
    indexWrites += writes;
    if (hottestWrites > hottestIndexKey.writes) hottestIndexKey = { where, key: hottest, writes: hottestWrites };
  }
  return { byIndex, indexWrites, hottestIndexKey };
}

function report(title: string, f: ReturnType<typeof figures>): string {
  const lines = [...f.byIndex].map(([where, x]) => `  ${where}: ${x.writes} writes over ${x.keys} keys; hottest ${x.hottest} ${x.hottestWrites} (${pct(x.hottestWrites, x.writes)} of its own, ${pct(x.hottestWrites, where === TABLE_WRITES ? x.writes : f.indexWrites)} of ${where === TABLE_WRITES ? 'table' : 'all index'} writes)`);
  return [`${title}:`, ...lines].join('\n');
}

function pct(n: number, of: number): string {
  return `${((100 * n) / of).toFixed(2)}%`;
}

async function runWide(engine: TestEngine, width: number): Promise<string> {
  const children = Array.from({ length: width - 2 }, (_, i) => `C${i}`);
  const yaml = `tasks:\n  - name: Root\n${children.map((c) => `  - name: ${c}\n    needs: [Root]\n`).join('')}  - name: Sink\n    needs: [${children.join(', ')}]\n`;
  await engine.client.putDefinition('wide', yaml);
  const { id } = (await engine.client.startProcess({ definition: 'wide', input: {} })).process;
  engine.worker({ handler: async ({ task }) => ({ done: task }) });
  await engine.runUntilIdle();
  return id;
}

describe('hot keys: writes per partition key', () => {
  it('a 3,000-task process run to completion: no index partition key takes more than 5% of the index writes', async () => {
    const engine = createTestEngine();
    const id = await runWide(engine, 3000);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    const f = figures(engine.table);
    console.log(report('3,000-task process', f));
    const sweep = f.byIndex.get('sweep');
    // The tasks spread over the sweep shards: every one of the 32 is used, none takes more than 5% of the sweep's writes.
    expect(sweep?.keys).toBe(32);
    expect((sweep?.hottestWrites ?? 1) / (sweep?.writes ?? 1)).toBeLessThanOrEqual(MAX_SHARE);
    expect(f.hottestIndexKey.writes / f.indexWrites).toBeLessThanOrEqual(MAX_SHARE);
    // The table key: the process's partition takes (nearly) every write, by design.
    const table = f.byIndex.get(TABLE_WRITES);
    expect(table?.hottest).toBe(`PROC#${id}`);
  }, 120_000);

  it('1,000 process starts: no index partition key takes more than 5% of the index writes', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('one', 'tasks:\n  - name: A\n');
    const before = figures(engine.table);
    for (let i = 0; i < 1000; i++) await engine.client.startProcess({ definition: 'one', input: { i } });
    const f = figures(engine.table);
    console.log(report('1,000 starts', f));
    expect(f.hottestIndexKey.writes / f.indexWrites).toBeLessThanOrEqual(MAX_SHARE);
    // Each process index on its own too: a start writes its kind, status and definition keys over 32 shards.
    for (const index of ['byKind', 'processesByStatus', 'processesByDefinition']) {
      const counts = [...(engine.table.writeCounts().get(index) ?? [])].filter(([key]) => key !== 'DEFINITION');
      const writes = counts.reduce((sum, [, n]) => sum + n, 0);
      expect(writes).toBe(1000);
      expect(counts).toHaveLength(32);
      expect(Math.max(...counts.map(([, n]) => n)) / writes).toBeLessThanOrEqual(MAX_SHARE);
    }
    // The definition's one write: `DEFINITION` stays one key (definitions are rare writes).
    expect(before.byIndex.get('byKind')).toMatchObject({ hottest: 'DEFINITION', writes: 1 });
    expect(INDEXES.map((i) => i.indexName).sort()).toEqual(['byKind', 'processesByDefinition', 'processesByStatus', 'sweep']);
  }, 120_000);
});
