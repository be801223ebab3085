import { PROGRESS_SHARDS, SWEEP_SHARDS } from '#config/table.ts';

/** Key builders for the single-table layout described in shared/config/table.ts. */
export const keys = {
  definitionHead: (name: string) => ({ pk: `DEF#${name}`, sk: 'HEAD' }),
  definitionVersion: (name: string, version: number) => ({ pk: `DEF#${name}`, sk: `V#${String(version).padStart(9, '0')}` }),
  processMeta: (id: string) => ({ pk: `PROC#${id}`, sk: 'META' }),
  processInput: (id: string) => ({ pk: `PROC#${id}`, sk: 'INPUT' }),
  /** The record of a rerun: run 2 and after. */
  processRun: (id: string, run: number) => ({ pk: `PROC#${id}`, sk: `RUN#${String(run).padStart(6, '0')}` }),
  /** Counter of settled sinks, for processes with more than one sink. */
  processEnd: (id: string) => ({ pk: `PROC#${id}`, sk: 'END' }),
  /** One shard of a run's progress counters: how many of its tasks ended each way (`progressShardOf`). */
  processProgress: (id: string, run: number, shard: number) => ({ pk: `PROC#${id}`, sk: `${progressPrefix(run)}${String(shard).padStart(2, '0')}` }),
  /** A pause or resume, by the process version it wrote (the history's process events). */
  processEvent: (id: string, ver: number) => ({ pk: `PROC#${id}`, sk: `${EVENT_SK_PREFIX}${String(ver).padStart(9, '0')}` }),
  /** A task; an indexed task (a child of a dynamic fan-out) gets the index after its name. */
  task: (ref: { processId: string; task: string; index?: number }) => ({
    pk: `PROC#${ref.processId}`,
    sk: ref.index === undefined ? `TASK#${ref.task}` : `TASK#${ref.task}#${String(ref.index).padStart(6, '0')}`,
  }),
} as const;

export const TASK_SK_PREFIX = 'TASK#';
export const RUN_SK_PREFIX = 'RUN#';
export const EVENT_SK_PREFIX = 'EVENT#';

export const PROGRESS_SK_PREFIX = 'COUNT#';

/** The sort-key prefix of one run's progress counters: a query of it reads them all, and nothing else. */
export function progressPrefix(run: number): string {
  return `${PROGRESS_SK_PREFIX}${String(run).padStart(6, '0')}#`;
}

/** The progress shard a task counts itself in (FNV-1a of its name): a run's endings spread over the shards. */
export function progressShardOf(task: string): number {
  return fnv1a(task) % PROGRESS_SHARDS;
}

export function processIdOf(pk: string): string {
  return pk.slice('PROC#'.length);
}

/** Spreads sweep-index entries over a few partitions (FNV-1a of the key). */
export function sweepShardOf(pk: string): string {
  return `S#${fnv1a(pk) % SWEEP_SHARDS}`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function allSweepShards(): string[] {
  return Array.from({ length: SWEEP_SHARDS }, (_, i) => `S#${i}`);
}
