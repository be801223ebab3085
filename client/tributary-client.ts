import type { z } from 'zod';
import { apiErrorFromResponse, isRetryable, TributaryApiError, TributaryNetworkError, TributaryResponseError } from './errors.ts';
import { BatchClaimSchema, BatchEndedSchema, itemResults, type BatchItemResult, type CompleteItem, type FailItem, type TaskRef } from './batch-results.ts';
import { backoffDelay, sleep, type BackoffOptions } from './retry.ts';
import type { ClientFetch } from './client-fetch.ts';
import {
  ClaimSchema,
  ConcurrencyPoolsSchema,
  type ConcurrencyPools,
  DefinitionSchema,
  DefinitionSummarySchema,
  HealthSchema,
  HeartbeatSchema,
  ReleasedSchema,
  RerunManySchema,
  RerunSchema,
  type Released,
  type Rerun,
  type RerunMany,
  HistoryEventSchema,
  pageSchema,
  ProcessSchema,
  ProcessSummarySchema,
  StartedProcessSchema,
  TaskEndedSchema,
  TaskDetailSchema,
  TaskViewSchema,
  type Claim,
  type Definition,
  type DefinitionSummary,
  type Heartbeat,
  type HistoryEvent,
  type Page,
  type Process,
  type ProcessStatus,
  type ProcessSummary,
  type StartedProcess,
  type TaskEnded,
  type TaskError,
  type TaskDetail,
  type TaskView,
  BackfillProgressSchema,
  ScheduleDeletedSchema,
  ScheduleFireSchema,
  ScheduleSchema,
  ScheduleSummarySchema,
  type BackfillProgress,
  type Schedule,
  type ScheduleFire,
  type ScheduleSummary,
} from './schemas.ts';

export interface TributaryClientOptions {
  /** The API's base URL, stage included for deployed APIs, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com`. */
  readonly baseUrl: string;
  /** @default globalThis.fetch. Pass {@link sigv4Fetch} for an IAM-authorized API. Any {@link ClientFetch} will do. */
  readonly fetch?: ClientFetch;
  /** Per attempt. @default 30000, API Gateway's own integration limit */
  readonly timeoutMs?: number;
  /** Extra attempts for calls that are safe to repeat. @default 3 */
  readonly retries?: number;
  /** @default { baseMs: 100, maxMs: 5000 } */
  readonly backoff?: BackoffOptions;
  /** Sent with every request, e.g. `{ authorization: 'Bearer …' }` for a JWT authorizer. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface StartProcessRequest {
  readonly definition: string;
  /** @default the latest version */
  readonly version?: number;
  readonly input?: unknown;
  /**
   * Makes the start safe to repeat: the same key with the same definition,
   * version and input names the same process (200). The key is unique across the
   * whole API; reusing it for another request is refused with 409 IdempotencyKeyReused.
   */
  readonly idempotencyKey?: string;
}

/** A schedule as PUT /schedules/{name} takes it: `cron` (with `timezone`) or `every`. */
export interface ScheduleRequest {
  readonly definition: string;
  /** @default the latest version at each fire */
  readonly version?: number;
  readonly cron?: string;
  readonly every?: string;
  readonly timezone?: string;
  readonly input?: unknown;
  /** @default 'skip' */
  readonly overlap?: 'skip' | 'bufferOne' | 'bufferAll' | 'cancelOther' | 'allowAll';
  /** @default 3600 */
  readonly catchupWindowSeconds?: number;
  /** @default 0 */
  readonly jitterSeconds?: number;
  /** @default false */
  readonly paused?: boolean;
}

/** Which ended processes `rerunMany` reruns, and how. */
export interface RerunManyRequest {
  readonly definition: string;
  /** Default FAILED. */
  readonly status?: 'FAILED' | 'CANCELLED';
  /** Only processes that failed because of this task. */
  readonly failedTask?: string;
  /** ISO date-times: started at or after, and before. */
  readonly startedAfter?: string;
  readonly startedBefore?: string;
  readonly fromTasks?: string[];
  readonly version?: number;
  /** Most processes matched by one call (default 100, at most 1000). */
  readonly limit?: number;
  readonly dryRun?: boolean;
  readonly nextToken?: string;
}

export interface ListOptions {
  /** 1..100. @default 50 (server side) */
  readonly limit?: number;
  readonly nextToken?: string;
}

export interface ListProcessesOptions extends ListOptions {
  readonly status?: ProcessStatus;
  readonly definition?: string;
}

/** A lease length a worker asks for on a claim or a heartbeat. */
export interface LeaseOptions {
  /** 1..43200 seconds. @default the task's `timeoutSeconds` (a heartbeat: the length its claim asked for) */
  readonly leaseSeconds?: number;
}

type Body = { readonly json: unknown } | { readonly yaml: string };

interface Call<S extends z.ZodType> {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: Body;
  readonly schema: S;
  /** Whether repeating the call after a lost answer is harmless; only such calls are retried. */
  readonly idempotent: boolean;
}

const enc = encodeURIComponent;

/**
 * A typed client for the Tributary HTTP API. Responses are validated with zod;
 * errors are {@link TributaryApiError}, {@link TributaryNetworkError} or
 * {@link TributaryResponseError}. Network errors, 5xx and 429 are retried with
 * backoff, but only for calls that are safe to repeat: reads, PUT definition,
 * claim (the same worker gets the same lease back), heartbeat, cancel,
 * complete and fail with a lease token (a repeat after success is a 200), and
 * start with an idempotency key.
 *
 * @example
 * const client = new TributaryClient({ baseUrl: 'http://127.0.0.1:3000' });
 * await client.putDefinition('loan', 'tasks:\n  - name: Review Credit\n');
 * const { process } = await client.startProcess({ definition: 'loan', input: { amount: 1000 } });
 * console.log((await client.getProcess(process.id)).progress);
 */
export class TributaryClient {
  readonly baseUrl: string;
  private readonly fetchFn: ClientFetch;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoff: BackoffOptions;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(options: TributaryClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    // Bound late so that a test's or polyfill's replacement of globalThis.fetch is seen.
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.backoff = options.backoff ?? {};
    this.headers = options.headers ?? {};
  }

  /** GET /health. */
  async health(): Promise<{ status: string }> {
    return (await this.call({ method: 'GET', path: '/health', schema: HealthSchema, idempotent: true })).data;
  }

  /**
   * PUT /definitions/{name}: YAML text (sent as `application/yaml`) or a JSON-able object.
   * `created` is false when the content equals the latest version, including when
   * a retried PUT finds the version its first attempt created.
   *
   * @example
   * const { created, definition } = await client.putDefinition('loan', await readFile('loan.yaml', 'utf8'));
   */
  async putDefinition(name: string, document: string | object): Promise<{ created: boolean; definition: Definition }> {
    const body: Body = typeof document === 'string' ? { yaml: document } : { json: document };
    const { status, data } = await this.call({ method: 'PUT', path: `/definitions/${enc(name)}`, body, schema: DefinitionSchema, idempotent: true });
    return { created: status === 201, definition: data };
  }

  /**
   * Registers a code-first workflow: PUT /definitions/{workflow.name} with its
   * document, built (and checked) by `toDefinition()`.
   *
   * @example
   * const { created, definition } = await client.apply(onboarding);
   */
  async apply(workflow: { readonly name: string; toDefinition(): object }): Promise<{ created: boolean; definition: Definition }> {
    return this.putDefinition(workflow.name, workflow.toDefinition());
  }

  /** GET /definitions/{name}, or /definitions/{name}/versions/{version}. */
  async getDefinition(name: string, version?: number): Promise<Definition> {
    const path = version === undefined ? `/definitions/${enc(name)}` : `/definitions/${enc(name)}/versions/${version}`;
    return (await this.call({ method: 'GET', path, schema: DefinitionSchema, idempotent: true })).data;
  }

  /** GET /definitions: one page, by name. */
  async listDefinitions(options: ListOptions = {}): Promise<Page<DefinitionSummary>> {
    const query = { limit: options.limit, nextToken: options.nextToken };
    return (await this.call({ method: 'GET', path: '/definitions', query, schema: pageSchema(DefinitionSummarySchema), idempotent: true })).data;
  }

  /**
   * POST /processes. Retried on transient errors only with an `idempotencyKey`;
   * `created` is false when the key named an existing process.
   *
   * @example
   * const { process } = await client.startProcess({ definition: 'loan', input: { applicant: 'Ada' }, idempotencyKey: 'application-42' });
   */
  async startProcess(request: StartProcessRequest): Promise<{ created: boolean; process: StartedProcess }> {
    const { status, data } = await this.call({
      method: 'POST',
      path: '/processes',
      body: { json: request },
      schema: StartedProcessSchema,
      idempotent: request.idempotencyKey !== undefined,
    });
    return { created: status === 201, process: data };
  }

  /** GET /processes/{id}: status, progress and every task. */
  async getProcess(id: string): Promise<Process> {
    return (await this.call({ method: 'GET', path: `/processes/${enc(id)}`, schema: ProcessSchema, idempotent: true })).data;
  }

  /** GET /processes: one page, newest first, optionally by status or definition. */
  async listProcesses(options: ListProcessesOptions = {}): Promise<Page<ProcessSummary>> {
    const { status, definition, limit, nextToken } = options;
    const query = { status, definition, limit, nextToken };
    return (await this.call({ method: 'GET', path: '/processes', query, schema: pageSchema(ProcessSummarySchema), idempotent: true })).data;
  }

  /** GET /concurrency: one page of a task's concurrency pools (one per key) and the tasks holding their slots. */
  async listConcurrencyPools(options: { definition: string; task?: string; limit?: number; nextToken?: string }): Promise<ConcurrencyPools> {
    const { definition, task, limit, nextToken } = options;
    return (await this.call({ method: 'GET', path: '/concurrency', query: { definition, task, limit, nextToken }, schema: ConcurrencyPoolsSchema, idempotent: true })).data;
  }

  /** GET /processes/{id}/tasks/active, every page: the tasks that are SCHEDULED or RUNNING. */
  async activeTasks(id: string): Promise<TaskView[]> {
    const all: TaskView[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.listActiveTasks(id, { limit: 500, ...(nextToken === undefined ? {} : { nextToken }) });
      all.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    return all;
  }

  /** GET /processes/{id}/tasks/active: one page (limit 1..500, default 100) of the tasks that are SCHEDULED or RUNNING, in name order. */
  async listActiveTasks(id: string, options: { limit?: number; nextToken?: string } = {}): Promise<Page<TaskView>> {
    const query = { limit: options.limit, nextToken: options.nextToken };
    return (await this.call({ method: 'GET', path: `/processes/${enc(id)}/tasks/active`, query, schema: pageSchema(TaskViewSchema), idempotent: true })).data;
  }

  /**
   * GET /processes/{id}/tasks: one page (limit 1..500, default 100) of every task, PENDING ones included, in name
   * order, optionally in one status. A filtered page may hold fewer than `limit`: go on while `nextToken` is set.
   *
   * @example
   * let page = await client.listTasks(id, { status: 'FAILED' });
   * while (page.nextToken) page = await client.listTasks(id, { status: 'FAILED', nextToken: page.nextToken });
   * // The children of a map task, in index order, with their outputs:
   * const children = await client.listTasks(id, { map: 'resize', status: 'FAILED' });
   */
  async listTasks(id: string, options: { status?: TaskView['status']; limit?: number; nextToken?: string; map?: string } = {}): Promise<Page<TaskView>> {
    const query = { status: options.status, limit: options.limit, nextToken: options.nextToken, map: options.map };
    return (await this.call({ method: 'GET', path: `/processes/${enc(id)}/tasks`, query, schema: pageSchema(TaskViewSchema), idempotent: true })).data;
  }

  /** GET /processes/{id}/tasks/{task}: one task with its output (never left out) and the events of every attempt. */
  async getTask(id: string, task: string): Promise<TaskDetail> {
    return (await this.call({ method: 'GET', path: `/processes/${enc(id)}/tasks/${enc(task)}`, schema: TaskDetailSchema, idempotent: true })).data;
  }

  /** POST /processes/{id}/cancel. Cancelling a cancelled process answers 200, so it is retried. `reason` becomes the process's error message. */
  async cancelProcess(id: string, options: { reason?: string } = {}): Promise<Process> {
    const body = options.reason === undefined ? {} : { body: { json: { reason: options.reason } } };
    return (await this.call({ method: 'POST', path: `/processes/${enc(id)}/cancel`, ...body, schema: ProcessSchema, idempotent: true })).data;
  }

  /**
   * POST /processes/{id}/rerun: reruns an ended process in place. Tasks that did not complete run again, with
   * those named in `fromTasks` and everything downstream; completed tasks keep their outputs. Not retried: a
   * repeat after success would start yet another run.
   *
   * @throws TributaryApiError 409 ProcessStillRunning, NothingToRerun or IncompatibleVersion (`details` lists every difference).
   * @example
   * const { run, reset } = await client.rerun(id, { fromTasks: ['Score'], version: 3 });
   */
  async rerun(id: string, body: { fromTasks?: string[]; version?: number; input?: unknown } = {}): Promise<Rerun> {
    return (await this.call({ method: 'POST', path: `/processes/${enc(id)}/rerun`, body: { json: body }, schema: RerunSchema, idempotent: false })).data;
  }

  /**
   * POST /processes/rerun: reruns the ended processes of a definition that a query finds, one bounded page per
   * call; call again with `nextToken` while there is one. `dryRun` lists them and changes nothing.
   *
   * @example
   * let page = await client.rerunMany({ definition: 'loan', failedTask: 'Score' });
   * while (page.nextToken) page = await client.rerunMany({ definition: 'loan', failedTask: 'Score', nextToken: page.nextToken });
   */
  async rerunMany(body: RerunManyRequest): Promise<RerunMany> {
    return (await this.call({ method: 'POST', path: '/processes/rerun', body: { json: body }, schema: RerunManySchema, idempotent: false })).data;
  }

  /**
   * GET /processes/{id}/history: one page of the process's events, in time order.
   *
   * @example
   * const { items } = await client.getHistory(id);
   * items.filter((e) => e.type === 'TaskFailed').map((e) => [e.task, e.attempt, e.error]);
   */
  async getHistory(id: string, options: { limit?: number; nextToken?: string } = {}): Promise<Page<HistoryEvent>> {
    const query = { limit: options.limit, nextToken: options.nextToken };
    return (await this.call({ method: 'GET', path: `/processes/${enc(id)}/history`, query, schema: pageSchema(HistoryEventSchema), idempotent: true })).data;
  }

  /**
   * POST .../claim: a lease on a SCHEDULED task. The same worker claiming again
   * while its lease is live gets the same lease, which is what makes a retry safe.
   *
   * `leaseSeconds` (1..43200): the lease's length, which heartbeats then extend by; by default the task's timeout.
   *
   * @throws TributaryApiError 409 TaskAlreadyClaimed, TaskNotActive or ProcessNotRunning when the task is not this worker's to run.
   * @example
   * const claim = await client.claim(processId, 'Review Credit', 'worker-1', { leaseSeconds: 30 });
   * const amount = (claim.input.upstream['Open Loan Application'] as { amount: number }).amount;
   */
  async claim(processId: string, task: string, workerId: string, lease: LeaseOptions = {}): Promise<Claim> {
    const body = { json: { workerId, ...leaseField(lease) } };
    return (await this.call({ method: 'POST', path: taskPath(processId, task, 'claim'), body, schema: ClaimSchema, idempotent: true })).data;
  }

  /**
   * POST .../heartbeat: extends the lease from now, by `leaseSeconds` when given (and by as much at later
   * heartbeats), else by the length the claim asked for, else by the task's timeout. 409 LeaseMismatch means the lease is gone.
   */
  async heartbeat(processId: string, task: string, leaseToken: string, lease: LeaseOptions = {}): Promise<Heartbeat> {
    const body = { json: { leaseToken, ...leaseField(lease) } };
    return (await this.call({ method: 'POST', path: taskPath(processId, task, 'heartbeat'), body, schema: HeartbeatSchema, idempotent: true })).data;
  }

  /**
   * POST /processes/{id}/pause: running tasks finish, nothing new is scheduled, and claims get 409
   * ProcessPaused until {@link resume}. The process timeout keeps counting. Pausing a paused process
   * answers 200, so it is retried. `reason` is shown in the history.
   *
   * @example
   * await client.pause(id, { reason: 'upstream API down' });
   */
  async pause(id: string, options: { reason?: string } = {}): Promise<Process> {
    const body = options.reason === undefined ? {} : { body: { json: { reason: options.reason } } };
    return (await this.call({ method: 'POST', path: `/processes/${enc(id)}/pause`, ...body, schema: ProcessSchema, idempotent: true })).data;
  }

  /** POST /processes/{id}/resume: schedules what became ready while paused and resends SCHEDULED tasks' messages. Resuming a running process answers 200, so it is retried. */
  async resume(id: string): Promise<Process> {
    return (await this.call({ method: 'POST', path: `/processes/${enc(id)}/resume`, schema: ProcessSchema, idempotent: true })).data;
  }

  /**
   * POST .../release: gives a claimed task back, at the same attempt (a
   * release is not a failure), for another worker to claim, after
   * `delaySeconds` when given. 409 LeaseMismatch means the lease was gone already.
   */
  async release(processId: string, task: string, body: { leaseToken: string; delaySeconds?: number }): Promise<Released> {
    return (await this.call({ method: 'POST', path: taskPath(processId, task, 'release'), body: { json: body }, schema: ReleasedSchema, idempotent: false })).data;
  }

  /**
   * POST .../release-lease: an operator releases a RUNNING task whose worker
   * is known dead, without its lease token. Same attempt; the old lease is
   * fenced (the worker's later calls get 409 LeaseMismatch); the message is
   * sent again. Not retried: a repeat would find the task SCHEDULED (409 TaskNotActive).
   */
  async releaseLease(processId: string, task: string, body: { reason?: string } = {}): Promise<Released> {
    return (await this.call({ method: 'POST', path: taskPath(processId, task, 'release-lease'), body: { json: body }, schema: ReleasedSchema, idempotent: false })).data;
  }

  /**
   * POST .../complete. Without a lease token it completes an unclaimed (manual)
   * task; that form is not retried, because a repeat after success is a 409.
   *
   * @example
   * await client.complete(processId, 'Open Loan Application', { output: { amount: 1000000 } });
   */
  async complete(processId: string, task: string, result: { leaseToken?: string; output?: unknown } = {}): Promise<TaskEnded> {
    const path = taskPath(processId, task, 'complete');
    const idempotent = result.leaseToken !== undefined;
    return (await this.call({ method: 'POST', path, body: { json: result }, schema: TaskEndedSchema, idempotent })).data;
  }

  /**
   * POST .../fail: fails the attempt. With attempts left (and a retryable error) the answer is `SCHEDULED` with
   * `nextAttemptAt`; otherwise `FAILED`, and the failure policy applies. Retried only with a lease token.
   */
  async fail(processId: string, task: string, failure: { leaseToken?: string; error: TaskError }): Promise<TaskEnded> {
    const path = taskPath(processId, task, 'fail');
    const idempotent = failure.leaseToken !== undefined;
    return (await this.call({ method: 'POST', path, body: { json: failure }, schema: TaskEndedSchema, idempotent })).data;
  }

  /**
   * POST /tasks/claim: claims up to 10 tasks for one worker in one call (what
   * one SQS receive brought), each as {@link claim} would. Answers one result
   * per task, in order: the claim, or the error {@link claim} would have
   * thrown (a refusal of one never fails the others). Retried like
   * {@link claim}: a repeated claim by the same worker gets the same lease. `leaseSeconds` is every claim's lease length.
   *
   * @example
   * const results = await client.claimTasks('worker-1', messages.map((m) => ({ processId: m.processId, task: m.task })));
   * for (const r of results) if (r.ok) run(r.value); else if (isConflict(r.error)) drop();
   */
  async claimTasks(workerId: string, tasks: readonly TaskRef[], lease: LeaseOptions = {}): Promise<BatchItemResult<Claim>[]> {
    const json = { workerId, ...leaseField(lease), tasks: tasks.map(({ processId, task }) => ({ processId, task })) };
    const call = { method: 'POST', path: '/tasks/claim', body: { json } } as const;
    const { data } = await this.call({ ...call, schema: BatchClaimSchema, idempotent: true });
    return itemResults<Claim>(data.results, tasks.length, 'POST /tasks/claim');
  }

  /**
   * POST /tasks/complete: up to 10 completions in one call, each as
   * {@link complete} would; one result per item, in order. Retried when
   * every item carries its lease token (each is then safe to repeat).
   */
  async completeTasks(items: readonly CompleteItem[]): Promise<BatchItemResult<TaskEnded>[]> {
    const idempotent = items.every((i) => i.leaseToken !== undefined);
    const { data } = await this.call({ method: 'POST', path: '/tasks/complete', body: { json: { items } }, schema: BatchEndedSchema, idempotent });
    return itemResults<TaskEnded>(data.results, items.length, 'POST /tasks/complete');
  }

  /**
   * POST /tasks/fail: up to 10 failed attempts in one call, each as
   * {@link fail} would; one result per item, in order. Retried when every
   * item carries its lease token.
   */
  async failTasks(items: readonly FailItem[]): Promise<BatchItemResult<TaskEnded>[]> {
    const idempotent = items.every((i) => i.leaseToken !== undefined);
    const { data } = await this.call({ method: 'POST', path: '/tasks/fail', body: { json: { items } }, schema: BatchEndedSchema, idempotent });
    return itemResults<TaskEnded>(data.results, items.length, 'POST /tasks/fail');
  }

  /**
   * PUT /schedules/{name}: creates (`created`) or replaces a schedule.
   *
   * @example
   * await client.putSchedule('nightly', { definition: 'export', cron: '0 2 * * *', timezone: 'Europe/Paris' });
   */
  async putSchedule(name: string, spec: ScheduleRequest): Promise<{ created: boolean; schedule: Schedule }> {
    const { status, data } = await this.call({ method: 'PUT', path: `/schedules/${enc(name)}`, body: { json: spec }, schema: ScheduleSchema, idempotent: true });
    return { created: status === 201, schedule: data };
  }

  /** GET /schedules/{name}: the spec, the next fire times and one page of fires, newest first. */
  async getSchedule(name: string, options: ListOptions = {}): Promise<Schedule> {
    const query = { limit: options.limit, nextToken: options.nextToken };
    return (await this.call({ method: 'GET', path: `/schedules/${enc(name)}`, query, schema: ScheduleSchema, idempotent: true })).data;
  }

  /** GET /schedules: one page, by name. */
  async listSchedules(options: ListOptions = {}): Promise<Page<ScheduleSummary>> {
    const query = { limit: options.limit, nextToken: options.nextToken };
    return (await this.call({ method: 'GET', path: '/schedules', query, schema: pageSchema(ScheduleSummarySchema), idempotent: true })).data;
  }

  /** DELETE /schedules/{name}. */
  async deleteSchedule(name: string): Promise<void> {
    await this.call({ method: 'DELETE', path: `/schedules/${enc(name)}`, schema: ScheduleDeletedSchema, idempotent: true });
  }

  /** POST /schedules/{name}/pause or /resume. */
  async pauseSchedule(name: string): Promise<Schedule> {
    return (await this.call({ method: 'POST', path: `/schedules/${enc(name)}/pause`, schema: ScheduleSchema, idempotent: true })).data;
  }

  async resumeSchedule(name: string): Promise<Schedule> {
    return (await this.call({ method: 'POST', path: `/schedules/${enc(name)}/resume`, schema: ScheduleSchema, idempotent: true })).data;
  }

  /** POST /schedules/{name}/trigger: one fire now, through the overlap policy. Not retried (a retry is another fire). */
  async triggerSchedule(name: string): Promise<ScheduleFire> {
    return (await this.call({ method: 'POST', path: `/schedules/${enc(name)}/trigger`, schema: ScheduleFireSchema, idempotent: false })).data;
  }

  /** POST /schedules/{name}/backfill: every time in [from, to); a repeat starts nothing new, so it is retried. */
  async backfillSchedule(name: string, body: { from: string; to: string; overlap?: ScheduleRequest['overlap'] }): Promise<BackfillProgress> {
    return (await this.call({ method: 'POST', path: `/schedules/${enc(name)}/backfill`, body: { json: body }, schema: BackfillProgressSchema, idempotent: true })).data;
  }

  private async call<S extends z.ZodType>(call: Call<S>): Promise<{ status: number; data: z.infer<S> }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(call);
      } catch (error) {
        if (!call.idempotent || attempt >= this.retries || !isRetryable(error)) throw error;
        const retryAfter = error instanceof TributaryApiError ? error.retryAfter : undefined;
        await sleep(backoffDelay(attempt, this.backoff, retryAfter));
      }
    }
  }

  private async once<S extends z.ZodType>(call: Call<S>): Promise<{ status: number; data: z.infer<S> }> {
    const label = `${call.method} ${call.path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers };
    let payload: string | undefined;
    if (call.body && 'yaml' in call.body) {
      payload = call.body.yaml;
      headers['content-type'] = 'application/yaml';
    } else if (call.body) {
      payload = JSON.stringify(call.body.json);
      headers['content-type'] = 'application/json';
    }
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const signal = AbortSignal.timeout(this.timeoutMs);
      const res = await this.fetchFn(this.url(call), { method: call.method, headers, signal, ...(payload === undefined ? {} : { body: payload }) });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      // Reading the body is part of the attempt: a connection can die half-way.
      text = await res.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const why = timedOut ? `timed out after ${this.timeoutMs} ms` : `failed: ${error instanceof Error ? error.message : String(error)}`;
      throw new TributaryNetworkError(`${label} ${why}`, label, { cause: error });
    }
    if (status < 200 || status >= 300) throw apiErrorFromResponse(status, text, label, retryAfter);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new TributaryResponseError(`${label}: response ${status} is not JSON: ${text.slice(0, 200)}`, { status, request: label }, { cause: error });
    }
    const parsed = call.schema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new TributaryResponseError(`${label}: unexpected response shape: ${problems}`, { status, request: label }, { cause: parsed.error });
    }
    return { status, data: parsed.data };
  }

  private url(call: Call<z.ZodType>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return `${this.baseUrl}${call.path}${qs === '' ? '' : `?${qs}`}`;
  }
}

/** The body field of a lease length, only when one is asked for (the server's default otherwise). */
function leaseField(lease: LeaseOptions): { leaseSeconds?: number } {
  return lease.leaseSeconds === undefined ? {} : { leaseSeconds: lease.leaseSeconds };
}

function taskPath(processId: string, task: string, action: string): string {
  return `/processes/${enc(processId)}/tasks/${enc(task)}/${action}`;
}
