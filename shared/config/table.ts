/**
 * The single DynamoDB table's key schema and indexes. The local stack creates
 * the table from this description and the CDK construct declares it from the
 * same one, so local and deployed tables cannot drift apart.
 *
 * Item layout (pk / sk):
 * - `DEF#<name>` / `HEAD`                 latest version pointer of a definition
 * - `DEF#<name>` / `V#<000000001>`        one immutable definition version
 * - `PROC#<id>`  / `META`                 a process (rewritten only on process-level changes)
 * - `PROC#<id>`  / `INPUT`                the process input (write-once, replaced only by a rerun)
 * - `PROC#<id>`  / `END`                  the settled-sinks counter of a process with several sinks
 * - `PROC#<id>`  / `RUN#<000002>`         the record of one rerun (what was reset, how the run before ended)
 * - `PROC#<id>`  / `TASK#<name>`          one task's state, created when it is scheduled or first counted
 */
export interface IndexSpec {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly sortKeyType: 'S' | 'N';
  /** Non-key attributes copied into the index; empty means KEYS_ONLY. */
  readonly include: readonly string[];
}

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/** Attribute that DynamoDB TTL reads (epoch seconds) to expire finished processes. */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * Sparse index of work the sweeper must look at: items carry `sweepShard` and
 * `sweepAt` (epoch ms) only while something is owed (a message to send, a lease
 * to check, children to schedule, tasks to cancel).
 */
export const SWEEP_INDEX: IndexSpec = {
  indexName: 'sweep',
  partitionKey: 'sweepShard',
  sortKey: 'sweepAt',
  sortKeyType: 'N',
  include: [],
};

/*
 * Process indexes project only what never changes, so that ending a process
 * costs no index write beyond moving its status key. Listings read the
 * summaries back with one BatchGetItem per page.
 */

/** Processes by status, newest first (`GET /processes?status=`, optionally `&definition=`). */
export const PROCESS_BY_STATUS_INDEX: IndexSpec = {
  indexName: 'processesByStatus',
  partitionKey: 'procStatus',
  sortKey: 'createdKey',
  sortKeyType: 'S',
  include: ['procDefinition'],
};

/** Processes by definition name, newest first (`GET /processes?definition=`). */
export const PROCESS_BY_DEFINITION_INDEX: IndexSpec = {
  indexName: 'processesByDefinition',
  partitionKey: 'procDefinition',
  sortKey: 'createdKey',
  sortKeyType: 'S',
  include: [],
};

/**
 * Listing of every item of one kind: `PROCESS` (newest first) and
 * `DEFINITION` (by name; the HEAD item's summary is projected).
 */
export const BY_KIND_INDEX: IndexSpec = {
  indexName: 'byKind',
  partitionKey: 'kind',
  sortKey: 'kindKey',
  sortKeyType: 'S',
  include: ['name', 'latestVersion', 'description'],
};

export const INDEXES: readonly IndexSpec[] = [SWEEP_INDEX, PROCESS_BY_STATUS_INDEX, PROCESS_BY_DEFINITION_INDEX, BY_KIND_INDEX];

/**
 * How many partitions the writers spread sweep-index entries over, unless
 * configured (`TRIBUTARY_SWEEP_SHARDS`, the construct's `sweepShards`). A
 * task's shard comes from its own key, so a wide process spreads too. 32
 * shards keep every shard under 5% of the index's writes (the write-count
 * test) and give the index about 32,000 writes a second.
 */
export const DEFAULT_SWEEP_SHARDS = 32;

/**
 * The most sweep shards there can be, and the default. The sweeper reads
 * every one of them on each pass, whatever the setting, so the setting can
 * be changed with entries in flight: an entry on a shard past a lowered
 * count is still found. A higher ceiling would cost every pass a query per
 * shard (an empty one costs 0.5 read units) for write capacity (32,000 a
 * second) that one process's table partition or one join cannot feed anyway.
 */
export const MAX_SWEEP_SHARDS = 32;

/**
 * How many partitions each process index key is written over (`kind` =
 * `PROCESS#<nn>`, `procStatus` = `<status>#<nn>`, `procDefinition` =
 * `<name>#<nn>`), by the process id. Listings merge the shards newest first.
 * Not a setting: every listing reads these shards, so changing it is a change
 * of the table's layout ({@link TABLE_LAYOUT_VERSION}).
 */
export const PROCESS_INDEX_SHARDS = 32;

/**
 * The version of the item layout. 2: sweep shards from each item's own key,
 * process index keys sharded. The local stack records it in the table and
 * upgrades a table written by an older version before it serves.
 */
export const TABLE_LAYOUT_VERSION = 2;

/**
 * How many counter items a process run's progress spreads over (`PROC#<id>` / `COUNT#<run>#<shard>`, the shard from
 * the task's name): each takes 1/8 of the run's ending writes, and a read of all of them is one small query.
 */
export const PROGRESS_SHARDS = 8;
