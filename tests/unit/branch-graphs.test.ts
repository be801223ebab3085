import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderGraph } from '../../cli/graph.ts';
import { workflow } from '../../client/workflow.ts';
import { createTestEngine } from '../../testing/index.ts';

/** Branches in code-first workflows (issue 17): `when` and `join` on `.task()`, how they are drawn, and what a join's handler gets. */

function approveOrReview() {
  const wf = workflow('approve-or-review', { input: z.object({ amount: z.number() }) });
  const intake = wf.task('intake', ({ input }) => ({ amount: input.amount }));
  const approve = wf.task('approve', { needs: [intake], when: 'upstream.intake.amount < 1000' }, () => 'approved');
  const review = wf.task('review', { needs: [intake], when: 'upstream.intake.amount >= 1000' }, () => 'reviewed');
  const seen: { upstream: unknown; skipped: readonly string[] }[] = [];
  wf.task('notify', { needs: [approve, review], join: 'anyCompleted' }, ({ upstream, skippedUpstream }) => {
    seen.push({ upstream, skipped: skippedUpstream });
    return 'sent';
  });
  return { wf, seen };
}

describe('a code-first workflow with branches', () => {
  it('writes when and join into its definition', () => {
    expect(approveOrReview().wf.toDefinition().tasks).toEqual([
      { name: 'intake' },
      { name: 'approve', needs: ['intake'], when: 'upstream.intake.amount < 1000' },
      { name: 'review', needs: ['intake'], when: 'upstream.intake.amount >= 1000' },
      { name: 'notify', needs: ['approve', 'review'], join: 'anyCompleted' },
    ]);
  });

  it('draws conditions as edge labels and a join rule in the label', () => {
    expect(approveOrReview().wf.toMermaid()).toBe(
      [
        'flowchart TD',
        '  t0["intake"]',
        '  t1["approve"]',
        '  t2["review"]',
        '  t3["notify (join: anyCompleted)"]',
        '  t0 -- "when: upstream.intake.amount < 1000" --> t1',
        '  t0 -- "when: upstream.intake.amount >= 1000" --> t2',
        '  t1 --> t3',
        '  t2 --> t3',
      ].join('\n'),
    );
    expect(approveOrReview().wf.toText()).toContain('2. approve  ← intake  when upstream.intake.amount < 1000');
  });

  it('runs on the test engine: one branch runs, and the join handler sees the other in skippedUpstream', async () => {
    const { wf, seen } = approveOrReview();
    const engine = createTestEngine();
    await engine.client.apply(wf);
    const { id } = (await engine.client.startProcess({ definition: 'approve-or-review', input: { amount: 50 } })).process;
    engine.worker({ workflows: [wf] });
    await engine.runUntilIdle();
    expect((await engine.client.getProcess(id)).status).toBe('COMPLETED');
    expect(seen).toEqual([{ upstream: { approve: 'approved' }, skipped: ['review'] }]);
  });
});

describe('tributary graph', () => {
  const tasks = [
    { name: 'intake', needs: [], status: 'COMPLETED' },
    { name: 'approve', needs: ['intake'], when: 'upstream.intake.amount < 1000', status: 'SKIPPED', skipReason: 'ConditionFalse' },
    { name: 'notify', needs: ['approve', 'intake'], join: 'allCompleted', status: 'SKIPPED', skipReason: 'UpstreamSkipped' },
  ];

  it('labels condition edges and colours SKIPPED tasks in Mermaid', () => {
    const mermaid = renderGraph(tasks, 'mermaid');
    expect(mermaid).toContain('  t0 -- "when: upstream.intake.amount < 1000" --> t1');
    expect(mermaid).toContain('  t2["notify (join: allCompleted) [SKIPPED: UpstreamSkipped]"]');
    expect(mermaid).toContain('  class t1,t2 skipped');
    expect(mermaid).toMatch(/classDef skipped fill:#/);
  });

  it('labels condition edges in dot, and shows them in text', () => {
    expect(renderGraph(tasks, 'dot')).toContain('  t0 -> t1 [label="when: upstream.intake.amount < 1000"];');
    expect(renderGraph(tasks, 'text')).toContain('↷ approve [SKIPPED: ConditionFalse]  ← intake  when upstream.intake.amount < 1000');
  });
});
