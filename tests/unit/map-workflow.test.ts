import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidWorkflowError, NonRetryableTaskError, renderMermaid, renderText, workflow, type TaskContext } from '../../client/index.ts';
import { renderMapKey } from '../../client/render-definition.ts';
import { routeWorkflows } from '../../client/workflow-routing.ts';

// The language gains `map` on another branch: until then, the validator checks the rest of the document.

/** Code-first maps: what `.map()` renders, what it refuses, and how a worker's routing runs a child. */

function images() {
  const wf = workflow('images', { input: z.object({ prefix: z.string() }) });
  const listFiles = wf.task('list-files', async ({ input }) => ({ files: [{ key: `${input.prefix}a.png` }, { key: `${input.prefix}b.png` }] }));
  const resize = wf.map(
    'resize',
    { needs: [listFiles], queue: 'default', items: "upstream['list-files'].files", maxConcurrency: 50, toleratedFailurePercent: 5, itemSchema: z.object({ key: z.string() }) },
    async ({ item, index, map, task, input, upstream }) => ({ key: item.key, index, map, task, prefix: input.prefix, listed: upstream['list-files'].files.length }),
  );
  wf.task('report', { needs: [resize] }, ({ upstream }) => `${upstream.resize.completed} of ${upstream.resize.total}`);
  return wf;
}

/** A handler context as the Worker builds it from a claim. */
function claimed(task: string, extra: Partial<TaskContext> = {}): TaskContext {
  return {
    processId: 'p-1',
    task,
    attempt: 1,
    definition: 'images',
    version: 1,
    input: { process: { prefix: 'in/' }, upstream: { 'list-files': { files: [{ key: 'in/a.png' }, { key: 'in/b.png' }] } } },
    signal: new AbortController().signal,
    ...extra,
  };
}

describe('.map(): the definition document', () => {
  it("renders the map's keys under `map`, and the task's own keys beside it", () => {
    expect(images().toDefinition().tasks).toEqual([
      { name: 'list-files' },
      { name: 'resize', needs: ['list-files'], queue: 'default', map: { items: "upstream['list-files'].files", maxConcurrency: 50, toleratedFailurePercent: 5 } },
      { name: 'report', needs: ['resize'] },
    ]);
  });

  it('renders itemsFrom as given, and leaves out keys that are undefined', () => {
    const wf = workflow('from-s3');
    const itemsFrom = { bucket: 'input.bucket', key: 'input.key', format: 'jsonl' as const };
    wf.map('rows', { itemsFrom, maxItems: 10_000, toleratedFailureCount: undefined, retry: { maxAttempts: 3 } }, () => null);
    expect(wf.toDefinition().tasks).toEqual([{ name: 'rows', retry: { maxAttempts: 3 }, map: { itemsFrom, maxItems: 10_000 } }]);
  });

  it('splits mixed options into the task keys and the map key', () => {
    expect(renderMapKey({ queue: 'images', timeoutSeconds: 5, items: 'input.files', maxConcurrency: undefined, maxItems: 3 })).toEqual({
      options: { queue: 'images', timeoutSeconds: 5 },
      map: { items: 'input.files', maxItems: 3 },
    });
  });

  it('draws a map task as a subroutine saying what it maps over, in Mermaid and in text', () => {
    const doc = images().toDefinition();
    expect(renderMermaid(doc)).toBe(
      ['flowchart TD', '  t0["list-files"]', `  t1[["resize (map over upstream['list-files'].files)"]]`, '  t2["report"]', '  t0 --> t1', '  t1 --> t2'].join('\n'),
    );
    expect(renderText(doc, 'images')).toBe(["images", '  1. list-files', "  2. resize (map over upstream['list-files'].files)  ← list-files", '  3. report  ← resize'].join('\n'));
    expect(renderText({ tasks: [{ name: 'rows', map: { itemsFrom: { bucket: 'b', key: 'k', format: 'jsonl' } } }] })).toBe('  1. rows (map over an S3 object (jsonl))');
  });
});

describe('.map(): what it refuses', () => {
  it('refuses a manual task with map keys at run time, naming what to do instead', () => {
    const wf = workflow('manual-map');
    // @ts-expect-error: a manual task's options cannot take a map's keys
    const declare = () => wf.manualTask('approve', { items: 'input.files' });
    expect(declare).toThrow(InvalidWorkflowError);
    expect(declare).toThrow("manual task 'approve' cannot be a map (it was given 'items')");
    // @ts-expect-error: nor a nested map key
    expect(() => wf.manualTask('approve', { map: { items: 'input.files' } })).toThrow("manual task 'approve' cannot be a map (it was given 'map')");
    expect(wf.tasks).toEqual([]);
  });

  it('refuses map keys on .task(), pointing at .map()', () => {
    const wf = workflow('task-map');
    // @ts-expect-error: a task's options do not take a map's keys
    expect(() => wf.task('resize', { maxConcurrency: 5 }, () => 1)).toThrow("task 'resize' cannot be a map (it was given 'maxConcurrency'): declare it with .map(name, { items, … }, handler)");
  });

  it("refuses the map's keys nested under `map`: .map() takes them among its options", () => {
    const wf = workflow('nested');
    // @ts-expect-error: `map` is not an option of .map()
    expect(() => wf.map('resize', { items: 'input.files', map: { items: 'input.files' } }, () => 1)).toThrow("map 'resize' takes its map's keys (items, maxConcurrency, …) among its options, not under 'map'");
  });
});

describe('.map(): routing a child to its handler', () => {
  const routing = routeWorkflows([images()]);

  it('lists the map among the tasks the worker runs: its name stands for its children', () => {
    expect(routing.tasks).toEqual(['list-files', 'resize', 'report']);
  });

  it("runs a child with the claim's map, index and item, the item parsed with itemSchema, upstream the map's", async () => {
    const out = await routing.handler(claimed('resize[1]', { map: 'resize', index: 1, item: { key: 'in/b.png', extra: true } }));
    expect(out).toEqual({ key: 'in/b.png', index: 1, map: 'resize', task: 'resize[1]', prefix: 'in/', listed: 2 });
  });

  it("finds the map by the child's name when the claim does not say (an older server)", async () => {
    const out = await routing.handler(claimed('resize[0]', { item: { key: 'in/a.png' } }));
    expect(out).toMatchObject({ key: 'in/a.png', index: 0, map: 'resize', task: 'resize[0]' });
  });

  it('fails a child whose item the schema rejects, without retries, naming the item', async () => {
    const run = routing.handler(claimed('resize[7]', { map: 'resize', index: 7, item: { name: 'no key' } }));
    await expect(run).rejects.toBeInstanceOf(NonRetryableTaskError);
    await expect(run).rejects.toMatchObject({ code: 'ItemInvalid', message: expect.stringContaining("item 7 of map 'resize' does not match its itemSchema") });
  });

  it('refuses to run the map task itself, and a child of a plain task', async () => {
    await expect(routing.handler(claimed('resize'))).rejects.toMatchObject({ code: 'MapMismatch', message: expect.stringContaining('is the map itself') });
    await expect(routing.handler(claimed('report[2]', { map: 'report', index: 2, item: 1 }))).rejects.toMatchObject({
      code: 'MapMismatch',
      message: expect.stringContaining("a child of 'report', which this workflow declares as a task, not a map"),
    });
  });

  it('runs a plain task as before, without map fields', async () => {
    await expect(routing.handler(claimed('report', { input: { process: { prefix: '' }, upstream: { resize: { total: 2, completed: 2, failed: 0 } } } }))).resolves.toBe('2 of 2');
  });
});
