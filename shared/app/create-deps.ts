import { randomBytes, randomUUID } from 'node:crypto';
import { createDocumentClient, createSqsClient, type AwsClientOptions } from '#adapters/aws-clients.ts';
import { DefinitionStore } from '#adapters/dynamo/definition-store.ts';
import { ProcessStore } from '#adapters/dynamo/process-store.ts';
import { SweepIndex } from '#adapters/dynamo/sweep-index.ts';
import { TaskStore } from '#adapters/dynamo/task-store.ts';
import { SqsTaskQueue, type TaskQueue } from '#adapters/sqs/task-queue.ts';
import { ENV, readRuntimeEnv } from '#config/env.ts';
import { defaultSettings, jsonLogger, type AppDeps, type Settings } from './deps.ts';

export interface CreateDepsOptions extends AwsClientOptions {
  readonly tableName: string;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly settings?: Partial<Settings>;
  /** Replace the SQS queue (tests inject faults here). */
  readonly queue?: TaskQueue;
  readonly now?: () => number;
}

/** Wires the real adapters. Handlers call this once at module scope. */
export function createDeps(options: CreateDepsOptions): AppDeps & { sweepIndex: SweepIndex } {
  const db = createDocumentClient(options);
  const queue = options.queue ?? new SqsTaskQueue(createSqsClient(options), options.queueUrls);
  return {
    definitions: new DefinitionStore(db, options.tableName),
    processes: new ProcessStore(db, options.tableName),
    tasks: new TaskStore(db, options.tableName),
    sweepIndex: new SweepIndex(db, options.tableName),
    queue,
    now: options.now ?? Date.now,
    newId: randomUUID,
    newToken: () => randomBytes(24).toString('base64url'),
    settings: { ...defaultSettings(Object.keys(options.queueUrls)), ...envSettings(), ...options.settings },
    log: jsonLogger,
  };
}

/** Deps from the handler environment (TRIBUTARY_TABLE_NAME, TRIBUTARY_QUEUE_URLS). */
export function createDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AppDeps & { sweepIndex: SweepIndex } {
  const runtime = readRuntimeEnv(env);
  return createDeps({ tableName: runtime.tableName, queueUrls: runtime.queueUrls });
}

function envSettings(env: NodeJS.ProcessEnv = process.env): Partial<Settings> {
  const out: { -readonly [K in keyof Settings]?: Settings[K] } = {};
  const days = Number(env[ENV.retentionDays]);
  if (Number.isFinite(days) && days > 0) out.retentionSeconds = Math.round(days * 86_400);
  const grace = Number(env[ENV.enqueueGraceMs]);
  if (Number.isFinite(grace) && grace > 0) out.enqueueGraceMs = grace;
  const followUp = Number(env[ENV.followUpGraceMs]);
  if (Number.isFinite(followUp) && followUp > 0) out.followUpGraceMs = followUp;
  return out;
}
