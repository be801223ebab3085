import { MAX_SWEEP_SHARDS, PROCESS_INDEX_SHARDS, PROGRESS_SHARDS } from '#config/table.ts';
import { blockOf, CHILD_PARTITIONS, chunkOf, childName, ITEMS_PER_CHUNK, parseChildName } from '#domain/map-children.ts';

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
  /**
   * A task. A child of a map (`resize[41]`) lives in one of its map's
   * partitions ({@link childKey}), so a wide map writes no hot key.
   */
  task: (ref: { processId: string; task: string }) => {
    const child = parseChildName(ref.task);
    return child ? childKey(ref.processId, child.map, child.index) : { pk: `PROC#${ref.processId}`, sk: `${TASK_SK_PREFIX}${ref.task}` };
  },
  /** The chunk of a map's items (of one run: a rerun evaluates them again) that holds item `index`, beside that child. */
  mapItems: (processId: string, map: string, run: number, index: number) => ({
    pk: childPartition(processId, map, index),
    sk: `${MAP_ITEMS_SK_PREFIX}${map}#${String(run).padStart(6, '0')}#${pad(chunkOf(index))}`,
  }),
  /** One partition's counters of a map's children in one run (every child counts in its own partition's). */
  mapCounter: (processId: string, map: string, run: number, partition: number) => ({
    pk: `PROC#${processId}#C${partition}`,
    sk: `${MAP_COUNT_SK_PREFIX}${map}#${String(run).padStart(6, '0')}`,
  }),
  /** A concurrency pool (issue 18): one definition and one key value; `pool` is `<definition>#<key hash>`. */
  pool: (pool: string) => ({ pk: `${POOL_PK_PREFIX}${pool}`, sk: 'POOL' }),
  /** A schedule: its spec and fire state. */
  schedule: (name: string) => ({ pk: `${SCHEDULE_PK_PREFIX}${name}`, sk: 'SPEC' }),
  /** One fire's record; the sort key counts down with the scheduled time, so a query reads the newest first. */
  fire: (name: string, scheduledAt: number) => ({ pk: `${SCHEDULE_PK_PREFIX}${name}`, sk: `${FIRE_SK_PREFIX}${String(FIRE_TIME_CEILING - scheduledAt).padStart(14, '0')}` }),
} as const;

export const SCHEDULE_PK_PREFIX = 'SCHED#';
export const POOL_PK_PREFIX = 'PPOOL#';

/**
 * The sweep-index partition that is a pool's queue (issue 18): its QUEUED processes, due at their creation, so a
 * query reads them first in first out. The sweeper reads only `S#<n>`, never these: no new index, no table change.
 */
export function queuePartitionOf(pool: string): string {
  return `Q#${pool}`;
}
export const FIRE_SK_PREFIX = 'FIRE#';
/** Past any scheduled time (year 5138): the fire sort key is this minus the time. */
const FIRE_TIME_CEILING = 99_999_999_999_999;
/**
 * How many due-index partitions schedules spread over. Their entries live on the sweep index under their own
 * partition values (`F#<n>`), which the sweeper never reads (it reads `S#<n>`): no new index, no table change.
 */
export const SCHEDULE_SHARDS = 8;

/** The due-index partition of a schedule, from its name. */
export function scheduleShardOf(name: string): string {
  return `F#${fnv1a(name) % SCHEDULE_SHARDS}`;
}

/** Every schedule due-index partition: the scheduler reads them all. */
export function allScheduleShards(): string[] {
  return Array.from({ length: SCHEDULE_SHARDS }, (_, i) => `F#${i}`);
}

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

export const MAP_ITEMS_SK_PREFIX = 'ITEMS#';
export const MAP_COUNT_SK_PREFIX = 'MAPCOUNT#';

/** The process id of a key of its partition, or of one of its children's partitions (`PROC#<id>#C<n>`). */
export function processIdOf(pk: string): string {
  const rest = pk.slice('PROC#'.length);
  const hash = rest.indexOf('#');
  return hash === -1 ? rest : rest.slice(0, hash);
}

/**
 * The key of a map's child: partition `PROC#<id>#C<n>`, sort key
 * `TASK#<map>#<index, 6 digits>`. Blocks of {@link CHILDREN_PER_BLOCK}
 * consecutive children rotate over {@link CHILD_PARTITIONS} partitions, so a
 * page of children is one query, and a map's writes spread over them all.
 */
export function childKey(processId: string, map: string, index: number): { pk: string; sk: string } {
  return { pk: childPartition(processId, map, index), sk: `${TASK_SK_PREFIX}${map}#${pad(index)}` };
}

/** The partition number (0…{@link CHILD_PARTITIONS} − 1) of a map's child. */
export function childPartitionOf(map: string, index: number): number {
  return (fnv1a(map) + blockOf(index)) % CHILD_PARTITIONS;
}

function childPartition(processId: string, map: string, index: number): string {
  return `PROC#${processId}#C${childPartitionOf(map, index)}`;
}

/** The task name a task key addresses: a declared task's, or a child's (`resize[41]`). */
export function taskNameOfKey(pk: string, sk: string): string {
  const rest = sk.slice(TASK_SK_PREFIX.length);
  if (!pk.includes('#C', 'PROC#'.length)) return rest;
  const hash = rest.lastIndexOf('#');
  return childName(rest.slice(0, hash), Number(rest.slice(hash + 1)));
}

function pad(n: number): string {
  return String(n).padStart(6, '0');
}

/** How many items a chunk holds (the last chunk of a map may hold fewer). */
export const MAP_ITEMS_PER_CHUNK = ITEMS_PER_CHUNK;

/** FNV-1a (32 bits): a stable, well-spread hash of a key, the same in every process and runtime. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The sweep shard of one item, from its own key (table key, sort key
 * included): the tasks of one process spread over every shard, so a wide
 * fan-out writes no hot sweep partition. `shards` is the configured count.
 */
export function sweepShardOf(key: { readonly pk: string; readonly sk: string }, shards: number): string {
  return `S#${fnv1a(`${key.pk}\u0000${key.sk}`) % shards}`;
}

/** Every sweep shard there can be: the sweeper reads them all, so a lowered setting strands no entry. */
export function allSweepShards(): string[] {
  return Array.from({ length: MAX_SWEEP_SHARDS }, (_, i) => `S#${i}`);
}

/** The sweep shard count a setting asks for, checked: an integer from 1 to {@link MAX_SWEEP_SHARDS}. */
export function checkSweepShards(shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SWEEP_SHARDS) {
    throw new RangeError(`the sweep shard count must be an integer from 1 to ${MAX_SWEEP_SHARDS}, got ${shards}`);
  }
  return shards;
}

/** The process-index shard of a process (`00`…), from its id: the same for its kind, status and definition keys. */
function processShardOf(id: string): string {
  return String(fnv1a(id) % PROCESS_INDEX_SHARDS).padStart(2, '0');
}

/**
 * The process indexes' partition keys of one process. Each value carries the
 * process's shard (`#<nn>`, fixed width, so a definition name holding `#`
 * stays unambiguous), so 1,000 starts of one definition write 32 keys, not one.
 */
export const processIndexKeys = {
  kind: (id: string) => `${PROCESS_KIND}#${processShardOf(id)}`,
  status: (id: string, status: string) => `${status}#${processShardOf(id)}`,
  definition: (id: string, definition: string) => `${definition}#${processShardOf(id)}`,
} as const;

/** Every shard of one process-index value (`PROCESS`, a status, a definition name), in shard order. */
export function processIndexShards(value: string): string[] {
  return Array.from({ length: PROCESS_INDEX_SHARDS }, (_, i) => `${value}#${String(i).padStart(2, '0')}`);
}

/** The `kind` of a process (sharded); definitions keep the plain `DEFINITION`, a rare write. */
export const PROCESS_KIND = 'PROCESS';
