import { beforeAll, describe, expect, it } from 'vitest';
import { claimTask } from '#app/claim-task.ts';
import { failTask } from '#app/end-task.ts';
import { startProcess } from '#app/start-process.ts';
import { putYaml, runToEnd, type Engine } from '../engines.ts';

/**
 * Retention: every item a process leaves behind carries a TTL, so DynamoDB
 * removes finished processes for free. Nothing of a process is kept forever.
 */
const DAY = 86_400;

export function retentionScenarios(makeEngine: () => Promise<Engine>): void {
  let engine: Engine;

  beforeAll(async () => {
    engine = await makeEngine();
    // Two sinks, so the END counter item exists too; a join, so a counter item does.
    await putYaml(engine.deps, 'kept', 'tasks:\n  - name: A\n  - name: B\n  - name: J\n    needs: [A, B]\n  - name: S1\n    needs: [J]\n  - name: S2\n    needs: [J]\n');
  });

  describe('retention of finished processes', () => {
    it('puts a TTL on every item of a completed process: META, INPUT, END and each task', async () => {
      const { process } = await startProcess(engine.deps, { definition: 'kept', input: { big: 'x'.repeat(100) } });
      await runToEnd(engine, process.id);
      const items = await engine.itemsOf(process.id);
      // The run's progress counters (COUNT#<run>#<shard>) expire too: the loop below checks every item.
      expect(items.some((i) => String(i.sk).startsWith('COUNT#000001#'))).toBe(true);
      expect(items.map((i) => String(i.sk)).filter((sk) => !sk.startsWith('COUNT#')).sort()).toEqual(['END', 'INPUT', 'META', 'TASK#A', 'TASK#B', 'TASK#J', 'TASK#S1', 'TASK#S2']);
      const now = Math.floor(engine.clock.now() / 1000);
      for (const item of items) {
        expect(item.expiresAt, String(item.sk)).toEqual(expect.any(Number));
        expect(item.expiresAt as number, String(item.sk)).toBeGreaterThanOrEqual(now + 29 * DAY);
      }
      // The write-once input outlives the longest allowed run, so a running process never loses it.
      const input = items.find((i) => i.sk === 'INPUT')!;
      expect(input.expiresAt as number).toBeGreaterThanOrEqual(now + 365 * DAY);
    });

    it('puts a TTL on the tombstones a failed process leaves for its unfinished tasks', async () => {
      const { process } = await startProcess(engine.deps, { definition: 'kept' });
      await engine.drain();
      const a = await claimTask(engine.deps, process.id, 'A', 'w');
      await failTask(engine.deps, process.id, 'A', { leaseToken: a.leaseToken, error: { message: 'no', retryable: false } });
      const items = await engine.itemsOf(process.id);
      expect(items.map((i) => String(i.sk)).filter((sk) => !sk.startsWith('COUNT#')).sort()).toEqual(['INPUT', 'META', 'TASK#A', 'TASK#B', 'TASK#J', 'TASK#S1', 'TASK#S2']);
      for (const item of items) expect(item.expiresAt, String(item.sk)).toEqual(expect.any(Number));
    });
  });
}
