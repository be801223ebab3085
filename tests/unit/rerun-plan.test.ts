import { describe, expect, it } from 'vitest';
import { buildDag } from '#domain/dag.ts';
import type { DefinitionSpec, TaskSpec } from '#domain/definition.ts';
import type { TaskStatus } from '#domain/lifecycle.ts';
import { planRerun, type TaskState } from '#domain/rerun-plan.ts';

const dagOf = (...tasks: [string, string[]][]) =>
  buildDag({ tasks: tasks.map(([name, needs]): TaskSpec => ({ name, needs, queue: 'default', timeoutSeconds: 300 })) } satisfies DefinitionSpec);
const states = (entries: Record<string, TaskStatus | [TaskStatus, number]>): Map<string, TaskState> =>
  new Map(Object.entries(entries).map(([name, s]) => [name, Array.isArray(s) ? { status: s[0], run: s[1] } : { status: s }]));

// A fans out to B and C, which D joins; E hangs off C.
const diamond = dagOf(['A', []], ['B', ['A']], ['C', ['A']], ['D', ['B', 'C']], ['E', ['C']]);

describe('planRerun', () => {
  it('reruns what did not complete and everything downstream of it; the rest is kept; what needs only kept tasks is ready', () => {
    const plan = planRerun(diamond, diamond, states({ A: 'COMPLETED', B: 'FAILED', C: 'COMPLETED', D: 'CANCELLED', E: 'COMPLETED' }), [], 2);
    expect(plan).toEqual({ reset: ['B', 'D'], kept: ['A', 'C', 'E'], ready: ['B'], differences: [] });
  });

  it('treats a task that never got an item as not completed', () => {
    expect(planRerun(diamond, diamond, states({ A: 'COMPLETED', B: 'FAILED' }), [], 2)).toMatchObject({ reset: ['B', 'C', 'D', 'E'], ready: ['B', 'C'] });
  });

  it('reruns fromTasks and their descendants even when everything completed', () => {
    const done = states({ A: 'COMPLETED', B: 'COMPLETED', C: 'COMPLETED', D: 'COMPLETED', E: 'COMPLETED' });
    expect(planRerun(diamond, diamond, done, ['C'], 2)).toEqual({ reset: ['C', 'D', 'E'], kept: ['A', 'B'], ready: ['C'], differences: [] });
    expect(planRerun(diamond, diamond, done, ['A'], 2).kept).toEqual([]);
  });

  it('reruns the completed child of a failed optional task, so it sees the new output', () => {
    const plan = planRerun(diamond, diamond, states({ A: 'COMPLETED', B: 'FAILED', C: 'COMPLETED', D: 'COMPLETED', E: 'COMPLETED' }), [], 2);
    expect(plan.reset).toEqual(['B', 'D']);
  });

  it('plans the same again for a pass resumed mid-way: a task already reset for the run counts as reset', () => {
    const resumed = states({ A: 'COMPLETED', B: ['COMPLETED', 2], C: 'COMPLETED', D: ['PENDING', 2], E: 'COMPLETED' });
    expect(planRerun(diamond, diamond, resumed, [], 2)).toEqual({ reset: ['B', 'D'], kept: ['A', 'C', 'E'], ready: ['B'], differences: [] });
  });

  it('lists every kept task the target version drops or rewires, and none that runs again anyway', () => {
    const ran = states({ A: 'COMPLETED', B: 'COMPLETED', C: 'COMPLETED', D: 'FAILED', E: 'COMPLETED' });
    // C is gone, E now needs B, and D (which runs again anyway) needs only B.
    const target = dagOf(['A', []], ['B', ['A']], ['D', ['B']], ['E', ['B']]);
    expect(planRerun(diamond, target, ran, [], 2).differences).toEqual([
      { task: 'C', problem: 'missing', message: expect.stringContaining("'C'") },
      { task: 'E', problem: 'needs', message: "task 'E' completed with needs [C] and would be kept, but in the target version it needs [B]" },
    ]);
  });

  it('keeps the same tasks on a compatible version, and runs what is new in it', () => {
    const ran = states({ A: 'COMPLETED', B: 'COMPLETED', C: 'COMPLETED', D: 'FAILED', E: 'COMPLETED' });
    const target = dagOf(['A', []], ['B', ['A']], ['C', ['A']], ['D', ['C', 'B']], ['E', ['C']], ['F', []], ['G', ['D']]);
    expect(planRerun(diamond, target, ran, [], 2)).toEqual({ reset: ['D', 'F', 'G'], kept: ['A', 'B', 'C', 'E'], ready: ['D', 'F'], differences: [] });
  });
});
