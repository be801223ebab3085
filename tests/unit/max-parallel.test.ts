import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';

/**
 * `maxParallel: N` (issue 18, part 2) on the test engine: at most N tasks of a
 * process are SCHEDULED or RUNNING at once (a map task itself holds no slot),
 * the others wait in definition order, and every slot comes back.
 */

const FAN_OUT = (width: number, extra = '') => `
maxParallel: 2
${extra}
tasks:
  - name: start
${Array.from({ length: width }, (_, i) => `  - name: t${i}\n    needs: [start]`).join('\n')}
  - name: end
    needs: [${Array.from({ length: width }, (_, i) => `t${i}`).join(', ')}]
`;

/** Tasks of the process that are SCHEDULED or RUNNING now, read from the table underneath (maps themselves left out). */
function active(engine: TestEngine, id: string, maps: readonly string[] = []): string[] {
  return engine.table
    .snapshot()
    .filter((i) => (i.pk === `PROC#${id}` || String(i.pk).startsWith(`PROC#${id}#`)) && String(i.sk).startsWith('TASK#'))
    .filter((i) => (i.status === 'SCHEDULED' || i.status === 'RUNNING') && !maps.includes(String(i.name)))
    .map((i) => String(i.name));
}

/** The pool's count of taken slots and the tasks still on its wait list, for run 1. */
function pool(engine: TestEngine, id: string): { used: number; waiting: number } {
  const items = engine.table.snapshot().filter((i) => i.pk === `PROC#${id}`);
  const used = items.find((i) => i.sk === 'POOL#000001')?.used;
  return { used: typeof used === 'number' ? used : 0, waiting: items.filter((i) => String(i.sk).startsWith('WAIT#')).length };
}

async function started(yaml: string, input: unknown = {}): Promise<{ engine: TestEngine; id: string }> {
  const engine = createTestEngine();
  await engine.client.putDefinition('limited', yaml);
  const { process } = await engine.client.startProcess({ definition: 'limited', input });
  return { engine, id: process.id };
}

describe('maxParallel on a fan-out', () => {
  it('never has more than 2 of 10 siblings scheduled or running, schedules them in definition order, and completes', async () => {
    const { engine, id } = await started(FAN_OUT(10));
    let most = 0;
    const claimed: string[] = [];
    engine.worker({
      handler: async ({ task }) => {
        claimed.push(task);
        most = Math.max(most, active(engine, id).length);
        return { task };
      },
    });
    // Step the virtual clock: after every step the limit holds.
    for (let step = 0; step < 20; step++) {
      await engine.advance(1_000);
      expect(active(engine, id).length).toBeLessThanOrEqual(2);
      expect(pool(engine, id).used).toBe(active(engine, id).length);
    }
    expect(most).toBe(2);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(claimed).toEqual(['start', ...Array.from({ length: 10 }, (_, i) => `t${i}`), 'end']);
    expect(pool(engine, id)).toEqual({ used: 0, waiting: 0 });
  });

  it('keeps the limit through retries (a retry waits SCHEDULED, holding its slot) and a task that fails for good', async () => {
    const yaml = FAN_OUT(6, 'onFailure: skipDownstream\ndefaults:\n  retry: { maxAttempts: 2, intervalSeconds: 5 }');
    const { engine, id } = await started(yaml);
    let most = 0;
    engine.worker({
      handler: async ({ task, attempt }) => {
        most = Math.max(most, active(engine, id).length);
        if (task === 't1' && attempt === 1) throw new Error('flaky');
        if (task === 't3') throw new Error('broken');
        return {};
      },
    });
    for (let step = 0; step < 40; step++) {
      await engine.advance(1_000);
      expect(active(engine, id).length).toBeLessThanOrEqual(2);
    }
    expect(most).toBeLessThanOrEqual(2);
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('FAILED');
    const byName = new Map(process.tasks.map((t) => [t.name, t.status]));
    expect([0, 1, 2, 4, 5].map((i) => byName.get(`t${i}`))).toEqual(Array(5).fill('COMPLETED'));
    expect(byName.get('t3')).toBe('FAILED');
    expect(pool(engine, id)).toEqual({ used: 0, waiting: 0 });
  });

  it('frees every slot when the process is cancelled, and a rerun starts with an empty pool', async () => {
    const { engine, id } = await started(FAN_OUT(5));
    engine.worker({ handler: async () => ({}), tasks: ['start'] });
    await engine.runUntilIdle();
    expect(active(engine, id)).toEqual(['t0', 't1']);
    await engine.client.cancelProcess(id);
    await engine.runUntilIdle();
    expect(active(engine, id)).toEqual([]);
    await engine.client.rerun(id);
    engine.worker({ handler: async () => ({}) });
    let most = 0;
    for (let step = 0; step < 20; step++) {
      await engine.advance(1_000);
      most = Math.max(most, active(engine, id).length);
    }
    expect(most).toBeLessThanOrEqual(2);
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
  });

  it('a process without maxParallel writes no pool and no wait list', async () => {
    const { engine, id } = await started(FAN_OUT(4).replace('maxParallel: 2', ''));
    engine.worker({ handler: async () => ({}) });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(engine.table.snapshot().filter((i) => /^(POOL|WAIT)#/.test(String(i.sk)))).toEqual([]);
  });
});

describe('maxParallel over a map', () => {
  const MAP = `
maxParallel: 3
tasks:
  - name: list
  - name: resize
    needs: [list]
    map:
      items: "upstream.list.files"
      maxConcurrency: 10
  - name: side
    needs: [list]
  - name: report
    needs: [resize, side]
`;

  it('runs a map of 50 items with maxConcurrency 10 at most 3 tasks at a time, children and siblings alike', async () => {
    const { engine, id } = await started(MAP);
    let most = 0;
    engine.worker({
      handler: async ({ task }) => {
        most = Math.max(most, active(engine, id, ['resize']).length);
        if (task === 'list') return { files: Array.from({ length: 50 }, (_, i) => i) };
        return {};
      },
    });
    for (let step = 0; step < 80; step++) {
      await engine.advance(1_000);
      expect(active(engine, id, ['resize']).length).toBeLessThanOrEqual(3);
      expect(pool(engine, id).used).toBe(active(engine, id, ['resize']).length);
    }
    expect(most).toBe(3);
    const process = await engine.client.getProcess(id);
    expect(process.status).toBe('COMPLETED');
    expect((await engine.client.getTask(id, 'resize')).map).toMatchObject({ total: 50, completed: 50 });
    expect(pool(engine, id)).toEqual({ used: 0, waiting: 0 });
  });
});

describe('maxParallel under crashes', () => {
  it('after a crash at every third store call of the run, never exceeds the limit, leaves no task waiting, and completes', async () => {
    const yaml = FAN_OUT(5);
    // A run of this process makes about 200 store calls (claims, completions, takes, waits, dispatches): every
    // third one is crashed in turn, so each kind of call is crashed at many points of the run.
    for (let k = 1; k <= 200; k += 3) {
      const { engine, id } = await started(yaml);
      const label = `crash after store call ${k}`;
      let most = 0;
      engine.worker({
        handler: async () => {
          most = Math.max(most, active(engine, id).length);
          return {};
        },
      });
      engine.faults.crashAfterStoreCalls(k);
      for (let step = 0; step < 60; step++) {
        try {
          await engine.advance(30_000);
        } catch (error) {
          if (!String(error).includes('injected crash')) throw error;
        }
        expect(active(engine, id).length, label).toBeLessThanOrEqual(2);
        if ((await engine.client.getProcess(id)).status === 'COMPLETED') break;
      }
      expect(most, label).toBeLessThanOrEqual(2);
      expect((await engine.client.getProcess(id)).status, label).toBe('COMPLETED');
      expect(pool(engine, id), label).toEqual({ used: 0, waiting: 0 });
    }
  });
});

describe('the maxParallel key', () => {
  it.each([0, 10_001, 1.5, 'two'])('refuses maxParallel: %s with a 400 naming the range', async (value) => {
    const engine = createTestEngine();
    await expect(engine.client.putDefinition('bad', `maxParallel: ${JSON.stringify(value)}\ntasks:\n  - name: A\n`)).rejects.toThrow(/maxParallel must be a whole number from 1 to 10000/);
  });

  it('is kept on the definition', async () => {
    const engine = createTestEngine();
    const { definition } = await engine.client.putDefinition('ok', 'maxParallel: 4\ntasks:\n  - name: A\n');
    expect(definition.maxParallel).toBe(4);
  });
});
