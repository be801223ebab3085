import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidWorkflowError, TributaryClient, workflow, type TaskRef } from '../../client/index.ts';
import { fakeFetch } from './fake-fetch.ts';

function onboarding() {
  const wf = workflow('user-onboarding', { input: z.object({ userId: z.string() }), description: 'welcome a new user' });
  const fetchUser = wf.task('fetch user', { timeoutSeconds: 5 }, async ({ input }) => ({ id: input.userId, name: 'Ada' }));
  const fetchSettings = wf.task('fetch settings', async () => ({ locale: 'en_GB' }));
  wf.task('email user', { needs: [fetchUser, fetchSettings], queue: 'default' }, async ({ upstream }) => `${upstream['fetch user'].name}`);
  return wf;
}

function problemsOf(build: () => unknown): readonly { path?: string; message: string }[] {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidWorkflowError);
    return (error as InvalidWorkflowError).details;
  }
  throw new Error('expected the workflow to be rejected');
}

describe('workflow(...).toDefinition()', () => {
  it('produces the definition document: needs from the references, inputSchema from the zod schema', () => {
    expect(onboarding().toDefinition()).toEqual({
      description: 'welcome a new user',
      inputSchema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { userId: { type: 'string' } },
        // As a caller sends it: z.object strips unknown keys rather than rejecting them.
        required: ['userId'],
      },
      tasks: [
        { name: 'fetch user', timeoutSeconds: 5 },
        { name: 'fetch settings' },
        { name: 'email user', needs: ['fetch user', 'fetch settings'], queue: 'default' },
      ],
    });
  });

  it('has no inputSchema when the workflow has no input schema', () => {
    const wf = workflow('plain');
    wf.task('A', () => 1);
    expect(wf.toDefinition()).toEqual({ tasks: [{ name: 'A' }] });
  });

  it('declares a manual task without a handler, and hands its output on', () => {
    const wf = workflow('loan');
    const open = wf.manualTask('Open', { output: z.object({ amount: z.number() }) });
    wf.task('Review', { needs: [open] }, ({ upstream }) => upstream.Open.amount > 10);
    expect(wf.toDefinition().tasks).toEqual([{ name: 'Open' }, { name: 'Review', needs: ['Open'] }]);
    expect(wf.tasks.map((t) => [t.name, t.manual])).toEqual([['Open', true], ['Review', false]]);
  });

  it("runs the server's validator and reports every problem at once, each at its path", () => {
    const wf = workflow('broken');
    wf.task('a/b', () => 1);
    wf.task('A', { timeoutSeconds: 0 }, () => 1);
    wf.task('A', () => 2);
    expect(problemsOf(() => wf.toDefinition())).toEqual([
      { path: 'tasks[0].name', message: "a task name must not contain '/', '?', '#' or '%': it is a segment of the API's URLs" },
      { path: 'tasks[1].timeoutSeconds', message: 'timeoutSeconds must be a whole number of seconds from 1 to 43200' },
      { path: 'tasks[2].name', message: "duplicate task name 'A' (first declared at tasks[1])" },
    ]);
  });

  it('reports a need on another workflow’s task even when the types were bypassed', () => {
    const billing = workflow('billing');
    const charge = billing.task('charge', () => 10);
    const wf = workflow('shop');
    wf.task('thank', { needs: [charge as unknown as TaskRef<'shop'>] }, () => undefined);
    expect(problemsOf(() => wf.toDefinition())).toEqual([
      { path: 'tasks[0].needs[0]', message: "task 'thank' needs 'charge' of workflow 'billing'; a task can only need tasks of its own workflow" },
      { path: 'tasks[0].needs[0]', message: "task 'thank' needs 'charge', which is not a task in this definition" },
    ]);
  });

  it('reports an input schema that JSON Schema cannot express', () => {
    const wf = workflow('dates', { input: z.object({ at: z.date() }) });
    wf.task('A', () => 1);
    const [problem] = problemsOf(() => wf.toDefinition());
    expect(problem?.path).toBe('inputSchema');
    expect(problem?.message).toMatch(/^the input schema cannot be written as JSON Schema/);
  });

  it('carries a compensation, checked like the rest (its existence is checked by the server at PUT)', () => {
    const wf = workflow('loan', { compensation: { definition: 'refund-loan', on: ['FAILED', 'CANCELLED'] } });
    wf.task('A', () => 1);
    expect(wf.toDefinition()).toEqual({ compensation: { definition: 'refund-loan', on: ['FAILED', 'CANCELLED'] }, tasks: [{ name: 'A' }] });
    const bad = workflow('loan', { compensation: { definition: 'refund-loan', on: ['COMPLETED' as 'FAILED'] } });
    bad.task('A', () => 1);
    expect(problemsOf(() => bad.toDefinition())).toEqual([{ path: 'compensation.on[0]', message: 'compensation.on must be a list of: FAILED, CANCELLED' }]);
  });

  it('builds a manual task without an output schema', () => {
    const wf = workflow('approval');
    wf.manualTask('Approve');
    expect(wf.toDefinition()).toEqual({ tasks: [{ name: 'Approve' }] });
  });

  it('reports a task whose handler is not a function (from JavaScript)', () => {
    const wf = workflow('js');
    (wf.task as (name: string, handler: unknown) => unknown)('A', undefined);
    expect(problemsOf(() => wf.toDefinition())).toEqual([{ path: 'tasks[0]', message: "task 'A' has no handler (declare it with manualTask if no worker runs it)" }]);
  });

  it('reports a workflow without tasks', () => {
    expect(problemsOf(() => workflow('empty').toDefinition())).toEqual([{ path: 'tasks', message: 'a definition needs at least one task' }]);
  });
});

describe('rendering the DAG', () => {
  it('renders a Mermaid flowchart', () => {
    expect(onboarding().toMermaid()).toBe(
      ['flowchart TD', '  t0["fetch user"]', '  t1["fetch settings"]', '  t2["email user"]', '  t0 --> t2', '  t1 --> t2'].join('\n'),
    );
  });

  it('renders text, by level, with each task’s needs', () => {
    expect(onboarding().toText()).toBe(
      ['user-onboarding', '  1. fetch user', '  1. fetch settings', '  2. email user  ← fetch user, fetch settings'].join('\n'),
    );
  });

  it('escapes quotes in Mermaid labels', () => {
    const wf = workflow('q');
    wf.task('say "hi"', () => 1);
    expect(wf.toMermaid()).toContain('t0["say #quot;hi#quot;"]');
  });
});

describe('client.apply(workflow)', () => {
  it('PUTs the built document under the workflow’s name', async () => {
    const stored = { name: 'user-onboarding', version: 1, tasks: [], createdAt: '2026-01-01T00:00:00.000Z' };
    const fake = fakeFetch([{ status: 201, body: stored }]);
    const client = new TributaryClient({ baseUrl: 'http://api', fetch: fake.fetch });
    const wf = onboarding();
    expect(await client.apply(wf)).toEqual({ created: true, definition: stored });
    expect(fake.requests.map((r) => [r.method, r.url])).toEqual([['PUT', 'http://api/definitions/user-onboarding']]);
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toEqual(wf.toDefinition());
  });

  it('sends nothing when the workflow does not build', async () => {
    const fake = fakeFetch([{ status: 201, body: {} }]);
    const client = new TributaryClient({ baseUrl: 'http://api', fetch: fake.fetch });
    await expect(client.apply(workflow('empty'))).rejects.toBeInstanceOf(InvalidWorkflowError);
    expect(fake.requests).toEqual([]);
  });
});
