import { randomBytes, randomUUID } from 'node:crypto';
import { createDocumentClient, createS3Client, createSqsClient, type AwsClientOptions } from '#adapters/aws-clients.ts';
import { DynamoItemTable } from '#adapters/dynamo/dynamo-item-table.ts';
import { MemoryItemTable, type CallHooks } from '#adapters/memory/memory-item-table.ts';
import { MemoryMapItemSource } from '#adapters/memory/memory-map-item-source.ts';
import { MemoryTaskQueue, type MemoryQueueSettings } from '#adapters/memory/memory-task-queue.ts';
import { S3MapItemSource } from '#adapters/s3/s3-map-item-source.ts';
import { SqsTaskQueue } from '#adapters/sqs/task-queue.ts';
import { storesOn } from '#adapters/stores/stores-on.ts';
import { ENV, readRuntimeEnv } from '#config/env.ts';
import { defaultSettings, jsonLogger, type AppDeps, type Settings } from './deps.ts';
import type { MapItemSource, TaskQueue } from './ports.ts';

export interface CreateDepsOptions extends AwsClientOptions {
  readonly tableName: string;
  readonly queueUrls: Readonly<Record<string, string>>;
  readonly settings?: Partial<Settings>;
  /** Replace the SQS queue (tests inject faults here). */
  readonly queue?: TaskQueue;
  /** Replace the S3 map item source (tests). */
  readonly mapItems?: MapItemSource;
  readonly now?: () => number;
  /** How many sweep shards new entries spread over. @default DEFAULT_SWEEP_SHARDS */
  readonly sweepShards?: number;
}

/**
 * The one wiring module: the use cases on the DynamoDB and SQS adapters.
 * Handlers call this once at module scope.
 */
export function createDeps(options: CreateDepsOptions): AppDeps {
  const table = new DynamoItemTable(createDocumentClient(options), options.tableName);
  const queue = options.queue ?? new SqsTaskQueue(createSqsClient(options), options.queueUrls);
  return {
    ...storesOn(table, options.sweepShards === undefined ? {} : { sweepShards: options.sweepShards }),
    queue,
    // The S3 client is built here but opens no connection until a map reads its items.
    mapItems: options.mapItems ?? new S3MapItemSource(createS3Client(options)),
    now: options.now ?? Date.now,
    newId: randomUUID,
    newToken: () => randomBytes(24).toString('base64url'),
    random: Math.random,
    settings: { ...defaultSettings(Object.keys(options.queueUrls)), ...envSettings(), ...options.settings },
    log: jsonLogger,
  };
}

export interface CreateMemoryDepsOptions {
  /** The queues and their SQS settings. @default { default: {} } */
  readonly queues?: Readonly<Record<string, MemoryQueueSettings>>;
  readonly now: () => number;
  readonly settings?: Partial<Settings>;
  /** Observe (or crash) every store call. */
  readonly hooks?: CallHooks;
  /** Ids and tokens; deterministic sequences by default, so runs are reproducible. */
  readonly newId?: () => string;
  readonly newToken?: () => string;
  /** Retry jitter; a seeded sequence by default, so runs are reproducible. */
  readonly random?: () => number;
  /** How many sweep shards new entries spread over. @default DEFAULT_SWEEP_SHARDS */
  readonly sweepShards?: number;
}

/**
 * The same use cases on the in-memory adapters: unit tests and
 * `createTestEngine()` run on these. No Java, no ports, no network.
 */
export function createMemoryDeps(options: CreateMemoryDepsOptions): AppDeps & { table: MemoryItemTable; queue: MemoryTaskQueue; mapItems: MemoryMapItemSource } {
  const table = new MemoryItemTable(options.hooks);
  const queues = options.queues ?? { default: {} };
  const queue = new MemoryTaskQueue(queues, options.now);
  let ids = 0;
  let tokens = 0;
  return {
    ...storesOn(table, options.sweepShards === undefined ? {} : { sweepShards: options.sweepShards }),
    table,
    queue,
    mapItems: new MemoryMapItemSource(),
    now: options.now,
    newId: options.newId ?? (() => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`),
    newToken: options.newToken ?? (() => `lease-${++tokens}`),
    random: options.random ?? seededRandom(7),
    // The in-memory index is updated with the write, on one clock: the sweeper reads up to now.
    settings: { ...defaultSettings(Object.keys(queues)), sweepLagMs: 0, ...options.settings },
    log: jsonLogger,
  };
}

/** A small deterministic generator (mulberry32) in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deps from the handler environment (TRIBUTARY_TABLE_NAME, TRIBUTARY_QUEUE_URLS, TRIBUTARY_SWEEP_SHARDS). */
export function createDepsFromEnv(env: NodeJS.ProcessEnv = process.env): AppDeps {
  const runtime = readRuntimeEnv(env);
  const configured = env[ENV.defaultQueue] === undefined ? {} : { defaultQueue: runtime.defaultQueue };
  return createDeps({ tableName: runtime.tableName, queueUrls: runtime.queueUrls, settings: configured, sweepShards: runtime.sweepShards });
}

function envSettings(env: NodeJS.ProcessEnv = process.env): Partial<Settings> {
  const out: { -readonly [K in keyof Settings]?: Settings[K] } = {};
  const days = Number(env[ENV.retentionDays]);
  if (Number.isFinite(days) && days > 0) out.retentionSeconds = Math.round(days * 86_400);
  const grace = Number(env[ENV.enqueueGraceMs]);
  if (Number.isFinite(grace) && grace > 0) out.enqueueGraceMs = grace;
  const followUp = Number(env[ENV.followUpGraceMs]);
  if (Number.isFinite(followUp) && followUp > 0) out.followUpGraceMs = followUp;
  const lag = env[ENV.sweepLagMs] === undefined ? Number.NaN : Number(env[ENV.sweepLagMs]);
  if (Number.isFinite(lag) && lag >= 0) out.sweepLagMs = lag;
  return out;
}
