import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';
import { claimTask } from '#app/claim-task.ts';
import type { MemoryMapItemSource } from '#adapters/memory/memory-map-item-source.ts';

/** A map over data at run time, on the in-memory engine: lanes, counters, results, tolerance, empty lists and bad items. */
const MAP_FLOW = (map: string) => `
defaults:
  retry:
    maxAttempts: 1
tasks:
  - name: list
  - name: resize
    needs: [list]
    map:
${map
  .split('\n')
  .map((l) => `      ${l}`)
  .join('\n')}
  - name: report
    needs: [resize]
`;

async function started(map: string, files: unknown) {
  const engine = createTestEngine();
  await engine.client.putDefinition('maps', MAP_FLOW(map));
  const { process } = await engine.client.startProcess({ definition: 'maps', input: { files } });
  return { engine, id: process.id };
}

const indexOf = (task: string) => Number(/\[(\d+)\]$/.exec(task)?.[1]);

describe('a map over a list from upstream', () => {
  it('runs one child per item, at most maxConcurrency at once, and hands downstream the results in index order', async () => {
    const { engine, id } = await started('items: "upstream.list.files"\nmaxConcurrency: 3', null);
    let active = 0;
    let most = 0;
    const seenByReport: unknown[] = [];
    engine.worker({
      handler: async ({ task, input }) => {
        if (task === 'list') return { files: Array.from({ length: 10 }, (_, i) => `f${i}`) };
        if (task === 'report') {
          seenByReport.push(input.upstream.resize);
          return {};
        }
        const counts = (await engine.client.getTask(id, 'resize')).map;
        active = (counts?.scheduled ?? 0) + (counts?.running ?? 0);
        most = Math.max(most, active);
        return { doubled: indexOf(task) * 2 };
      },
    });
    await engine.runUntilIdle();
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('COMPLETED');
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(3);
    expect(seenByReport).toEqual([{ total: 10, completed: 10, failed: 0, results: Array.from({ length: 10 }, (_, i) => ({ doubled: i * 2 })) }]);
    const map = await engine.client.getTask(id, 'resize');
    expect(map.status).toBe('COMPLETED');
    expect(map.map).toEqual({ total: 10, scheduled: 0, running: 0, completed: 10, failed: 0, cancelled: 0 });
  });

  it('answers a child claim with its item, its index, its map and the map task upstream', async () => {
    const { engine, id } = await started('items: "input.files"\nmaxConcurrency: 2', [{ key: 'a.png' }, { key: 'b.png' }]);
    engine.worker({ tasks: ['list'], handler: async () => ({ listed: true }) });
    await engine.runUntilIdle();
    const messages = engine.queue.receive('default', 10);
    expect(messages.map((m) => m.body)).toEqual([
      expect.objectContaining({ task: 'resize[0]', map: 'resize', index: 0 }),
      expect.objectContaining({ task: 'resize[1]', map: 'resize', index: 1 }),
    ]);
    const claim = await claimTask(engine.deps, id, 'resize[1]', 'w');
    expect(claim).toMatchObject({ map: 'resize', index: 1, item: { key: 'b.png' }, input: { upstream: { list: { listed: true } }, process: { files: [{ key: 'a.png' }, { key: 'b.png' }] } } });
  });

  it('completes an empty map at once, with total 0', async () => {
    const { engine, id } = await started('items: "input.files"', []);
    const reports: unknown[] = [];
    engine.worker({ handler: async ({ task, input }) => (task === 'report' ? (reports.push(input.upstream.resize), {}) : {}) });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(reports).toEqual([{ total: 0, completed: 0, failed: 0, results: [] }]);
  });

  it('fails the map with MapItemsInvalid when the expression does not yield a list, naming what it got', async () => {
    const { engine, id } = await started('items: "input.files"', { not: 'a list' });
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    const map = await engine.client.getTask(id, 'resize');
    expect(map.status).toBe('FAILED');
    expect(map.error).toMatchObject({ code: 'MapItemsInvalid', message: expect.stringContaining('an object') });
    expect((await engine.client.getProcess(id)).status).toBe('FAILED');
  });

  it('fails the map with MapTooLarge past maxItems', async () => {
    const { engine, id } = await started('items: "input.files"\nmaxItems: 3', [1, 2, 3, 4]);
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    expect((await engine.client.getTask(id, 'resize')).error).toMatchObject({ code: 'MapTooLarge' });
  });

  it('tolerates failures within toleratedFailureCount, with null results for the failed children', async () => {
    const { engine, id } = await started('items: "input.files"\nmaxConcurrency: 2\ntoleratedFailureCount: 1', [0, 1, 2, 3]);
    const reports: unknown[] = [];
    engine.worker({
      handler: async ({ task, input }) => {
        if (task === 'report') return (reports.push(input.upstream.resize), {});
        if (task === 'resize[2]') throw Object.assign(new Error('bad image'), { retryable: false });
        return task === 'list' ? {} : { i: indexOf(task) };
      },
    });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(reports).toEqual([{ total: 4, completed: 3, failed: 1, results: [{ i: 0 }, { i: 1 }, null, { i: 3 }] }]);
  });

  it('fails the map with MapToleranceExceeded past the tolerance, and cancels the children still scheduled or running', async () => {
    const { engine, id } = await started('items: "input.files"\nmaxConcurrency: 3', [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    engine.worker({
      handler: async ({ task }) => {
        if (task === 'resize[0]') throw Object.assign(new Error('bad'), { retryable: false });
        return {};
      },
    });
    await engine.runUntilIdle();
    const map = await engine.client.getTask(id, 'resize');
    expect(map.status).toBe('FAILED');
    expect(map.error).toMatchObject({ code: 'MapToleranceExceeded' });
    expect((await engine.client.getProcess(id)).status).toBe('FAILED');
    const counts = map.map!;
    expect(counts.scheduled + counts.running).toBe(0);
    expect(counts.failed).toBe(1);
    expect(counts.completed + counts.failed + counts.cancelled).toBeLessThanOrEqual(9);
  });
});

describe('a map over an S3 object (itemsFrom)', () => {
  it('streams a JSON Lines object into children, and fails with MapItemsInvalid on a missing object', async () => {
    const engine = createTestEngine();
    const lines = Array.from({ length: 250 }, (_, i) => JSON.stringify({ row: i })).join('\n');
    (engine.deps.mapItems as MemoryMapItemSource).putObject('exports', 'rows.jsonl', `${lines}\n`);
    await engine.client.putDefinition(
      'rows',
      `tasks:\n  - name: rows\n    map:\n      itemsFrom: { bucket: "input.bucket", key: "input.key", format: jsonl }\n      maxConcurrency: 7\n  - name: sum\n    needs: [rows]\n`,
    );
    const { process } = await engine.client.startProcess({ definition: 'rows', input: { bucket: 'exports', key: 'rows.jsonl' } });
    const sums: unknown[] = [];
    engine.worker({
      handler: async ({ task, item, input }) => {
        if (task === 'sum') {
          const up = input.upstream.rows as { results: { row: number }[] };
          sums.push([up.results.length, up.results.reduce((n, r) => n + r.row, 0)]);
          return {};
        }
        return item;
      },
    });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(process.id)).status).toBe('COMPLETED');
    expect(sums).toEqual([[250, (249 * 250) / 2]]);

    const { process: missing } = await engine.client.startProcess({ definition: 'rows', input: { bucket: 'exports', key: 'nothing.jsonl' } });
    await engine.runUntilIdle();
    const map = await engine.client.getTask(missing.id, 'rows');
    expect(map.status).toBe('FAILED');
    expect(map.error).toMatchObject({ code: 'MapItemsInvalid', message: expect.stringContaining('nothing.jsonl') });
  });
});

describe('a rerun of a process whose map failed', () => {
  it('runs the map again in the new run, its children taken back, and completes', async () => {
    const { engine, id } = await started('items: "input.files"\nmaxConcurrency: 2', [0, 1, 2, 3, 4]);
    let broken = true;
    const reports: unknown[] = [];
    engine.worker({
      handler: async ({ task, input }) => {
        if (task === 'report') return (reports.push(input.upstream.resize), {});
        if (task === 'resize[3]' && broken) throw Object.assign(new Error('flaky'), { retryable: false });
        return task === 'list' ? {} : { i: indexOf(task) };
      },
    });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).status).toBe('FAILED');
    broken = false;
    await engine.client.rerun(id, {});
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(reports).toEqual([{ total: 5, completed: 5, failed: 0, results: [0, 1, 2, 3, 4].map((i) => ({ i })) }]);
    expect((await engine.client.getTask(id, 'resize')).map).toEqual({ total: 5, scheduled: 0, running: 0, completed: 5, failed: 0, cancelled: 0 });
  });
});

describe('a child ended by hand', () => {
  it('completes an unclaimed child without a lease, and its lane goes on', async () => {
    const { engine, id } = await started('items: "input.files"\nmaxConcurrency: 1', ['a', 'b', 'c']);
    engine.worker({ tasks: ['list'], handler: async () => ({}) });
    await engine.runUntilIdle();
    await engine.client.complete(id, 'resize[0]', { output: { by: 'hand' } });
    const reports: unknown[] = [];
    engine.worker({ tasks: ['resize', 'report'], handler: async ({ task, input, item }) => (task === 'report' ? (reports.push(input.upstream.resize), {}) : { by: item }) });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(reports).toEqual([{ total: 3, completed: 3, failed: 0, results: [{ by: 'hand' }, { by: 'b' }, { by: 'c' }] }]);
  });
});

describe("a map's history", () => {
  it('records MapExpanded with its total, then the map completed', async () => {
    const { engine, id } = await started('items: "input.files"', ['x', 'y']);
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    const history = await engine.client.getHistory(id);
    const resize = history.items.filter((e) => e.task === 'resize').map((e) => [e.type, e.details?.total]);
    expect(resize).toEqual([
      ['TaskScheduled', undefined],
      ['MapExpanded', 2],
      ['TaskCompleted', undefined],
    ]);
  });
});
