import { describe, expect, it } from 'vitest';
import { createMemoryDeps } from '#app/create-deps.ts';
import { putDefinition } from '#app/definitions.ts';

/** The default queue a deployment names (the construct's `defaultQueue`, TRIBUTARY_DEFAULT_QUEUE) is where queue-less tasks go. */
describe('the default queue', () => {
  const deps = (defaultQueue?: string) =>
    createMemoryDeps({ now: () => 0, queues: { fast: {}, gpu: {} }, settings: defaultQueue === undefined ? {} : { defaultQueue } });

  it("puts a task that names no queue on the deployment's default queue", async () => {
    const { definition } = await putDefinition(deps('fast'), 'd', { yaml: 'tasks:\n  - name: A\n  - name: B\n    queue: gpu\n' });
    expect(definition.tasks.map((t) => [t.name, t.queue])).toEqual([
      ['A', 'fast'],
      ['B', 'gpu'],
    ]);
  });

  it('refuses a task without a queue when the deployment has no default queue', async () => {
    await expect(putDefinition(deps(), 'd', { yaml: 'tasks:\n  - name: A\n' })).rejects.toMatchObject({ code: 'InvalidDefinition' });
  });
});
