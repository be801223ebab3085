import { describe, expect, it } from 'vitest';
import { TABLE_WRITES } from '#adapters/memory/memory-item-table.ts';
import { createTestEngine } from '../../testing/index.ts';

/**
 * A map writes no hot key: its children, their stored items and the map's
 * counters spread over 32 partition keys, so no table partition key takes
 * more than 5% of a map's table writes (issue 16, part 4). Counted by the
 * in-memory table as DynamoDB meters writes, on a 5,000-item map run to the
 * end; the ids come from the engine's fixed sequence, so the figures repeat.
 */
describe('a 5,000-item map', () => {
  it('spreads its table writes so that no partition key takes more than 5% of them', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('spread', `tasks:\n  - name: fan\n    map:\n      items: "input.items"\n      maxConcurrency: 200\n  - name: join\n    needs: [fan]\n`);
    const { process } = await engine.client.startProcess({ definition: 'spread', input: { items: Array.from({ length: 5000 }, (_, i) => i) } });
    engine.worker({ handler: async ({ item }) => ({ seen: item ?? null }) });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(process.id)).status).toBe('COMPLETED');

    const counts = engine.table.writeCounts().get(TABLE_WRITES)!;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const [hottest, writes] = [...counts].sort((a, b) => b[1] - a[1])[0]!;
    console.log(`map of 5,000: ${total} table writes over ${counts.size} partition keys; hottest ${hottest} ${writes} (${((100 * writes) / total).toFixed(2)}%)`);
    expect(counts.size).toBeGreaterThanOrEqual(32);
    expect(writes / total).toBeLessThanOrEqual(0.05);
  }, 300_000);
});
