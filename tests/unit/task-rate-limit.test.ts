import { describe, expect, it } from 'vitest';
import { createTestEngine } from '../../testing/index.ts';

/** Issue 18, part 4: a task's rate limit is a true sliding window (no 2× at a bucket boundary), on the virtual clock. */
describe('task rate limit: 5 per 2 s', () => {
  it('never lets more than 5 claims start in any 2 s window, and every task completes', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('paced', `
tasks:
  - name: call-model
    rateLimit: { limit: 5, periodSeconds: 2, key: "input.account" }
`);
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) ids.push((await engine.client.startProcess({ definition: 'paced', input: { account: 'a' } })).process.id);
    const starts: number[] = [];
    engine.worker({
      handler: async () => {
        starts.push(engine.now());
        return {};
      },
    });
    // Step the clock unevenly, so that windows straddle every position (no timing assertion: the clock is virtual).
    for (let step = 0; step < 200 && starts.length < ids.length; step++) await engine.advance(137);
    expect(starts).toHaveLength(ids.length);
    for (const s of starts) expect(starts.filter((t) => t >= s && t < s + 2000).length).toBeLessThanOrEqual(5);
    for (const id of ids) expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    const refused = await Promise.all(ids.map((id) => engine.deps.tasks.get({ processId: id, task: 'call-model' })));
    expect(refused.some((t) => (t?.limitRefusals ?? 0) > 0)).toBe(true);
  });

  it('refuses the 6th claim in the window with 409 RateLimited and notBefore: when the oldest start leaves the window', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('paced', `
tasks:
  - name: call-model
    rateLimit: { limit: 5, periodSeconds: 2 }
`);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await engine.client.startProcess({ definition: 'paced', input: {} })).process.id);
    const first = engine.now();
    for (const id of ids.slice(0, 5)) {
      await engine.client.claim(id, 'call-model', 'w');
      await engine.advance(100);
    }
    const error = await engine.client.claim(ids[5]!, 'call-model', 'w').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 409, code: 'RateLimited', details: { notBefore: new Date(first + 2000).toISOString() } });
    await engine.advance(first + 2000 - engine.now());
    await expect(engine.client.claim(ids[5]!, 'call-model', 'w')).resolves.toMatchObject({ attempt: 1 });
  });
});
