import type { z } from 'zod';
import {
  CancelBodySchema,
  ClaimBodySchema,
  CompleteBodySchema,
  DefinitionParamsSchema,
  DefinitionVersionParamsSchema,
  FailBodySchema,
  HeartbeatBodySchema,
  ActiveTasksQuerySchema,
  HistoryQuerySchema,
  TaskListQuerySchema,
  ReleaseBodySchema,
  RerunBodySchema,
  RerunManyBodySchema,
  PauseBodySchema,
  ResumeBodySchema,
  ListProcessesQuerySchema,
  PaginationQuerySchema,
  ProcessParamsSchema,
  StartProcessBodySchema,
  TaskParamsSchema,
} from './api.ts';
import { DefinitionDocumentSchema } from './definition-schema.ts';
import {
  ActiveTasksSchema,
  ClaimResponseSchema,
  DefinitionPageSchema,
  DefinitionViewSchema,
  HealthResponseSchema,
  HeartbeatResponseSchema,
  HistoryPageSchema,
  TaskDetailSchema,
  TaskPageSchema,
  OpenApiDocumentSchema,
  ProcessPageSchema,
  ProcessViewSchema,
  StartedProcessSchema,
  ReleasedSchema,
  RerunResponseSchema,
  RerunManyResponseSchema,
  TaskEndedSchema,
} from './responses.ts';

/** The one table from error code to HTTP status: the handlers answer with it, and the OpenAPI document is built from it. */
export const ERROR_STATUS = {
  InvalidDefinition: 400,
  ValidationError: 400,
  DefinitionNotFound: 404,
  ProcessNotFound: 404,
  TaskNotFound: 404,
  RouteNotFound: 404,
  TaskAlreadyClaimed: 409,
  TaskNotActive: 409,
  LeaseMismatch: 409,
  ProcessNotRunning: 409,
  ProcessPaused: 409,
  ConcurrencyConflict: 409,
  ProcessStillRunning: 409,
  NothingToRerun: 409,
  IncompatibleVersion: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  InternalError: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** What one route takes and answers: the source of the OpenAPI document. */
export interface RouteContract {
  readonly summary: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** JSON request body. */
  readonly body?: z.ZodType;
  /** PUT /definitions takes YAML too. */
  readonly yamlBody?: boolean;
  /** Success statuses and their bodies. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema: z.ZodType }>>;
  /** Error codes the route can answer besides InternalError; ValidationError is implied by params, query or body. */
  readonly errors: readonly ErrorCode[];
  /** A worker route (claim, heartbeat, complete, fail). */
  readonly tag: 'definitions' | 'processes' | 'tasks' | 'meta';
}

const BODY_ERRORS: readonly ErrorCode[] = ['PayloadTooLarge', 'UnsupportedMediaType'];
const TASK_ERRORS: readonly ErrorCode[] = ['ProcessNotFound', 'TaskNotFound', 'DefinitionNotFound', 'TaskNotActive', 'ProcessNotRunning'];

/**
 * Every route of `shared/config/routes.ts`, by route id. A test checks that
 * the two tables name the same routes, and the contract tests validate every
 * response they receive against the document generated from this one.
 */
export const API_CONTRACT: Readonly<Record<string, RouteContract>> = {
  Health: { tag: 'meta', summary: 'Liveness of the API', responses: { 200: { description: 'up', schema: HealthResponseSchema } }, errors: [] },
  OpenApi: { tag: 'meta', summary: 'This OpenAPI document', responses: { 200: { description: 'the document', schema: OpenApiDocumentSchema } }, errors: [] },
  PutDefinition: {
    tag: 'definitions',
    summary: 'Register a definition (YAML or JSON); identical content returns the latest version',
    params: DefinitionParamsSchema,
    body: DefinitionDocumentSchema,
    yamlBody: true,
    responses: {
      200: { description: 'identical to the latest version, which is returned', schema: DefinitionViewSchema },
      201: { description: 'a new version', schema: DefinitionViewSchema },
    },
    errors: ['InvalidDefinition', 'ConcurrencyConflict', ...BODY_ERRORS],
  },
  ListDefinitions: {
    tag: 'definitions',
    summary: 'Definitions by name, one page',
    query: PaginationQuerySchema,
    responses: { 200: { description: 'one page', schema: DefinitionPageSchema } },
    errors: [],
  },
  GetDefinition: {
    tag: 'definitions',
    summary: 'The latest version of a definition',
    params: DefinitionParamsSchema,
    responses: { 200: { description: 'the definition', schema: DefinitionViewSchema } },
    errors: ['DefinitionNotFound'],
  },
  GetDefinitionVersion: {
    tag: 'definitions',
    summary: 'One version of a definition',
    params: DefinitionVersionParamsSchema,
    responses: { 200: { description: 'the definition', schema: DefinitionViewSchema } },
    errors: ['DefinitionNotFound'],
  },
  StartProcess: {
    tag: 'processes',
    summary: 'Start a process; a repeated idempotencyKey returns the same process with 200',
    body: StartProcessBodySchema,
    responses: {
      200: { description: 'the process the idempotency key already named', schema: StartedProcessSchema },
      201: { description: 'a new process', schema: StartedProcessSchema },
    },
    errors: ['DefinitionNotFound', ...BODY_ERRORS],
  },
  ListProcesses: {
    tag: 'processes',
    summary: 'Processes, newest first, by status or definition; limit is 1..100 (default 50)',
    query: ListProcessesQuerySchema,
    responses: { 200: { description: 'one page', schema: ProcessPageSchema } },
    errors: [],
  },
  GetProcess: {
    tag: 'processes',
    summary: 'A process: status, exact progress, and every task in topological order (more than 100 tasks: the first 50 in name order and tasksNextToken)',
    params: ProcessParamsSchema,
    responses: { 200: { description: 'the process', schema: ProcessViewSchema } },
    errors: ['ProcessNotFound', 'DefinitionNotFound'],
  },
  GetProcessHistory: {
    tag: 'processes',
    summary: 'Every event of a process, in time order, a page at a time',
    params: ProcessParamsSchema,
    query: HistoryQuerySchema,
    responses: { 200: { description: 'one page of events', schema: HistoryPageSchema } },
    errors: ['ProcessNotFound', 'DefinitionNotFound'],
  },
  ListActiveTasks: {
    tag: 'processes',
    summary: 'The tasks of a process that are SCHEDULED or RUNNING, a page at a time in name order; limit is 1..500 (default 100)',
    params: ProcessParamsSchema,
    query: ActiveTasksQuerySchema,
    responses: { 200: { description: 'one page of active tasks (it may hold fewer than limit: go on while nextToken is set)', schema: ActiveTasksSchema } },
    errors: ['ProcessNotFound', 'DefinitionNotFound'],
  },
  ListTasks: {
    tag: 'processes',
    summary: 'Every task of a process, PENDING ones included, a page at a time in name order, optionally in one status; limit is 1..500 (default 100)',
    params: ProcessParamsSchema,
    query: TaskListQuerySchema,
    responses: { 200: { description: 'one page of tasks, under 1 MiB (outputs left out past it: outputOmitted)', schema: TaskPageSchema } },
    errors: ['ProcessNotFound', 'DefinitionNotFound'],
  },
  GetTask: {
    tag: 'processes',
    summary: 'One task of a process with its output or final error and the events of every attempt',
    params: TaskParamsSchema,
    responses: { 200: { description: 'the task', schema: TaskDetailSchema } },
    errors: ['ProcessNotFound', 'TaskNotFound', 'DefinitionNotFound'],
  },
  CancelProcess: {
    tag: 'processes',
    summary: 'Cancel a running process and its unfinished tasks, with an optional reason; cancelling a cancelled process answers 200',
    params: ProcessParamsSchema,
    body: CancelBodySchema,
    responses: { 200: { description: 'the process after cancelling', schema: ProcessViewSchema } },
    errors: ['ProcessNotFound', 'ProcessNotRunning', 'DefinitionNotFound', 'ConcurrencyConflict', ...BODY_ERRORS],
  },
  RerunProcess: {
    tag: 'processes',
    summary:
      'Rerun an ended process in place (run + 1): tasks that did not complete, those in fromTasks and everything downstream run again; completed tasks keep their outputs. Optionally on another version, with a new input',
    params: ProcessParamsSchema,
    body: RerunBodySchema,
    responses: { 200: { description: 'the new run', schema: RerunResponseSchema } },
    errors: ['ProcessNotFound', 'DefinitionNotFound', 'ProcessStillRunning', 'NothingToRerun', 'IncompatibleVersion', 'ConcurrencyConflict', ...BODY_ERRORS],
  },
  RerunProcesses: {
    tag: 'processes',
    summary:
      'Rerun many ended processes of a definition, found through an index (status, failedTask, a start-time window); bounded work per call: go on with nextToken. dryRun changes nothing',
    body: RerunManyBodySchema,
    responses: { 200: { description: 'one page of work', schema: RerunManyResponseSchema } },
    errors: ['DefinitionNotFound', ...BODY_ERRORS],
  },
  PauseProcess: {
    tag: 'processes',
    summary:
      'Pause a running process: running tasks finish, nothing new is scheduled, claims get 409 ProcessPaused; its timeout keeps counting. Pausing a paused process answers 200',
    params: ProcessParamsSchema,
    body: PauseBodySchema,
    responses: { 200: { description: 'the process after pausing', schema: ProcessViewSchema } },
    errors: ['ProcessNotFound', 'ProcessNotRunning', 'DefinitionNotFound', 'ConcurrencyConflict', ...BODY_ERRORS],
  },
  ResumeProcess: {
    tag: 'processes',
    summary: 'Resume a paused process: what became ready is scheduled, and SCHEDULED tasks get their messages again. Resuming a running process answers 200',
    params: ProcessParamsSchema,
    body: ResumeBodySchema,
    responses: { 200: { description: 'the process after resuming', schema: ProcessViewSchema } },
    errors: ['ProcessNotFound', 'ProcessNotRunning', 'DefinitionNotFound', 'ConcurrencyConflict', ...BODY_ERRORS],
  },
  ClaimTask: {
    tag: 'tasks',
    summary: 'Lease a SCHEDULED task; the same worker claiming again while its lease is live gets the same lease',
    params: TaskParamsSchema,
    body: ClaimBodySchema,
    responses: { 200: { description: 'the lease, the process input and the output of each need', schema: ClaimResponseSchema } },
    errors: [...TASK_ERRORS, 'TaskAlreadyClaimed', 'ProcessPaused', ...BODY_ERRORS],
  },
  HeartbeatTask: {
    tag: 'tasks',
    summary: "Extend the lease by the task's timeout",
    params: TaskParamsSchema,
    body: HeartbeatBodySchema,
    responses: { 200: { description: 'the new expiry', schema: HeartbeatResponseSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch', ...BODY_ERRORS],
  },
  CompleteTask: {
    tag: 'tasks',
    summary: 'Complete a task: with the lease token, or without one for an unclaimed (manual) task',
    params: TaskParamsSchema,
    body: CompleteBodySchema,
    responses: { 200: { description: 'completed', schema: TaskEndedSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch', 'ConcurrencyConflict', ...BODY_ERRORS],
  },
  FailTask: {
    tag: 'tasks',
    summary: "Fail an attempt: retried (SCHEDULED, not before nextAttemptAt) while attempts are left, else FAILED and the process's failure policy applies",
    params: TaskParamsSchema,
    body: FailBodySchema,
    responses: { 200: { description: 'failed', schema: TaskEndedSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch', 'ConcurrencyConflict', ...BODY_ERRORS],
  },
  ReleaseTask: {
    tag: 'tasks',
    summary: 'Give a claimed task back (e.g. a worker shutting down): SCHEDULED again at the same attempt, the lease fenced, the message sent again after delaySeconds',
    params: TaskParamsSchema,
    body: ReleaseBodySchema,
    responses: { 200: { description: 'released', schema: ReleasedSchema } },
    errors: [...TASK_ERRORS, 'LeaseMismatch', ...BODY_ERRORS],
  },
};
