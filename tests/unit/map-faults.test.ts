import { describe, expect, it } from 'vitest';
import { createTestEngine, InjectedCrashError, type TestEngine } from '../../testing/index.ts';

/**
 * A map under faults, on the test engine's virtual clock: a crash after every
 * store call of the whole run (expansion, lanes, child endings, the settling,
 * the join), and every message delivered twice. Each time the process
 * completes, every child's output is in the results once, the join runs once,
 * and the map's counters are exact.
 */
const FLOW = `tasks:\n  - name: fan\n    map:\n      items: "input.items"\n      maxConcurrency: 2\n  - name: join\n    needs: [fan]\n`;
const ITEMS = [10, 11, 12, 13, 14];

/** The test's own reads are calls too: one the crash hits is read again, as any caller would. */
async function read<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    return call();
  }
}

async function runToEnd(engine: TestEngine, id: string): Promise<string> {
  for (let round = 0; round < 60; round++) {
    // A crash that hits the sweeper's own run is a failed invocation: the next one goes on.
    await engine.advance(round === 0 ? 0 : 60_000).catch((e: unknown) => {
      if (!(e instanceof InjectedCrashError)) throw e;
    });
    const status = (await read(() => engine.client.getProcess(id))).status;
    if (status !== 'RUNNING') return status;
  }
  return 'RUNNING';
}

async function mapRun(fault: (engine: TestEngine) => void): Promise<{ status: string; joins: unknown[]; counts: unknown; completedChildren: number }> {
  const engine = createTestEngine();
  await engine.client.putDefinition('faulty', FLOW);
  const joins: unknown[] = [];
  engine.worker({
    handler: async ({ task, item, input }) => {
      if (task === 'join') {
        joins.push(input.upstream.fan);
        return {};
      }
      return { doubled: (item as number) * 2 };
    },
  });
  fault(engine);
  let id: string;
  try {
    id = (await engine.client.startProcess({ definition: 'faulty', input: { items: ITEMS }, idempotencyKey: 'the-one' })).process.id;
  } catch {
    // The crash hit the start itself: the client starts again with the same key, as a caller would.
    id = (await engine.client.startProcess({ definition: 'faulty', input: { items: ITEMS }, idempotencyKey: 'the-one' })).process.id;
  }
  const status = await runToEnd(engine, id);
  const fan = await read(() => engine.client.getTask(id, 'fan'));
  return { status, joins, counts: fan.map, completedChildren: fan.map?.completed ?? -1 };
}

const EXPECTED_JOIN = { total: 5, completed: 5, failed: 0, results: ITEMS.map((i) => ({ doubled: i * 2 })) };
const EXPECTED_COUNTS = { total: 5, scheduled: 0, running: 0, completed: 5, failed: 0, cancelled: 0 };

describe('a map under faults', () => {
  it('completes exactly once through a crash after every store call of its run', async () => {
    for (let n = 1; n <= 120; n++) {
      const r = await mapRun((engine) => engine.faults.crashAfterStoreCalls(n));
      expect({ n, ...r }).toEqual({ n, status: 'COMPLETED', joins: [EXPECTED_JOIN], counts: EXPECTED_COUNTS, completedChildren: 5 });
    }
  }, 600_000);

  it('completes exactly once when every message is delivered twice', async () => {
    const r = await mapRun((engine) => engine.faults.duplicateMessages(1_000));
    expect(r).toEqual({ status: 'COMPLETED', joins: [EXPECTED_JOIN], counts: EXPECTED_COUNTS, completedChildren: 5 });
  });
});
