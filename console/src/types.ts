/**
 * The API's response shapes, as the console reads them (see openapi.json).
 * Written out rather than imported from shared/schemas, so that zod stays
 * out of the browser bundle.
 */
export interface ApiTaskError {
  code: string;
  message: string;
  details?: unknown;
  retryable?: boolean;
}

/** Counters of a map task (engine work in progress): shown when the API sends them. */
export interface MapCounters {
  total: number;
  scheduled: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface TaskView {
  name: string;
  status: string;
  needs: string[];
  queue: string;
  attempt: number;
  maxAttempts: number;
  nextAttemptAt?: string;
  lastError?: ApiTaskError;
  skippedBecause?: string;
  skipReason?: string;
  workerId?: string;
  leaseExpiresAt?: string;
  output?: unknown;
  outputOmitted?: true;
  error?: ApiTaskError;
  scheduledAt?: string;
  claimedAt?: string;
  endedAt?: string;
  map?: MapCounters;
  /** A process task, once its child process started: the child. */
  childProcessId?: string;
}

export interface HistoryEvent {
  at: string;
  type: string;
  run: number;
  task?: string;
  attempt?: number;
  workerId?: string;
  error?: unknown;
  details?: Record<string, unknown>;
}

export interface TaskDetail extends TaskView {
  events: HistoryEvent[];
}

export interface Progress {
  total: number;
  completed: number;
  failed: number;
  skipped: number;
  cancelled: number;
  percent: number;
}

export interface ProcessView {
  id: string;
  definition: string;
  version: number;
  status: string;
  input: unknown;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  error?: { code: string; message: string; task?: string };
  runs: number;
  compensates?: string;
  compensatedBy?: string;
  compensationError?: string;
  /** A child process: the parent process and its process task that started it. */
  parent?: { processId: string; task: string };
  /** A QUEUED process: its place in its concurrency key's queue. */
  queuePosition?: number;
  concurrencyKey?: string;
  startedAt?: string;
  progress: Progress;
  tasks: TaskView[];
  tasksNextToken?: string;
}

export interface ProcessSummary {
  id: string;
  definition: string;
  version: number;
  status: string;
  createdAt: string;
  endedAt?: string;
  queuePosition?: number;
}

export interface TaskSpec {
  name: string;
  needs: string[];
  queue: string;
  timeoutSeconds: number;
  /** A condition on the edge from the needs (engine work in progress). */
  when?: string;
  /** A task that runs a child process. */
  process?: { definition: string; version?: number; input?: string; onParentEnd?: string };
  [key: string]: unknown;
}

export interface DefinitionView {
  name: string;
  version: number;
  description?: string;
  inputSchema?: Record<string, unknown>;
  tasks: TaskSpec[];
  createdAt: string;
  [key: string]: unknown;
}

export interface DefinitionSummary {
  name: string;
  latestVersion: number;
  description?: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}
