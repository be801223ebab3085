import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { routes } from '#config/routes.ts';
import { TributaryClient, Worker, type TaskContext, type WorkerLogger, type WorkerOptions } from '../../client/index.ts';
import { checkTaskNames, coversTask, mapChildOf, parseChildTask } from '../../client/map-child.ts';
import { compileRoutes, matchRoute } from '../../local/route-matcher.ts';
import { createTestEngine } from '../../testing/index.ts';
import { fakeFetch, type Scripted } from '../client/fake-fetch.ts';

/**
 * Workers and children of maps: a worker's `tasks: ['resize']` covers
 * `resize[0]`, `resize[1]`, … (by the message's `map`, else by the name), the
 * handler gets the claim's map, index and item, and a child's name travels
 * percent-encoded and arrives decoded. The Worker runs on a scripted SQS and
 * a scripted API; the test engine on its in-memory queue and the real handlers.
 */

const child = (index: number, withMap = true) => ({
  processId: 'p-1',
  task: `resize[${index}]`,
  attempt: 1,
  definition: 'images',
  version: 1,
  ...(withMap ? { map: 'resize', index } : {}),
});

describe('naming children', () => {
  it('parses <map>[<index>], and nothing else', () => {
    expect(parseChildTask('resize[41]')).toEqual({ map: 'resize', index: 41 });
    expect(parseChildTask('a b[c][0]')).toEqual({ map: 'a b[c]', index: 0 });
    for (const name of ['resize', 'resize[]', 'resize[01]', 'resize[-1]', 'resize[1.5]', '[3]', 'resize[3] ', 'resize[99999999999999999999]']) {
      expect(parseChildTask(name), name).toBeUndefined();
    }
  });

  it("takes the map from the message's fields, else from the name", () => {
    expect(mapChildOf(child(41))).toEqual({ map: 'resize', index: 41 });
    expect(mapChildOf(child(41, false))).toEqual({ map: 'resize', index: 41 });
    // The fields win: they are what the server says.
    expect(mapChildOf({ task: 'x[1]', map: 'y[1]', index: 1 })).toEqual({ map: 'y[1]', index: 1 });
    expect(mapChildOf({ task: 'Decide' })).toBeUndefined();
  });

  it("covers a child by its map's name only, any other task by its own name", () => {
    expect(coversTask(['resize'], child(3))).toBe(true);
    expect(coversTask(['resize'], child(3, false))).toBe(true);
    expect(coversTask(['resize[3]'], child(3))).toBe(false);
    expect(coversTask(['resize'], { task: 'resize' })).toBe(true);
    expect(coversTask(['report'], child(3))).toBe(false);
  });

  it("refuses a child's own name in a worker's task list, naming the map to list", () => {
    expect(() => checkTaskNames('tasks', ['report', 'resize[3]'])).toThrow(
      "tasks: 'resize[3]' names one child of map 'resize'; a worker runs every child of a map or none, so list the map: 'resize'",
    );
    expect(() => checkTaskNames('tasks', ['report', 'resize'])).not.toThrow();
  });
});

/** An SQS client that hands out `bodies` on the first receive, nothing after, and records every command. */
function scriptedSqs(bodies: readonly object[]) {
  const commands: { name: string; input: Record<string, unknown> }[] = [];
  let received = false;
  const sqs = {
    send: async (command: { input: Record<string, unknown> }) => {
      commands.push({ name: command.constructor.name, input: command.input });
      if (!(command instanceof ReceiveMessageCommand)) return {};
      const messages = received ? [] : bodies.map((b, i) => ({ MessageId: `m-${i}`, ReceiptHandle: `r-${i}`, Body: JSON.stringify(b), Attributes: {} }));
      received = true;
      return { Messages: messages };
    },
  } as unknown as SQSClient;
  return { sqs, commands };
}

/** The answer of a batch claim (`POST /tasks/claim`) of one child. */
const claimOf = (index: number): Scripted => ({
  status: 200,
  body: {
    results: [
      {
        leaseToken: `lease-${index}`,
        leaseExpiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        attempt: 1,
        input: { process: { bucket: 'in' }, upstream: { 'list-files': { files: ['a.png', 'b.png'] } } },
        map: 'resize',
        index,
        item: { key: `file-${index}.png` },
      },
    ],
  },
});

function scriptedWorker(bodies: readonly object[], script: readonly Scripted[], options: Partial<WorkerOptions> = {}) {
  const { sqs, commands } = scriptedSqs(bodies);
  const api = fakeFetch(script);
  const client = new TributaryClient({ baseUrl: 'http://api.test', fetch: api.fetch, retries: 0 });
  const seen: TaskContext[] = [];
  const warnings: string[] = [];
  const logger: WorkerLogger = { debug: () => undefined, info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(`ERROR ${m}`) };
  const worker = new Worker({
    client,
    sqs,
    queueUrl: 'http://sqs.test/q',
    workerId: 'w-1',
    waitTimeSeconds: 0,
    logger,
    handler: async (ctx) => {
      seen.push(ctx);
      return { resized: ctx.item };
    },
    ...options,
  });
  return { worker, commands, requests: api.requests, seen, warnings };
}

describe('the Worker and children of a map', () => {
  it("runs a child for tasks: ['resize'], with the claim's map, index and item, and completes it", async () => {
    const ended: Scripted = { status: 200, body: { processId: 'p-1', task: 'resize[41]', status: 'COMPLETED' } };
    const { worker, commands, requests, seen, warnings } = scriptedWorker([child(41)], [claimOf(41), ended], { tasks: ['resize'] });
    expect(await worker.runOnce()).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ task: 'resize[41]', map: 'resize', index: 41, item: { key: 'file-41.png' }, input: { upstream: { 'list-files': { files: ['a.png', 'b.png'] } } } });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST http://api.test/tasks/claim',
      // A result with no other to share its call goes alone, through the single route.
      'POST http://api.test/processes/p-1/tasks/resize%5B41%5D/complete',
    ]);
    expect(JSON.parse(requests[0]!.body!)).toEqual({ workerId: 'w-1', tasks: [{ processId: 'p-1', task: 'resize[41]' }] });
    expect(JSON.parse(requests[1]!.body!)).toEqual({ leaseToken: 'lease-41', output: { resized: { key: 'file-41.png' } } });
    expect(commands.filter((c) => c.name === DeleteMessageCommand.name)).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('matches a child whose message has no map field by its name', async () => {
    const ended: Scripted = { status: 200, body: { processId: 'p-1', task: 'resize[2]', status: 'COMPLETED' } };
    const { worker, seen } = scriptedWorker([child(2, false)], [claimOf(2), ended], { tasks: ['resize'] });
    expect(await worker.runOnce()).toBe(1);
    expect(seen.map((c) => [c.task, c.index])).toEqual([['resize[2]', 2]]);
  });

  it("passes on the children of a map it does not run, warning once per map with the map's name in the fix", async () => {
    const { worker, commands, requests, seen, warnings } = scriptedWorker([child(1), child(2), child(3, false)], [{ status: 500 }], { tasks: ['report'] });
    expect(await worker.runOnce()).toBe(0);
    expect([seen, requests]).toEqual([[], []]);
    expect(commands.filter((c) => c.name === SendMessageCommand.name).map((c) => JSON.parse(c.input.MessageBody as string).task)).toEqual(['resize[1]', 'resize[2]', 'resize[3]']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("task 'resize[1]' (a child of map 'resize') arrived on a queue this worker reads, but the worker runs only 'report'");
    expect(warnings[0]).toContain("Fix: give 'resize' its own queue");
  });

  it("deletes the children of a map listed in manualTasks without claiming them", async () => {
    const { worker, commands, requests, seen } = scriptedWorker([child(1), child(2, false)], [{ status: 500 }], { manualTasks: ['resize'] });
    expect(await worker.runOnce()).toBe(0);
    expect([seen, requests]).toEqual([[], []]);
    expect(commands.filter((c) => c.name === DeleteMessageCommand.name)).toHaveLength(2);
  });

  it("refuses a child's own name in tasks or manualTasks", () => {
    expect(() => scriptedWorker([], [], { tasks: ['resize[3]'] })).toThrow("tasks: 'resize[3]' names one child of map 'resize'");
    expect(() => scriptedWorker([], [], { manualTasks: ['resize[0]'] })).toThrow("manualTasks: 'resize[0]' names one child of map 'resize'");
  });
});

describe("the test engine's workers and children of a map", () => {
  /** A process whose own task waits on another queue, and a child's message on the default queue. */
  async function withChildMessage() {
    const engine = createTestEngine({ queues: { default: {}, side: {} } });
    await engine.client.putDefinition('images', { tasks: [{ name: 'list-files', queue: 'side' }] });
    const { id } = (await engine.client.startProcess({ definition: 'images' })).process;
    await engine.deps.queue.send({ messages: [{ queue: 'default', body: { ...child(3), processId: id } }] });
    return engine;
  }

  it("hands a child's message to a worker of its map's name, and leaves it to others", async () => {
    const engine = await withChildMessage();
    engine.worker({ tasks: ['report'], handler: async () => null });
    expect((await engine.runUntilIdle()).ran).toEqual([]);
    expect(engine.queue.depth('default')).toBe(1);
    // The server has no such child yet (maps run on the server later): the claim is refused, so the
    // worker that took the message deletes it, as the Worker does, and its handler never runs.
    engine.worker({ tasks: ['resize'], handler: async () => null });
    expect((await engine.runUntilIdle()).ran).toEqual([]);
    expect(engine.queue.depth('default')).toBe(0);
  });

  it("refuses a child's own name in a test worker's tasks", () => {
    const engine = createTestEngine();
    expect(() => engine.worker({ tasks: ['resize[3]'], handler: async () => null })).toThrow("tasks: 'resize[3]' names one child of map 'resize'");
  });
});

describe("a child's name in the API's URLs", () => {
  it('is percent-encoded by the client on every task route', async () => {
    const api = fakeFetch([{ status: 500 }]);
    const client = new TributaryClient({ baseUrl: 'http://api.test', fetch: api.fetch, retries: 0 });
    const calls = [
      client.claim('p-1', 'resize[41]', 'w'),
      client.heartbeat('p-1', 'resize[41]', 't'),
      client.complete('p-1', 'resize[41]', { leaseToken: 't', output: 1 }),
      client.fail('p-1', 'resize[41]', { leaseToken: 't', error: { message: 'm' } }),
      client.release('p-1', 'resize[41]', { leaseToken: 't' }),
      client.getTask('p-1', 'resize[41]'),
    ];
    // Every call is refused (500): what is checked is where each went (in whatever order they were sent).
    await Promise.allSettled(calls);
    expect(api.requests.map((r) => new URL(r.url).pathname).sort()).toEqual(
      ['', '/claim', '/complete', '/fail', '/heartbeat', '/release'].map((a) => `/processes/p-1/tasks/resize%5B41%5D${a}`),
    );
  });

  it("is decoded by the local server's route matcher", () => {
    const match = matchRoute(compileRoutes(routes), 'POST', '/processes/p-1/tasks/resize%5B41%5D/claim');
    expect(match).toMatchObject({ kind: 'matched', route: { routeKey: 'POST /processes/{id}/tasks/{task}/claim' }, pathParameters: { id: 'p-1', task: 'resize[41]' } });
  });

  it('reaches the handlers decoded, end to end through the in-process routes', async () => {
    const engine = createTestEngine();
    await engine.client.putDefinition('images', { tasks: [{ name: 'list-files' }] });
    const { id } = (await engine.client.startProcess({ definition: 'images' })).process;
    // No child exists on the server yet; the answer names the task the handler was given.
    await expect(engine.client.claim(id, 'resize[41]', 'w')).rejects.toMatchObject({ status: 404, code: 'TaskNotFound', message: expect.stringContaining("no task 'resize[41]'") });
    await expect(engine.client.getTask(id, 'resize[41]')).rejects.toMatchObject({ status: 404, code: 'TaskNotFound', message: expect.stringContaining("'resize[41]'") });
  });
});
