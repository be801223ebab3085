import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { TributaryClient } from '../client/tributary-client.ts';
import type { ClientFetch } from '../client/client-fetch.ts';
import { runClaimedTask } from '../client/run-claimed-task.ts';
import { checkTaskNames, coversTask } from '../client/map-child.ts';
import { messageAfterRefusedClaim } from '../client/message-policy.ts';
import { silentLogger, type WorkerLogger } from '../client/worker-logger.ts';
import type { TaskHandler } from '../client/worker.ts';
import type { Workflow } from '../client/workflow.ts';
import { routeWorkflows } from '../client/workflow-routing.ts';
import { routes, type RouteGroup } from '#config/routes.ts';
import { createMemoryDeps } from '#app/create-deps.ts';
import type { AppDeps, Settings } from '#app/deps.ts';
import { withDeps } from '#app/runtime-deps.ts';
import { sweep, type SweepStats } from '#app/sweep.ts';
import { runScheduler, type SchedulerStats } from '#app/run-scheduler.ts';
import type { MemoryItemTable } from '#adapters/memory/memory-item-table.ts';
import { keys } from '#adapters/stores/keys.ts';

import { taskUpdate } from '#adapters/stores/row-writes.ts';
import type { MemoryQueueSettings, MemoryTaskQueue } from '#adapters/memory/memory-task-queue.ts';
import { buildHttpApiEvent } from '../local/http-api-event.ts';
import { createLambdaContext } from '../local/lambda-context.ts';
import { compileRoutes, matchRoute } from '../local/route-matcher.ts';
import { handler as controlRoutes } from '../functions/api/control-routes.ts';
import { handler as health } from '../functions/api/health.ts';
import { handler as readRoutes } from '../functions/api/read-routes.ts';
import { handler as workerRoutes } from '../functions/api/worker-routes.ts';
import { isRunningTask } from '#domain/status-predicates.ts';
import { readInProcessRequest } from './in-process-request.ts';
import { inProcessResponse } from './in-process-response.ts';

export interface TestEngineOptions {
  /** The queues, as `tributary.config.json` would name them. @default { default: {} } */
  readonly queues?: Readonly<Record<string, MemoryQueueSettings>>;
  /** Where the virtual clock starts. @default 2026-01-01T00:00:00Z */
  readonly startAt?: Date;
  /** Engine settings (grace periods, retention, …) to override. */
  readonly settings?: Partial<Settings>;
  /** Where workers log. @default silent */
  readonly logger?: WorkerLogger;
  /** Retry jitter, in [0, 1). @default a seeded sequence, so runs are reproducible */
  readonly random?: () => number;
  /** Run the schedules' scheduler in every round of {@link TestEngine.runUntilIdle} (and so of `advance`). @default false */
  readonly scheduler?: boolean;
  /**
   * Called after each function invocation (an API route's handler, or a sweeper run) with the CPU it used, user plus
   * system: what `npm run bench:engine` prices as Lambda compute. Only measured when given. @default none
   */
  readonly onInvocation?: (invocation: { readonly fn: string; readonly cpuMicros: number }) => void;
}

export interface TestWorkerOptions {
  /** @default 'default' */
  readonly queue?: string;
  /**
   * Only these tasks; other messages stay on the queue for other workers. A map's name stands for its
   * children (`['resize']` runs `resize[0]`, `resize[1]`, …), as with the `Worker`; a child's own name is refused.
   * @default every task (or, with `workflows`, theirs)
   */
  readonly tasks?: readonly string[];
  /** The handler of every task it runs; or give `workflows` instead. */
  readonly handler?: TaskHandler;
  /** Code-first workflows: their tasks' handlers, with the input parsed by each workflow's schema, as the real `Worker` runs them. */
  readonly workflows?: readonly Workflow[];
  /** @default 'test-worker-<n>' */
  readonly workerId?: string;
  /** The lease each claim asks for, as the `Worker`'s option. @default each task's `timeoutSeconds` */
  readonly leaseSeconds?: number;
}

/** What one {@link TestEngine.runUntilIdle} did. */
export interface IdleReport {
  /** Tasks whose handler ran, in order, with how each run ended. */
  readonly ran: readonly { processId: string; task: string; attempt: number; outcome: string }[];
  /** What the sweeper did, summed over the rounds. */
  readonly swept: Omit<SweepStats, 'examined' | 'lagMs' | 'passed'>;
}

/** Thrown by the store when a crash was injected: the call dies after its write took effect. */
export class InjectedCrashError extends Error {
  constructor(call: number) {
    super(`injected crash after store call ${call}`);
    this.name = 'InjectedCrashError';
  }
}

const BASE_URL = 'http://tributary.test';
/** Rounds of delivery and sweeping before runUntilIdle gives up: a workflow that never goes idle is a bug. */
const MAX_ROUNDS = 10_000;

/**
 * An in-process Tributary for tests: the real HTTP handlers and use cases, on
 * the in-memory adapters, with a virtual clock. No Java, no ports, no network;
 * a run takes milliseconds.
 *
 * @example
 * const engine = createTestEngine();
 * await engine.client.putDefinition('loan', yaml);
 * const { id } = await engine.client.startProcess({ definition: 'loan', input: { amount: 10 } });
 * engine.worker({ handler: async ({ task }) => ({ done: task }) });
 * await engine.runUntilIdle();
 * const { progress } = await engine.client.getProcess(id);
 * expect(progress.completed).toBe(progress.total); // every task completed
 */
export interface TestEngine {
  /** The TypeScript client, talking to the real handlers in-process. */
  readonly client: TributaryClient;
  /** The use cases' deps, for tests that look underneath the API. */
  readonly deps: AppDeps;
  /** The in-memory queues: inspect depth and dead letters, or inject message faults. */
  readonly queue: MemoryTaskQueue;
  /** The in-memory table, for tests that look at items. */
  readonly table: MemoryItemTable;
  /** Virtual time, epoch ms. */
  now(): number;
  /** Registers a worker: {@link runUntilIdle} hands it the messages of its queue (and tasks). */
  worker(options: TestWorkerOptions): void;
  /** Delivers messages to the workers and runs the sweeper's due work, until nothing more can happen at the current time. */
  runUntilIdle(): Promise<IdleReport>;
  /** Moves the virtual clock forward, then runs until idle: whatever falls due in that time happens. */
  advance(ms: number): Promise<IdleReport>;
  /** One scheduler run at the current virtual time (what the deployed function does each minute): fires what is due. */
  fireSchedules(): Promise<SchedulerStats>;
  /** Fault injection. */
  readonly faults: {
    /** The next `count` task messages sent are delivered twice. */
    duplicateMessages(count?: number): void;
    /** The next `count` task messages sent are lost (the sweeper must resend them). */
    dropMessages(count?: number): void;
    /** The API call in progress dies right after its `n`-th store call from now took effect (once). */
    crashAfterStoreCalls(n: number): void;
    /**
     * The lease of a RUNNING task runs out now, as if its worker stopped heartbeating (a lease the clock already
     * ended, not yet swept, stays ended and is swept now). Throws when the task holds no lease: nothing would change.
     */
    expireLease(processId: string, task: string): Promise<void>;
  };
}

export function createTestEngine(options: TestEngineOptions = {}): TestEngine {
  let time = (options.startAt ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const now = (): number => time;
  const crash = { after: Number.POSITIVE_INFINITY, calls: 0 };
  const deps = createMemoryDeps({
    now,
    ...(options.queues ? { queues: options.queues } : {}),
    settings: options.settings ?? {},
    ...(options.random ? { random: options.random } : {}),
    hooks: {
      after: () => {
        crash.calls += 1;
        if (crash.calls >= crash.after) {
          crash.after = Number.POSITIVE_INFINITY;
          throw new InjectedCrashError(crash.calls);
        }
      },
    },
  });
  const quietDeps: AppDeps = { ...deps, log: { warn: () => undefined, error: () => undefined } };
  const logger = options.logger ?? silentLogger;
  // No client-side retries: a test sees each answer as the handler gave it.
  const client = new TributaryClient({ baseUrl: BASE_URL, fetch: inProcessFetch(quietDeps, now, options.onInvocation), retries: 0 });
  const workers: (TestWorkerOptions & { workerId: string; handler: TaskHandler })[] = [];

  const deliver = async (ran: IdleReport['ran'][number][]): Promise<number> => {
    let delivered = 0;
    for (const w of workers) {
      const messages = deps.queue.receive(w.queue ?? 'default', 10, (m) => !w.tasks || coversTask(w.tasks, m));
      for (const m of messages) {
        delivered += 1;
        const claim = await client.claim(m.body.processId, m.body.task, w.workerId, w.leaseSeconds === undefined ? {} : { leaseSeconds: w.leaseSeconds }).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
        if (claim instanceof Error) {
          // The Worker's own policy, on the virtual clock: postponed until a retry is due, deleted when the task is
          // over or someone else's, kept (back after its visibility timeout) on anything else.
          const next = messageAfterRefusedClaim(claim, time);
          if (next.action === 'postpone') deps.queue.changeVisibility(w.queue ?? 'default', m.receiptHandle, next.seconds);
          else if (next.action === 'delete') deps.queue.delete(w.queue ?? 'default', m.receiptHandle);
          continue;
        }
        deps.queue.delete(w.queue ?? 'default', m.receiptHandle);
        const outcome = await runClaimedTask({ client, handler: w.handler, logger }, m.body, claim);
        ran.push({ processId: m.body.processId, task: m.body.task, attempt: claim.attempt, outcome });
      }
    }
    return delivered;
  };

  const runUntilIdle = async (): Promise<IdleReport> => {
    const ran: IdleReport['ran'][number][] = [];
    const swept = { resent: 0, reenqueued: 0, followedUp: 0, processesRepaired: 0, errors: 0 };
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const delivered = await deliver(ran);
      const stats = await metered(options.onInvocation, 'sweeper', () => sweep(quietDeps));
      for (const k of Object.keys(swept) as (keyof typeof swept)[]) swept[k] += stats[k];
      const fired = options.scheduler ? (await runScheduler(quietDeps)).fired : 0;
      // Entries passed by the cursors count too: a page of done entries changes nothing, and the next page may not be.
      const changed = stats.resent + stats.reenqueued + stats.followedUp + stats.processesRepaired + stats.passed + fired;
      if (delivered === 0 && changed === 0) return { ran, swept };
    }
    throw new Error(`the engine did not go idle within ${MAX_ROUNDS} rounds`);
  };

  return {
    client,
    deps,
    queue: deps.queue,
    table: deps.table,
    now,
    worker: (w) => {
      if ((w.handler === undefined) === (w.workflows === undefined)) throw new RangeError('a test worker takes a handler or workflows, not both');
      checkTaskNames('tasks', w.tasks);
      const routing = w.workflows ? routeWorkflows(w.workflows) : undefined;
      const handler = routing?.handler ?? (w.handler as TaskHandler);
      const tasks = w.tasks ?? routing?.tasks;
      workers.push({ ...w, handler, ...(tasks ? { tasks } : {}), workerId: w.workerId ?? `test-worker-${workers.length + 1}` });
    },
    runUntilIdle,
    fireSchedules: () => runScheduler(quietDeps),
    advance: async (ms) => {
      if (!(ms >= 0)) throw new RangeError(`advance takes a non-negative number of ms, got ${ms}`);
      time += ms;
      return runUntilIdle();
    },
    faults: {
      duplicateMessages: (count = 1) => deps.queue.duplicateNext(positiveCount('duplicateMessages', count)),
      dropMessages: (count = 1) => deps.queue.dropNext(positiveCount('dropMessages', count)),
      crashAfterStoreCalls: (n) => {
        // Infinity disarms a crash that has not fired.
        if (n !== Number.POSITIVE_INFINITY) positiveCount('crashAfterStoreCalls', n);
        crash.calls = 0;
        crash.after = n;
      },
      expireLease: async (processId, task) => {
        const item = await deps.tasks.get({ processId, task });
        const which = `task '${task}' of process '${processId}'`;
        if (!item) throw new Error(`faults.expireLease: ${which} has no item (no such process or task, or it was never scheduled): there is no lease to expire`);
        if (!isRunningTask(item.status) || item.leaseToken === undefined) {
          throw new Error(`faults.expireLease: ${which} is ${item.status}${item.leaseToken === undefined ? ' without a lease' : ''}: only a RUNNING task holds a lease to expire`);
        }
        // The worker stopped heartbeating long ago: its lease ends now (or stays ended, if the clock already ended
        // it and no sweep has run yet), and the sweeper looks now. Its own row: the lease holder's, without the
        // clock checks, so a dead lease qualifies too.
        const written = await deps.table.write(
          taskUpdate('forceLeaseExpiry', keys.task({ processId, task }), { leaseExpiresAt: Math.min(item.leaseExpiresAt ?? time, time), sweepAt: time }, { leaseToken: item.leaseToken }),
        );
        if (!written.ok) throw new Error(`faults.expireLease: ${which} moved on while its lease was being expired; nothing was changed`);
      },
    },
  };
}

/** A fault that would change nothing is a mistake in the test: say so. */
function positiveCount(fault: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`faults.${fault} takes a whole number of at least 1, got ${n}: a fault that changes nothing is a mistake in the test`);
  return n;
}

/** A `fetch` that serves the API's routes with the real handlers, on the engine's deps. */
function inProcessFetch(deps: AppDeps, now: () => number, onInvocation: TestEngineOptions['onInvocation']): ClientFetch {
  const compiled = compileRoutes(routes);
  let requests = 0;
  return async (input, init) => {
    const request = await readInProcessRequest(input, init);
    const url = request.url;
    const match = matchRoute(compiled, request.method, url.pathname);
    if (match.kind !== 'matched') {
      const code = match.kind === 'method-not-allowed' ? 405 : match.kind === 'bad-path' ? 400 : 404;
      const error = { code: code === 404 ? 'RouteNotFound' : code === 405 ? 'MethodNotAllowed' : 'ValidationError', message: `${request.method} ${url.pathname}` };
      return inProcessResponse(code, JSON.stringify({ error }), { 'content-type': 'application/json' });
    }
    const requestId = `test-request-${++requests}`;
    const event: APIGatewayProxyEventV2 = buildHttpApiEvent({
      method: request.method,
      url: `${url.pathname}${url.search}`,
      headers: request.headers,
      body: request.body,
      sourceIp: '127.0.0.1',
      protocol: 'HTTP/1.1',
      routeKey: match.route.routeKey,
      pathParameters: match.pathParameters,
      requestId,
      now: new Date(now()),
    });
    const route = match.route.route;
    const handler = GROUP_HANDLERS[route.group];
    const context = createLambdaContext({ functionName: `tributary-${route.group}`, timeoutMs: 29_000, awsRequestId: requestId });
    const result = await metered(onInvocation, `tributary-${route.group}`, () => withDeps(deps, () => handler(event, context)));
    return inProcessResponse(result.statusCode ?? 200, result.body, (result.headers ?? {}) as Record<string, string>);
  };
}

/**
 * Runs one invocation and reports its CPU. The engine runs one invocation at a time (deliveries are awaited in turn),
 * so the process's CPU over the call is the invocation's.
 */
async function metered<T>(onInvocation: TestEngineOptions['onInvocation'], fn: string, run: () => Promise<T>): Promise<T> {
  if (!onInvocation) return run();
  const before = process.cpuUsage();
  try {
    return await run();
  } finally {
    const used = process.cpuUsage(before);
    onInvocation({ fn, cpuMicros: used.user + used.system });
  }
}

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The deployed functions, one per privilege group, each routing over the route table as on Lambda. */
const GROUP_HANDLERS: Readonly<Record<RouteGroup, LambdaHandler>> = {
  health: health as LambdaHandler,
  read: readRoutes,
  control: controlRoutes,
  worker: workerRoutes,
};
