import { describe, expect, it } from 'vitest';
import { companionOf, inputWrite, taskPut, taskUpdate } from '#adapters/stores/row-writes.ts';
import { END_COUNTER_WRITES, INPUT_WRITES, PROCESS_TRANSITIONS, PROGRESS_WRITES, RECORD_WRITES, resolveEffects, TASK_TRANSITIONS, type WriteRow } from '#domain/lifecycle.ts';

const key = { pk: 'PROC#p', sk: 'TASK#A' };
const everyRow: [string, WriteRow & { readonly to?: string }][] = [
  ...Object.entries(TASK_TRANSITIONS).map(([e, r]): [string, WriteRow] => [`task.${e}`, r]),
  ...Object.entries(PROCESS_TRANSITIONS).map(([e, r]): [string, WriteRow] => [`process.${e}`, r]),
  ...Object.entries(INPUT_WRITES).map(([e, r]): [string, WriteRow] => [`input.${e}`, r]),
  ...Object.entries(END_COUNTER_WRITES).map(([e, r]): [string, WriteRow] => [`endCounter.${e}`, r]),
  ...Object.entries(PROGRESS_WRITES).map(([e, r]): [string, WriteRow] => [`progress.${e}`, r]),
  ...Object.entries(RECORD_WRITES).map(([e, r]): [string, WriteRow] => [`record.${e}`, r]),
];

describe('the effects a row declares', () => {
  it('resolve the values a store gives into one write: set, set or remove, optional sets and appends', () => {
    const effects = { a: 'set', b: 'set?', c: 'setOrRemove', d: 'add', e: 'append?', f: 'remove', g: 'sum', h: 'setIfMissing', i: 'addMember' } as const;
    const resolved = resolveEffects(effects, { a: 1, d: 2, e: [], g: { source: 'x', plus: 1 }, h: 'P', i: 7 }, 'row');
    expect(resolved).toEqual({ set: { a: 1 }, setIfMissing: { h: 'P' }, setSum: { g: { source: 'x', plus: 1 } }, add: { d: 2 }, append: {}, remove: ['c', 'f'], removeHead: {}, addMember: { i: 7 } });
  });

  it('resolve a sum given as a number (a length the store already knows) into a plain set', () => {
    const resolved = resolveEffects({ g: 'sum', h: 'sum' }, { g: 30_000, h: { source: 'x', orElseSource: 'y', plus: 1 } }, 'row');
    expect(resolved).toMatchObject({ set: { g: 30_000 }, setSum: { h: { source: 'x', orElseSource: 'y', plus: 1 } } });
  });

  it('refuse a value the row does not declare, a missing required one, and a value for a removal', () => {
    expect(() => resolveEffects({ a: 'set' }, { a: 1, b: 2 }, "task event 'x'")).toThrow("task event 'x' declares no effect on 'b'");
    expect(() => resolveEffects({ a: 'set' }, {}, 'row')).toThrow("row needs a value for 'a'");
    expect(() => resolveEffects({ a: 'remove' }, { a: 1 }, 'row')).toThrow("row removes 'a'");
  });

  it('build each write from its own row: status from `to`, the condition from the guards, nothing by hand', () => {
    const hold = taskUpdate('hold', key, { held: true });
    expect(hold).toEqual({ type: 'update', key, set: { held: true }, guards: [{ kind: 'statusIn', statuses: ['SCHEDULED', 'RUNNING'], orAbsent: false }] });
    const skip = taskUpdate('skip', key, { name: 'A', skippedBecause: 'B', endedAt: 'T', expiresAt: 9 }, { run: 1 });
    expect(skip.set).toEqual({ name: 'A', skippedBecause: 'B', endedAt: 'T', expiresAt: 9, status: 'SKIPPED' });
    // A store cannot slip in an attribute its row does not name, even past the types.
    expect(() => taskUpdate('hold', key, { held: true, status: 'RUNNING' } as never)).toThrow(/declares no effect on 'status'/);
    expect(() => taskPut('hold', key, { held: true })).toThrow(/no first write/);
  });

  it('guard the input item: its flag and expiry are never written to an item that does not exist', () => {
    for (const event of ['pause', 'resume', 'reopen'] as const) {
      const write = inputWrite(event, { pk: 'PROC#p', sk: 'INPUT' }, event === 'pause' ? { paused: true } : event === 'reopen' ? { expiresAt: 1 } : {});
      expect(write.guards, event).toEqual([{ kind: 'exists', attribute: 'pk' }]);
    }
  });

  it('name the companion writes of a transaction; a store cannot add one its row does not declare', () => {
    expect(() => companionOf(TASK_TRANSITIONS.complete, 'endCounter.count', 'complete')).not.toThrow();
    expect(() => companionOf(TASK_TRANSITIONS.cancel, 'endCounter.count', "task event 'cancel'")).toThrow("task event 'cancel' declares no companion write 'endCounter.count'");
    for (const [name, row] of everyRow) {
      const companions = row.companions ?? [];
      // An ending counts in the joins it feeds and in the process's end, always both.
      expect(companions.includes('task.settleParent'), name).toBe(companions.includes('endCounter.count'));
    }
  });

  it('keep every row honest: a status only through `to` (or a counted item created PENDING), a first write only sets, every write guarded', () => {
    for (const [name, row] of everyRow) {
      const statusOp = row.effects.status;
      expect(statusOp === undefined || (['task.settleParent', 'task.settleParentOnce'].includes(name) && statusOp === 'setIfMissing'), name).toBe(true);
      if (row.guards.includes('absent')) expect(Object.values(row.effects).every((op) => op === 'set' || op === 'set?'), name).toBe(true);
      // A row with no guard must at least name its statuses (recordStale, hold, unhold): no write is unconditional.
      const from = 'from' in row ? (row.from as readonly string[]) : [];
      expect(row.guards.length > 0 || (from.length > 0 && !from.includes('absent')), name).toBe(true);
    }
  });
});
