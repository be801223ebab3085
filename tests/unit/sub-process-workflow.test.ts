import { describe, expect, it } from 'vitest';
import { renderMermaid, renderText, workflow } from '../../client/index.ts';
import { renderGraph } from '../../cli/graph.ts';

/** Code-first sub-processes: what `.process()` renders, and how the graphs draw a process task. */

function onboarding() {
  const wf = workflow('onboarding');
  const open = wf.task('open-account', async () => ({ customer: 'c-1' }));
  const kyc = wf.process('kyc', { needs: [open], definition: 'kyc-check', version: 3, input: "{'customer': upstream['open-account'].customer}", retry: { maxAttempts: 2 } });
  wf.task('activate', { needs: [kyc] }, ({ upstream }) => Object.keys(upstream.kyc));
  return wf;
}

describe('.process()', () => {
  it("renders the task's process key beside its own keys, and no handler is needed", () => {
    expect(onboarding().toDefinition().tasks).toEqual([
      { name: 'open-account' },
      { name: 'kyc', needs: ['open-account'], retry: { maxAttempts: 2 }, process: { definition: 'kyc-check', version: 3, input: "{'customer': upstream['open-account'].customer}" } },
      { name: 'activate', needs: ['kyc'] },
    ]);
    expect(onboarding().tasks.find((t) => t.name === 'kyc')?.manual).toBe(true);
  });

  it('refuses what the server refuses: an input expression that names no need', () => {
    const wf = workflow('bad');
    wf.process('kyc', { definition: 'kyc-check', input: 'upstream.x' });
    expect(() => wf.toDefinition()).toThrow(/upstream/);
  });

  it('draws a process task as a hexagon naming its child definition, in Mermaid and in text', () => {
    const doc = onboarding().toDefinition();
    expect(renderMermaid(doc)).toBe(['flowchart TD', '  t0["open-account"]', '  t1{{"kyc (process kyc-check@3)"}}', '  t2["activate"]', '  t0 --> t1', '  t1 --> t2'].join('\n'));
    expect(renderText(doc)).toBe(['  1. open-account', '  2. kyc (process kyc-check@3)  ← open-account', '  3. activate  ← kyc'].join('\n'));
  });
});

describe('tributary graph', () => {
  it("draws a definition's process task as a hexagon, and a process's with its child", () => {
    const def = [
      { name: 'a', needs: [] },
      { name: 'kyc', needs: ['a'], process: { definition: 'kyc-check' } },
    ];
    expect(renderGraph(def, 'mermaid')).toBe(['flowchart TD', '  t0["a"]', '  t1{{"kyc (process kyc-check)"}}', '  t0 --> t1'].join('\n'));
    expect(renderGraph(def, 'dot')).toContain('t1 [label="kyc (process kyc-check)", shape=hexagon];');
    const run = [
      { name: 'a', needs: [], status: 'COMPLETED' },
      { name: 'kyc', needs: ['a'], status: 'RUNNING', childProcessId: 'p-2' },
    ];
    expect(renderGraph(run, 'text')).toBe(['level 0', '  ✔ a [COMPLETED]', 'level 1', '  ▶ kyc (child p-2) [RUNNING]  ← a'].join('\n'));
  });
});
