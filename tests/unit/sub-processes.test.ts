import { describe, expect, it } from 'vitest';
import { createTestEngine, type TestEngine } from '../../testing/index.ts';

/** Sub-processes (issue 17, part 3) on the in-memory engine: start, end, retry by rerun, cancel, depth. */

const KYC = `
tasks:
  - name: check-id
  - name: score
    needs: [check-id]
`;

const ACCOUNT = (options = '') => `
tasks:
  - name: open-account
  - name: kyc
    needs: [open-account]
    process:
      definition: kyc-check
      input: "{'customer': upstream['open-account'].customer}"
${options}
  - name: activate
    needs: [kyc]
`;

async function engineWith(parent: string, child = KYC): Promise<TestEngine> {
  const engine = createTestEngine();
  await engine.client.putDefinition('kyc-check', child);
  await engine.client.putDefinition('account', parent);
  return engine;
}

describe('a process task', () => {
  it('starts one child process, runs RUNNING with no worker, and completes with the outputs of its sinks', async () => {
    const engine = await engineWith(ACCOUNT());
    const seen: Record<string, unknown> = {};
    engine.worker({
      handler: async ({ task, input }) => {
        seen[task] = input;
        if (task === 'open-account') return { customer: 'c-1' };
        if (task === 'score') return { score: 700 };
        return { ok: true };
      },
    });
    const { process } = await engine.client.startProcess({ definition: 'account', input: {} });
    await engine.runUntilIdle();
    const parent = await engine.client.getProcess(process.id);
    expect(parent.status).toBe('COMPLETED');
    const kyc = await engine.client.getTask(process.id, 'kyc');
    expect(kyc.status).toBe('COMPLETED');
    expect(kyc.output).toEqual({ score: { score: 700 } });
    expect(kyc.childProcessId).toEqual(expect.any(String));
    const child = await engine.client.getProcess(kyc.childProcessId!);
    expect(child.status).toBe('COMPLETED');
    expect(child.definition).toBe('kyc-check');
    expect(child.parent).toEqual({ processId: process.id, task: 'kyc' });
    expect(child.input).toEqual({ customer: 'c-1' });
    expect(seen.activate).toEqual(expect.objectContaining({ upstream: { kyc: { score: { score: 700 } } } }));
    const history = await engine.client.getHistory(process.id);
    const types = history.items.map((e) => e.type);
    expect(types).toContain('ChildProcessStarted');
    expect(types).toContain('ChildProcessEnded');
  });
});
