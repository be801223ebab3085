/**
 * Tributary's TypeScript client: a typed HTTP client for the API, a SigV4
 * signing fetch for IAM-authorized deployments, and a Worker that runs tasks
 * from an SQS queue, and code-first workflows. Self-contained (zod and the AWS
 * SDK only), so that it can be published on its own, with one exception: the
 * workflow builder runs the server's pure definition validator
 * (shared/domain/definition.ts, with yaml and ajv), so that a workflow that
 * builds is one the server accepts; a bundle of the client carries it along.
 *
 * @example
 * import { TributaryClient, Worker } from './client/index.ts';
 * const client = new TributaryClient({ baseUrl: 'http://127.0.0.1:3000' });
 */
export { TributaryClient, type LeaseOptions, type ListOptions, type ListProcessesOptions, type RerunManyRequest, type ScheduleRequest, type StartProcessRequest, type TributaryClientOptions } from './tributary-client.ts';
export { Worker, type TaskContext, type TaskHandler, type WorkerOptions } from './worker.ts';
export { messageAfterRefusedClaim, TASK_GONE_CODES, type MessageAction } from './message-policy.ts';
export { sigv4Fetch, Sha256, type AwsCredentials, type SigV4FetchOptions } from './sigv4-fetch.ts';
export type { ClientFetch, ClientFetchResponse } from './client-fetch.ts';
export {
  isConflict,
  isNotFound,
  isRetryable,
  isTributaryApiError,
  LeaseLostError,
  TributaryApiError,
  TributaryNetworkError,
  TributaryResponseError,
  type TributaryErrorCode,
} from './errors.ts';
export {
  workflow,
  Workflow,
  type Jsonified,
  type ManualTaskOptions,
  type MapResult,
  type MapTaskContext,
  type MapTaskHandler,
  type MapTaskOptions,
  type TaskOptions,
  type TaskRef,
  type Upstream,
  type WorkflowOptions,
  type WorkflowTask,
  type WorkflowTaskContext,
  type WorkflowTaskHandler,
  type WorkflowTaskOptions,
} from './workflow.ts';
export { InvalidWorkflowError, type WorkflowProblem } from './invalid-workflow-error.ts';
export { renderMermaid, renderText, type MapItemsFrom, type MapSpec, type RenderableDefinition } from './render-definition.ts';
export { mapChildOf, parseChildTask, type MapChild } from './map-child.ts';
export { isNonRetryableTaskError, isRetryAfterTaskError, NonRetryableTaskError, RetryAfterTaskError, type TaskFailureOptions } from './task-failures.ts';
export { LeaseKeeper, type LeaseKeeperOptions } from './lease-keeper.ts';
export { runClaimedTask, type RunClaimedTaskOptions, type RunOutcome } from './run-claimed-task.ts';
export { ResultBatcher, type BatcherTimers, type ResultBatcherOptions } from './result-batcher.ts';
export { MAX_BATCH_ITEMS, type BatchItemResult, type CompleteItem, type FailItem, type TaskRef as BatchTaskRef } from './batch-results.ts';
export { jsonLogger, silentLogger, type WorkerLogger } from './worker-logger.ts';
export type { BackoffOptions } from './retry.ts';
export {
  TaskMessageSchema,
  type Claim,
  type Definition,
  type DefinitionSummary,
  type Heartbeat,
  type Released,
  type Rerun,
  type RerunMany,
  type HistoryEvent,
  type Page,
  type Process,
  type ProcessStatus,
  type ProcessSummary,
  type StartedProcess,
  type TaskEnded,
  type TaskError,
  type TaskMessage,
  type TaskSpec,
  type TaskStatus,
  type TaskView,
} from './schemas.ts';
