import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { checkTaskNames, coversTask, mapChildOf } from './map-child.ts';
import type { BatchItemResult } from './batch-results.ts';
import type { TributaryApiError } from './errors.ts';
import { messageAfterRefusedClaim } from './message-policy.ts';
import { ResultBatcher, type BatcherTimers } from './result-batcher.ts';
import { TaskMessageSchema, type Claim, type TaskMessage } from './schemas.ts';
import type { TributaryClient } from './tributary-client.ts';
import { runClaimedTask } from './run-claimed-task.ts';
import { errorFields, jsonLogger, type WorkerLogger } from './worker-logger.ts';
import type { Workflow } from './workflow.ts';
import { checkWorkflowsRegistered, routeWorkflows } from './workflow-routing.ts';

/** What a handler gets for one claimed task. */
export interface TaskContext {
  readonly processId: string;
  readonly task: string;
  /** The claim's attempt: 1, then +1 for each retry (a failed attempt, an expired lease or an attempt timeout). */
  readonly attempt: number;
  readonly definition: string;
  readonly version: number;
  /** The process input and the output of each task this one needs, by name. */
  readonly input: Claim['input'];
  /** Aborts with a LeaseLostError when this worker loses the lease; the result is then dropped. */
  readonly signal: AbortSignal;
  /**
   * A child of a map (`task` is `<map>[<index>]`, e.g. `resize[41]`): the map
   * task's name, from the claim. `input.upstream` is then the map task's upstream.
   */
  readonly map?: string;
  /** A child of a map: its zero-based index in the map's items, from the claim. */
  readonly index?: number;
  /** A child of a map: its item, from the claim. */
  readonly item?: unknown;
}

/** Does one task's work and returns its output (anything JSON-able). Throwing fails the task. */
export type TaskHandler = (task: TaskContext) => Promise<unknown>;

export interface WorkerOptions {
  readonly client: TributaryClient;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Unique per Worker instance: the server hands the same worker id its own live lease back. */
  readonly workerId: string;
  /** Runs every task this worker takes. Required unless `workflows` is given. */
  readonly handler?: TaskHandler;
  /**
   * Code-first workflows: the handlers come from them, the input is parsed
   * with each one's zod schema, and their manual tasks are added to
   * `manualTasks`. `start()` fails when the registered definition has a task
   * the workflow has no handler for. Not together with `handler`.
   */
  readonly workflows?: readonly Workflow[];
  /** Tasks run at once. @default 4 */
  readonly concurrency?: number;
  /** Long-poll wait, 0..20. @default 20 */
  readonly waitTimeSeconds?: number;
  /** @default a third of the lease length, from the claim's `leaseExpiresAt` */
  readonly heartbeatEveryMs?: number;
  /**
   * The lease each claim asks for, 1..43200 seconds; heartbeats extend it by as much. A short lease lets the
   * sweeper retry the task of a dead worker sooner, at the cost of more heartbeats. @default each task's `timeoutSeconds`
   */
  readonly leaseSeconds?: number;
  /**
   * Only these task names. Route each worker pool to a queue of its own (the
   * task's `queue:` in the definition) so that it never sees other tasks. A
   * message for another task that still arrives is passed on, not burnt: it
   * is sent again as a fresh copy (receive count 0, delayed 1 s; after ten
   * passes the delay doubles up to 15 min) and the original is deleted, so it never reaches the
   * dead-letter queue; a warning names the fix once per task.
   *
   * A map's name stands for its children: `tasks: ['resize']` runs
   * `resize[0]`, `resize[1]`, … (matched by their message's `map` field).
   * A child's own name (`resize[3]`) is not a thing to list: a worker runs
   * every child of a map or none, and the constructor refuses it. @default every task
   */
  readonly tasks?: readonly string[];
  /**
   * Tasks no worker runs: people or other systems complete them through the API.
   * Their messages are deleted on sight; released instead, they would cycle
   * through the queue into its dead-letter queue. A map's name covers its
   * children, as in `tasks`. @default none
   */
  readonly manualTasks?: readonly string[];
  /** @default one JSON line per event on stderr */
  readonly logger?: WorkerLogger;
  /**
   * Longest wait of a task's result for others to share its call
   * (`POST /tasks/complete` or `/tasks/fail`, up to 10 results each). A batch
   * is sent sooner when 10 wait, or when every task this worker runs is
   * waiting for its result. @default 50
   */
  readonly resultFlushMs?: number;
  /** The timers of the result batches, for tests. @default setTimeout and clearTimeout */
  readonly resultTimers?: BatcherTimers;
}

/** Longest pause after a failed receive. */
const MAX_IDLE_PAUSE_MS = 2000;
/** Message attribute that counts how often a message was passed on by workers that do not run its task. */
export const PASS_COUNT_ATTRIBUTE = 'tributary-passes';
/** SQS's longest message delay. */
const MAX_DELAY_SECONDS = 900;
/** Passes at a 1 s delay before the delay starts doubling: with several pools on a queue, the right one usually gets it within a few. */
const QUICK_PASSES = 10;

/** Delay of the copy of a message passed on for the `passes + 1`-th time: 1 s ten times, then 2 s, 4 s, … up to 15 min. */
export function passOnDelaySeconds(passes: number): number {
  return passes < QUICK_PASSES ? 1 : Math.min(MAX_DELAY_SECONDS, 2 ** Math.min(passes - QUICK_PASSES + 1, 10));
}

/**
 * Runs tasks from one SQS queue: receive → claim → run the handler while
 * heartbeating → complete or fail. What one receive brought is claimed in one
 * call (`POST /tasks/claim`); handlers run concurrently, up to `concurrency`;
 * heartbeats stay per task; results are sent in batches (`POST /tasks/complete`
 * and `/tasks/fail`, up to 10 each, after at most `resultFlushMs`), so a task
 * costs a fraction of an API call at each end. The message is a hint and the claim is the
 * authority, so the message is deleted as soon as the claim succeeds (if this
 * process then dies, the lease expires and the server's sweeper sends a new
 * one) or as soon as the claim says the task is not this worker's to run.
 *
 * @example
 * const worker = new Worker({
 *   client, sqs: new SQSClient({}), queueUrl, workerId: `loan-${process.pid}`,
 *   handler: async ({ task, input }) => ({ ok: true, task, seen: Object.keys(input.upstream) }),
 * });
 * process.once('SIGINT', () => void worker.stop());
 * await worker.start(); // resolves after stop(), once in-flight tasks have ended
 */
export class Worker {
  private readonly options: WorkerOptions & { readonly handler: TaskHandler };
  private readonly log: WorkerLogger;
  private readonly concurrency: number;
  /** Tasks this worker is claiming or running, by process and task, with the attempt: to drop duplicate messages. */
  private readonly running = new Map<string, { attempt: number }>();
  private readonly inFlight = new Set<Promise<boolean>>();
  private stopController = new AbortController();
  private loop: Promise<void> | undefined;
  /** Foreign tasks already warned about: one warning per task name. */
  private readonly warnedForeign = new Set<string>();
  /** Sends the results of the tasks in batches. */
  private readonly results: ResultBatcher;

  constructor(options: WorkerOptions) {
    const { concurrency = 4, waitTimeSeconds = 20, heartbeatEveryMs, tasks } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > 20) {
      throw new RangeError(`waitTimeSeconds must be an integer from 0 to 20, got ${waitTimeSeconds}`);
    }
    if (heartbeatEveryMs !== undefined && !(heartbeatEveryMs > 0)) throw new RangeError(`heartbeatEveryMs must be positive, got ${heartbeatEveryMs}`);
    const { leaseSeconds } = options;
    if (leaseSeconds !== undefined && !(Number.isInteger(leaseSeconds) && leaseSeconds >= 1 && leaseSeconds <= 43_200)) {
      throw new RangeError(`leaseSeconds must be an integer from 1 to 43200, got ${leaseSeconds}`);
    }
    if (tasks !== undefined && tasks.length === 0) throw new RangeError('tasks, when given, must name at least one task');
    checkTaskNames('tasks', tasks);
    checkTaskNames('manualTasks', options.manualTasks);
    if (options.workerId === '') throw new RangeError('workerId must not be empty');
    if ((options.handler === undefined) === (options.workflows === undefined)) throw new TypeError('give the Worker either a handler or workflows');
    const routing = options.workflows && routeWorkflows(options.workflows);
    this.options = routing
      ? { ...options, handler: routing.handler, tasks: tasks ?? routing.tasks, manualTasks: [...(options.manualTasks ?? []), ...routing.manualTasks] }
      : { ...options, handler: options.handler as TaskHandler };
    this.concurrency = concurrency;
    this.log = options.logger ?? jsonLogger;
    this.results = new ResultBatcher({
      client: options.client,
      ...(options.resultFlushMs === undefined ? {} : { flushDelayMs: options.resultFlushMs }),
      ...(options.resultTimers === undefined ? {} : { timers: options.resultTimers }),
      // Every running task waits for its result: nothing else can join the batch, so waiting longer only adds latency.
      flushNow: (waiting) => waiting >= this.inFlight.size,
    });
  }

  /** Receives and runs tasks until {@link stop}; resolves once stopped and every in-flight task has ended. */
  start(): Promise<void> {
    if (this.loop) throw new Error('the worker is already running');
    this.stopController = new AbortController();
    this.loop = this.run().finally(() => {
      this.loop = undefined;
    });
    return this.loop;
  }

  /**
   * Stops receiving, releases the tasks it holds (each goes back to SCHEDULED at
   * the same attempt, for another worker to take at once, and its handler's
   * `signal` aborts), waits for in-flight handlers to end, then resolves. Call it
   * on SIGTERM and SIGINT. An open
   * long poll is let run out (up to `waitTimeSeconds`) rather than cut: SQS
   * may already have handed a cut poll's messages to the dropped connection,
   * hiding them for the visibility timeout. What it returns is made visible again at once.
   */
  async stop(): Promise<void> {
    this.stopController.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.results.close();
  }

  /**
   * One receive round (long-polling up to `waitTimeSeconds`) for as many
   * messages as there are free slots; waits for the tasks it started.
   * Returns how many tasks it claimed and ran. For tests and scheduled jobs;
   * not while {@link start} runs.
   */
  async runOnce(): Promise<number> {
    if (this.loop) throw new Error('runOnce() cannot run while the worker is started');
    const started = await this.receiveRound(this.concurrency - this.inFlight.size, new AbortController().signal);
    const ran = await Promise.all(started);
    return ran.filter(Boolean).length;
  }

  private async run(): Promise<void> {
    if (this.options.workflows) await checkWorkflowsRegistered(this.options.client, this.options.workflows);
    const stop = this.stopController.signal;
    let failures = 0;
    while (!stop.aborted) {
      if (this.inFlight.size >= this.concurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      try {
        // The started tasks are tracked in inFlight: receiving goes on while they run.
        void (await this.receiveRound(this.concurrency - this.inFlight.size, stop));
        failures = 0;
      } catch (error) {
        if (stop.aborted) break;
        failures++;
        this.log.error('receive failed; backing off', { queueUrl: this.options.queueUrl, ...errorFields(error) });
        await pause(Math.min(MAX_IDLE_PAUSE_MS * 5, 250 * 2 ** failures), stop);
      }
    }
    await Promise.allSettled([...this.inFlight]);
  }

  /** Receives up to `free` messages and starts a task for each that is this worker's; returns those tasks. */
  private async receiveRound(free: number, stop: AbortSignal): Promise<Promise<boolean>[]> {
    if (free <= 0) return [];
    const { waitTimeSeconds = 20, tasks } = this.options;
    // What is there now, up to the free slots; only when nothing is, a long poll for the next message.
    // A long poll for one message returns as soon as one arrives everywhere, whereas the SQS
    // emulator holds a long poll for several until it has them all.
    let messages = await this.receive(Math.min(10, free), 0);
    if (messages.length === 0 && waitTimeSeconds > 0 && !stop.aborted) messages = await this.receive(1, waitTimeSeconds);
    if (stop.aborted) {
      if (messages.length > 0) await this.release(messages);
      return [];
    }
    const toClaim: { message: Message; body: TaskMessage }[] = [];
    for (const message of messages) {
      const body = parseBody(message.Body);
      if (!body) {
        this.log.warn('malformed task message; deleting it', { messageId: message.MessageId, body: message.Body?.slice(0, 200) });
        await this.delete(message);
      } else if (this.options.manualTasks && coversTask(this.options.manualTasks, body)) {
        this.log.debug('message for a manual task; deleting it', { processId: body.processId, task: body.task });
        await this.delete(message);
      } else if (tasks && !coversTask(tasks, body)) {
        await this.passOn(message, body);
      } else {
        toClaim.push({ message, body });
      }
    }
    return this.claimAndRun(toClaim);
  }

  /**
   * Claims the tasks of one receive in one call (`POST /tasks/claim`), then
   * starts a run for each claim it got; returns those runs. A message for a
   * task this worker already runs, or named twice in the receive, is deleted
   * unclaimed: claiming again would return the same lease and run it twice.
   */
  private async claimAndRun(received: readonly { message: Message; body: TaskMessage }[]): Promise<Promise<boolean>[]> {
    const toClaim: { message: Message; body: TaskMessage; key: string; entry: { attempt: number } }[] = [];
    for (const { message, body } of received) {
      const key = `${body.processId}\u0000${body.task}`;
      const current = this.running.get(key);
      if (current && current.attempt >= body.attempt) {
        this.log.debug('duplicate message for a task this worker is running; deleting it', fieldsOf(message, body));
        await this.delete(message);
        continue;
      }
      const entry = { attempt: body.attempt };
      this.running.set(key, entry);
      toClaim.push({ message, body, key, entry });
    }
    if (toClaim.length === 0) return [];
    let results: BatchItemResult<Claim>[];
    try {
      results = await this.options.client.claimTasks(
        this.options.workerId,
        toClaim.map(({ body }) => ({ processId: body.processId, task: body.task })),
        this.options.leaseSeconds === undefined ? {} : { leaseSeconds: this.options.leaseSeconds },
      );
    } catch (error) {
      // The call itself failed (after the client's retries): every claim was refused alike.
      results = toClaim.map(() => ({ ok: false, error: error as TributaryApiError }));
    }
    const started: Promise<boolean>[] = [];
    for (const [i, { message, body, key, entry }] of toClaim.entries()) {
      const result = results[i]!;
      if (result.ok) {
        entry.attempt = result.value.attempt;
        started.push(this.track(this.runTask(message, body, result.value, key, entry)));
      } else {
        await this.onRefusedClaim(message, body, result.error);
        if (this.running.get(key) === entry) this.running.delete(key);
      }
    }
    return started;
  }

  /** What a refused claim means for its message: come back when due, delete, or leave it to reappear. */
  private async onRefusedClaim(message: Message, body: TaskMessage, error: unknown): Promise<void> {
    const fields = fieldsOf(message, body);
    const next = messageAfterRefusedClaim(error, Date.now());
    if (next.action === 'postpone') {
      // A retry waiting for its backoff: the message comes back when it is due.
      this.log.debug('task not due yet; the message comes back then', { ...fields, inSeconds: next.seconds });
      await this.postpone(message, next.seconds);
    } else if (next.action === 'delete') {
      this.log.debug('task is not ours to run; deleting the message', { ...fields, ...errorFields(error) });
      await this.delete(message);
    } else {
      this.log.warn('claim failed; the message will reappear after its visibility timeout', { ...fields, ...errorFields(error) });
    }
  }

  private async receive(max: number, waitTimeSeconds: number): Promise<Message[]> {
    const out = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitTimeSeconds,
        // AttributeNames is what the emulator reads (for ApproximateReceiveCount); SQS reads either.
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: [PASS_COUNT_ATTRIBUTE],
      }),
    );
    return out.Messages ?? [];
  }

  private track(task: Promise<boolean>): Promise<boolean> {
    this.inFlight.add(task);
    void task.finally(() => {
      this.inFlight.delete(task);
      // One fewer task may leave every other one waiting for its result.
      this.results.poke();
    });
    return task;
  }

  /** Runs one claimed task and sends its result (batched). Resolves to true; never rejects. */
  private async runTask(message: Message, body: TaskMessage, claim: Claim, key: string, entry: { attempt: number }): Promise<boolean> {
    try {
      await this.delete(message);
      // On stop(), the claim is released rather than left to wait out its lease.
      await runClaimedTask({ ...this.options, logger: this.log, stopping: this.stopController.signal, results: this.results }, body, claim);
      return true;
    } catch (error) {
      this.log.error('task run failed unexpectedly', { ...fieldsOf(message, body), ...errorFields(error) });
      return false;
    } finally {
      if (this.running.get(key) === entry) this.running.delete(key);
    }
  }

  private async delete(message: Message): Promise<void> {
    try {
      await this.options.sqs.send(new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: message.ReceiptHandle }));
    } catch (error) {
      // Harmless: the message comes back, and its claim then says the task is taken or over.
      this.log.warn('could not delete a message', { messageId: message.MessageId, ...errorFields(error) });
    }
  }

  /**
   * Hands a message for a task this worker does not run to the other workers
   * on the queue. Making it visible again would cost a receive each time this
   * worker polls, and after `maxReceiveCount` receives SQS would move it to
   * the dead-letter queue; a fresh copy starts from a receive count of 0.
   * After ten quick passes the copy's delay doubles, so a task that no worker
   * runs ends up costing a few requests per quarter hour, not per second.
   */
  private async passOn(message: Message, body: TaskMessage): Promise<void> {
    const passes = Number(message.MessageAttributes?.[PASS_COUNT_ATTRIBUTE]?.StringValue ?? 0) || 0;
    // Children of a map are named after it: one warning per map, not one per child.
    const map = mapChildOf(body)?.map;
    const name = map ?? body.task;
    if (!this.warnedForeign.has(name)) {
      this.warnedForeign.add(name);
      this.log.warn(
        `task '${body.task}'${map === undefined ? '' : ` (a child of map '${map}')`} arrived on a queue this worker reads, but the worker runs only ${this.options.tasks!.map((t) => `'${t}'`).join(', ')}; ` +
          `the message is passed on to other workers. Fix: give '${name}' its own queue (queue: in the definition, a queue in tributary.config.json) ` +
          `and run its worker on that queue, or add it to this worker's tasks (or manualTasks if people complete it)`,
        { processId: body.processId, task: body.task, ...(map === undefined ? {} : { map }), queueUrl: this.options.queueUrl },
      );
    }
    try {
      await this.options.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.options.queueUrl,
          MessageBody: message.Body!,
          DelaySeconds: passOnDelaySeconds(passes),
          MessageAttributes: { [PASS_COUNT_ATTRIBUTE]: { DataType: 'Number', StringValue: String(passes + 1) } },
        }),
      );
    } catch (error) {
      // Keep the original: it reappears after its visibility timeout, which is slow but loses nothing.
      this.log.warn('could not pass a message on; it reappears after its visibility timeout', { task: body.task, ...errorFields(error) });
      return;
    }
    await this.delete(message);
  }

  private async postpone(message: Message, seconds: number): Promise<void> {
    try {
      await this.options.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: seconds }));
    } catch (error) {
      this.log.warn('could not postpone a message; it reappears after its visibility timeout', { messageId: message.MessageId, ...errorFields(error) });
    }
  }

  private async release(messages: readonly Message[]): Promise<void> {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    } catch (error) {
      this.log.warn('could not release messages; they reappear after the visibility timeout', errorFields(error));
    }
  }
}

function fieldsOf(message: Message, body: TaskMessage): Record<string, unknown> {
  return { processId: body.processId, task: body.task, attempt: body.attempt, receiveCount: message.Attributes?.ApproximateReceiveCount };
}

function parseBody(raw: string | undefined): TaskMessage | undefined {
  try {
    const parsed = TaskMessageSchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Sleeps, but wakes early when `stop` fires. */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}
