import { describe, expect, it } from 'vitest';
import { attemptSpans } from '../../console/src/attempt-spans.ts';
import { buildGraphModel, groupStatus, stemOf } from '../../console/src/graph-model.ts';

/** The console's pure parts: how a wide graph collapses, and how a task's events become attempt bars. */
describe('the console graph model', () => {
  const wide = [{ name: 'split', needs: [] }, ...Array.from({ length: 2000 }, (_, i) => ({ name: `item-${i}`, needs: ['split'] })), { name: 'merge', needs: ['item-0', 'item-1'] }];

  it('draws every task of a graph of up to 200, with conditions as edge labels', () => {
    const model = buildGraphModel([{ name: 'a', needs: [] }, { name: 'b', needs: ['a'], when: 'input.amount > 10' }]);
    expect(model).toEqual({
      nodes: [
        { id: 'a', label: 'a', tasks: ['a'], group: false },
        { id: 'b', label: 'b', tasks: ['b'], group: false },
      ],
      edges: [{ from: 'a', to: 'b', label: 'when: input.amount > 10' }],
      collapsed: false,
    });
  });

  it('cuts a long condition to one line of 60 characters, within what the layout accepts', () => {
    const long = `input.amount > 10 &&\n  ${'input.flag && '.repeat(300)}true`;
    const [edge] = buildGraphModel([{ name: 'a', needs: [] }, { name: 'b', needs: ['a'], when: long }]).edges;
    expect(edge?.label).toBe(`when: ${'input.amount > 10 && input.flag && input.flag && input.flag &'.slice(0, 59)}…`);
    expect(edge?.label?.length).toBeLessThanOrEqual(200);
  });

  it('collapses a 2,002-task graph into groups by depth and name stem, with one edge per pair of groups', () => {
    const model = buildGraphModel(wide);
    expect(model.collapsed).toBe(true);
    expect(model.nodes.map((n) => [n.id, n.tasks.length])).toEqual([
      ['split', 1],
      ['group:1|item-*', 2000],
      ['merge', 1],
    ]);
    expect(model.edges).toEqual([
      { from: 'split', to: 'group:1|item-*' },
      { from: 'group:1|item-*', to: 'merge' },
    ]);
  });

  it('falls back to one group per depth when stems alone leave too many nodes', () => {
    const names = Array.from({ length: 300 }, (_, i) => ({ name: `t${String.fromCharCode(97 + (i % 26))}${i}x`, needs: [] }));
    const model = buildGraphModel(names, 200);
    expect(model.nodes.map((n) => [n.label, n.tasks.length])).toEqual([['depth 0 ×300', 300]]);
  });

  it('names stems and picks the most urgent status of a group', () => {
    expect([stemOf('item-0042'), stemOf('review'), stemOf('page_7')]).toEqual(['item-*', 'review', 'page-*']);
    expect(groupStatus({ COMPLETED: 10, RUNNING: 2 })).toBe('RUNNING');
    expect(groupStatus({ COMPLETED: 10, FAILED: 1, RUNNING: 2 })).toBe('FAILED');
  });
});

describe("a task's attempts from its events", () => {
  it('gives each attempt its scheduled, claimed and ended times, its worker, and the backoff before the next', () => {
    const spans = attemptSpans([
      { at: '2026-12-05T00:00:00.000Z', type: 'TaskScheduled', run: 1, task: 't', attempt: 1 },
      { at: '2026-12-05T00:00:01.000Z', type: 'TaskClaimed', run: 1, task: 't', attempt: 1, workerId: 'w1' },
      { at: '2026-12-05T00:00:03.000Z', type: 'TaskLeaseExpired', run: 1, task: 't', attempt: 1, details: { willRetry: true, nextAttemptAt: '2026-12-05T00:00:08.000Z' } },
      { at: '2026-12-05T00:00:03.000Z', type: 'TaskScheduled', run: 1, task: 't', attempt: 2 },
      { at: '2026-12-05T00:00:09.000Z', type: 'TaskClaimed', run: 1, task: 't', attempt: 2, workerId: 'w2' },
      { at: '2026-12-05T00:00:10.000Z', type: 'TaskCompleted', run: 1, task: 't', attempt: 2, workerId: 'w2' },
    ]);
    expect(spans).toEqual([
      { run: 1, attempt: 1, scheduled: '2026-12-05T00:00:00.000Z', claimed: '2026-12-05T00:00:01.000Z', ended: '2026-12-05T00:00:03.000Z', outcome: 'FAILED', workerId: 'w1', retryAt: '2026-12-05T00:00:08.000Z' },
      { run: 1, attempt: 2, scheduled: '2026-12-05T00:00:03.000Z', claimed: '2026-12-05T00:00:09.000Z', ended: '2026-12-05T00:00:10.000Z', outcome: 'COMPLETED', workerId: 'w2' },
    ]);
  });
});
