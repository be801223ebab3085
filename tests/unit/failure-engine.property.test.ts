import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';
import { NonRetryableTaskError } from '../../client/task-failures.ts';
import { definitionArb } from './dag-arbitraries.ts';

/**
 * The real engine (handlers, use cases, sweeper, in-memory adapters) under
 * random DAGs × random failure patterns × each policy: every process ends,
 * nothing is left to run after its end, no attempt of a task runs twice, and
 * the outcome matches the policy. The model's version of these properties is
 * in lifecycle.property.test.ts; this one checks the code, not the table.
 */
const policyArb = fc.record({
  onFailure: fc.constantFrom('failFast', 'skipDownstream'),
  optionalBits: fc.nat(),
  attemptBits: fc.nat(),
  /** Per (task, attempt): 0-4 completes, 5 loses its lease (the worker stalls), 6-7 fails (retryable), 8 fails for good. */
  outcomes: fc.array(fc.nat(8), { minLength: 1, maxLength: 40 }),
});

describe('the engine under random failures', () => {
  it('ends every process, per its policy, running each attempt at most once', async () => {
    await fc.assert(
      fc.asyncProperty(definitionArb(8), policyArb, async ({ doc }, p) => {
        const engine = createTestEngine({ queues: { default: {}, gpu: {} } });
        const names = doc.tasks.map((t) => t.name);
        const optional = new Set(names.filter((_, i) => (p.optionalBits >> i) % 3 === 0));
        const tasks = doc.tasks.map((t, i) => ({
          ...t,
          ...(optional.has(t.name) ? { optional: true } : {}),
          retry: { maxAttempts: 1 + ((p.attemptBits >> (2 * i)) % 3), intervalSeconds: i % 2, jitter: 'none' },
        }));
        await engine.client.putDefinition('random', { onFailure: p.onFailure, tasks });
        const { id } = (await engine.client.startProcess({ definition: 'random' })).process;
        const runs = new Set<string>();
        let draw = 0;
        for (const queue of ['default', 'gpu']) {
          engine.worker({
            queue,
            handler: async ({ processId, task, attempt }) => {
              const key = `${task}#${attempt}`;
              expect(runs.has(key), `${key} ran twice`).toBe(false);
              runs.add(key);
              const outcome = p.outcomes[draw++ % p.outcomes.length] ?? 0;
              if (outcome === 8) throw new NonRetryableTaskError(`${key} broke for good`);
              if (outcome >= 6) throw new Error(`${key} broke`);
              // The worker stalls past its lease: its result is refused, and the expiry counts as the attempt.
              if (outcome === 5) await engine.faults.expireLease(processId, task);
              return key;
            },
          });
        }
        let view = await engine.client.getProcess(id);
        for (let round = 0; round < 40 && view.status === 'RUNNING'; round++) {
          await engine.advance(1000);
          view = await engine.client.getProcess(id);
        }
        expect(view.status).not.toBe('RUNNING');
        const statuses = new Map(view.tasks.map((t) => [t.name, t.status]));
        expect(view.tasks.filter((t) => ['PENDING', 'SCHEDULED', 'RUNNING'].includes(t.status))).toEqual([]);
        expect(view.progress.percent).toBe(100);
        const hardFailed = names.filter((n) => statuses.get(n) === 'FAILED' && !optional.has(n));
        if (view.status === 'COMPLETED') expect(hardFailed).toEqual([]);
        if (view.status === 'FAILED') {
          expect(hardFailed.length).toBeGreaterThan(0);
          expect(view.error).toMatchObject({ code: 'TaskFailed' });
          expect(hardFailed).toContain(view.error?.task);
        }
        if (p.onFailure === 'skipDownstream') {
          // A skipped task always has a failed (or skipped) need.
          for (const t of view.tasks.filter((x) => x.status === 'SKIPPED')) expect(hardFailed.concat(names.filter((n) => statuses.get(n) === 'SKIPPED'))).toContain(t.skippedBecause ?? '');
          // Every other branch ran to its end (the process waited for it): nothing is cancelled.
          expect(view.tasks.filter((t) => t.status === 'CANCELLED').map((t) => t.name)).toEqual([]);
        }
        // Nothing runs after the end.
        const after = await engine.advance(3_600_000);
        expect(after.ran).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});
