import { ACTIVE_TASK_STATUSES, TASK_STATUSES, TERMINAL_TASK_STATUSES, type TaskStatus, type TransitionRow } from './lifecycle-table.ts';

/** The task rows of the transition table (see `lifecycle-table.ts` for what a row holds). */

/** Not yet ended: PENDING (with or without an item), SCHEDULED or RUNNING. */
const UNFINISHED_TASK = ['absent', 'PENDING', 'SCHEDULED', 'RUNNING'] as const;


/**
 * How many attempt records a task keeps across reruns (the oldest are dropped
 * and counted, `trimAttempts`). A record is at most about 750 bytes (a 512
 * character error message); one run adds at most 100 attempts (`maxAttempts`)
 * and a few refusals. So 40 kept plus one run's worth stay under about 110 KB,
 * beside a 256 KiB output, within the 400 KB item.
 */
export const KEPT_ATTEMPT_RECORDS = 40;

/** A task as it is scheduled: the whole item on its first write, or a counted join or reset task made SCHEDULED. */
const SCHEDULED_EFFECTS = {
  name: 'set',
  index: 'set?',
  attempt: 'set',
  run: 'set',
  queue: 'set',
  definition: 'set',
  version: 'set',
  timeoutMs: 'set',
  attemptTimeoutMs: 'set?',
  scheduledAt: 'set',
  sweepShard: 'set',
  sweepAt: 'set',
  sweepReason: 'set',
  sends: 'set',
  // The task has a concurrency or rate limit (issue 18): its claim must take slots (`claimLimited`).
  limits: 'set?',
  // Issue 18: the limit keys, evaluated at scheduling (claims take the slots of these keys).
  concurrencyKey: 'set?',
  rateKey: 'set?',
} as const;
/** An ended attempt: its follow-up is owed (the sweep entry stays, reason `followUp`), its lease is over. */
const ENDED_EFFECTS = { endedAt: 'set', expiresAt: 'set', sweepReason: 'set', leaseExpiresAt: 'remove' } as const;
const COMPLETED_EFFECTS = { ...ENDED_EFFECTS, outputJson: 'set' } as const;
/** A final failure: the error whole, and bounded as the last one; the attempt's record, when it has one. */
const FAILED_EFFECTS = { ...ENDED_EFFECTS, errorJson: 'set', lastErrorJson: 'set', nextAttemptAt: 'remove', attemptDeadline: 'remove', attempts: 'append?' } as const;
/** A failed attempt with attempts left: the next one is unclaimed (claim, lease and deadline belonged to the one that failed). */
const RETRIED_EFFECTS = {
  attempt: 'set',
  nextAttemptAt: 'set',
  lastErrorJson: 'set',
  scheduledAt: 'set',
  sweepShard: 'set',
  sweepAt: 'set',
  sweepReason: 'set',
  sends: 'set',
  attempts: 'append',
  leaseToken: 'remove',
  leaseExpiresAt: 'remove',
  attemptDeadline: 'remove',
  workerId: 'remove',
  claimedAt: 'remove',
} as const;
/** A claimed task given back, by its worker or by an operator: SCHEDULED at the same attempt, its claim, lease and deadline gone. */
const RELEASED_EFFECTS = {
  scheduledAt: 'set',
  sweepShard: 'set',
  sweepAt: 'set',
  sweepReason: 'set',
  sends: 'set',
  nextAttemptAt: 'setOrRemove',
  leaseToken: 'remove',
  leaseExpiresAt: 'remove',
  attemptDeadline: 'remove',
  workerId: 'remove',
  claimedAt: 'remove',
} as const;
/** A task's end counts in every join it feeds, in the process's end counter and in its run's progress, in the same transaction. */
const SETTLES = ['task.settleParent', 'endCounter.count', 'progress.count'] as const;
/** A child of a map counts in its map's counters; its ending also schedules the next child of its lane and, the last of its lane, counts on the map. */
const CHILD_COUNTS = ['mapCounter.count'] as const;
const ENDINGS = [...SETTLES, 'mapCounter.count', 'task.schedule', 'task.settleLane'] as const;
/** A completion counts its progress in its follow-up (`progress.completedOnce`), not in its ending: it needs no transaction of its own. */
const COMPLETION_ENDINGS = ENDINGS.filter((c) => c !== 'progress.count');
/** The map item's own ending: the sweep entry comes back, for its follow-up (or its children's teardown). */
const MAP_ENDED_EFFECTS = { endedAt: 'set', expiresAt: 'set', sweepShard: 'set', sweepAt: 'set', sweepReason: 'set', resumeFrom: 'remove', resultsJson: 'remove', resultsFrom: 'remove' } as const;
/** What a child of a map holds of an earlier run that its rescheduling in a rerun removes (the rest is set anew). */
const CHILD_RUN_REMOVED = {
  workerId: 'remove',
  leaseToken: 'remove',
  leaseExpiresAt: 'remove',
  attemptDeadline: 'remove',
  nextAttemptAt: 'remove',
  outputJson: 'remove',
  errorJson: 'remove',
  lastErrorJson: 'remove',
  claimedAt: 'remove',
  endedAt: 'remove',
  expiresAt: 'remove',
  held: 'remove',
} as const;
/** What a task's item holds of its run's last attempt: a rerun's reset removes it all (the item keeps name, run and attempts). */
const LAST_RUN_REMOVED = {
  attempt: 'remove',
  queue: 'remove',
  timeoutMs: 'remove',
  attemptTimeoutMs: 'remove',
  definition: 'remove',
  version: 'remove',
  workerId: 'remove',
  leaseToken: 'remove',
  leaseExpiresAt: 'remove',
  attemptDeadline: 'remove',
  nextAttemptAt: 'remove',
  outputJson: 'remove',
  errorJson: 'remove',
  lastErrorJson: 'remove',
  skippedBecause: 'remove',
  skipReason: 'remove',
  skippedParents: 'remove',
  scheduledAt: 'remove',
  claimedAt: 'remove',
  endedAt: 'remove',
  expiresAt: 'remove',
  sweepShard: 'remove',
  sweepAt: 'remove',
  sweepReason: 'remove',
  sends: 'remove',
  resumeFrom: 'remove',
  held: 'remove',
  // A map expands again in the new run: its total, cursor and gathered results go.
  mapTotal: 'remove',
  itemsCursor: 'remove',
  resultsJson: 'remove',
  resultsFrom: 'remove',
} as const;
const SWEEP_REMOVED = { sweepShard: 'remove', sweepAt: 'remove', sweepReason: 'remove' } as const;
/** A process task ended by its child: the sweep entry comes back, for its follow-up. */
const PROCESS_TASK_ENDED_EFFECTS = { endedAt: 'set', expiresAt: 'set', sweepShard: 'set', sweepAt: 'set', sweepReason: 'set' } as const;

export const TASK_TRANSITIONS = {
  schedule: { from: ['absent'], to: 'SCHEDULED', guards: ['absent'], effects: SCHEDULED_EFFECTS, doc: 'a root, or a task with one need whose parent settled: the first write of its item' },
  scheduleJoin: {
    from: ['PENDING'],
    to: 'SCHEDULED',
    guards: ['allSettled', 'runAtMost'],
    // Its parents' counted set has done its work: the join's own writes from now on are billed without it.
    effects: { ...SCHEDULED_EFFECTS, counted: 'remove' },
    doc: 'a join whose every parent has settled: exactly one caller wins (never one from a run before the join was reset)',
  },
  scheduleRerun: {
    from: ['PENDING'],
    to: 'SCHEDULED',
    guards: ['run'],
    effects: SCHEDULED_EFFECTS,
    doc: 'in a rerun, a reset root or single-need task whose need is complete: exactly one caller of that run wins',
  },
  settleParent: {
    // Any status: an anyCompleted join runs on its first completed parent, and the later ones still count, harmlessly.
    from: ['absent', ...TASK_STATUSES],
    to: 'same',
    guards: ['settledBelow'],
    // The status only for an item the count creates (COUNTED_TASK_STATUS). A skipped parent adds 1 to skippedParents too.
    effects: { name: 'set', expected: 'set', status: 'setIfMissing', settled: 'add', skippedParents: 'add?' },
    doc: "a parent of a join settled: the join's counter goes up by one (and its count of skipped parents, for a SKIPPED one), never past its expected count; a join without an item is created PENDING, and one cancelled with its process, skipped, or already started by an anyCompleted rule still counts, harmlessly",
  },
  scheduleAnyJoin: {
    from: ['PENDING'],
    to: 'SCHEDULED',
    guards: ['runAtMost'],
    effects: SCHEDULED_EFFECTS,
    doc: 'an anyCompleted join whose counter shows a completed parent: exactly one caller wins (counts only grow, so the decision holds)',
  },
  skipReady: {
    from: ['absent', 'PENDING'],
    to: 'SKIPPED',
    guards: ['runAtMost'],
    effects: { name: 'set', run: 'set', skipReason: 'set', endedAt: 'set', expiresAt: 'set', sweepShard: 'set', sweepAt: 'set', sweepReason: 'set' },
    companions: SETTLES,
    doc: "a ready task whose condition is false (ConditionFalse), or whose parents were skipped as its join rule says (UpstreamSkipped): it never runs, and owes its follow-up (its children count it as skipped)",
  },
  failCondition: {
    from: ['absent', 'PENDING'],
    to: 'FAILED',
    guards: ['runAtMost'],
    effects: { name: 'set', run: 'set', errorJson: 'set', lastErrorJson: 'set', endedAt: 'set', expiresAt: 'set', sweepShard: 'set', sweepAt: 'set', sweepReason: 'set' },
    companions: SETTLES,
    doc: 'a ready task whose condition could not be evaluated fails with ConditionError without running (or whose limit key could not, with ConcurrencyKeyError: issue 18); its failure policy is owed (its follow-up)',
  },
  settleParentOnce: {
    // Any status, as settleParent: an anyCompleted join may have started on an earlier parent.
    from: ['absent', ...TASK_STATUSES],
    to: 'same',
    guards: ['settledBelow', 'uncounted', 'runAtMost'],
    effects: { name: 'set', expected: 'set', status: 'setIfMissing', settled: 'add', counted: 'addMember' },
    doc: "a parent of a small join settled, counted by the parent's follow-up in a write of its own (not in its ending's transaction): the parent's place among the join's needs joins the `counted` set in the same write, so a redone follow-up counts nothing twice; never into a join a later run has reset",
  },
  claim: { from: ['SCHEDULED'], to: 'RUNNING', guards: ['due', 'unlimited'],
    // The lease and the attempt's deadline are sums of the stored lengths and now: the claim needs no read.
    // `leaseMs`: the lease length the worker asked for (`leaseSeconds`), which its heartbeats extend by; absent, the task's timeout.
    effects: { leaseToken: 'set', workerId: 'set', claimedAt: 'set', sweepReason: 'set', leaseExpiresAt: 'sum', attemptDeadline: 'sum', nextAttemptAt: 'remove', leaseMs: 'setOrRemove' },
    companions: CHILD_COUNTS,
    doc: 'a worker takes the task and gets a fresh lease (not before a retry is due)' },
  claimLimited: {
    from: ['SCHEDULED'],
    to: 'RUNNING',
    guards: ['due', 'limited'],
    effects: { leaseToken: 'set', workerId: 'set', claimedAt: 'set', sweepReason: 'set', leaseExpiresAt: 'sum', attemptDeadline: 'sum', nextAttemptAt: 'remove', concurrencyKey: 'set?', rateKey: 'set?', leaseMs: 'setOrRemove' },
    companions: ['slot.take', 'slot.start'],
    doc: 'a task with a concurrency or rate limit is taken with a slot of each, in one transaction; its keys are recorded',
  },
  refuseForLimit: {
    from: ['SCHEDULED'],
    to: 'same',
    guards: ['limited'],
    effects: { limitRefusals: 'add', lastRefusedAt: 'set', concurrencyKey: 'set?', rateKey: 'set?' },
    doc: 'a claim refused for a task limit (ConcurrencyLimited, RateLimited) is counted on the task, not recorded one by one',
  },
  heartbeat: {
    from: ['RUNNING'],
    to: 'same',
    guards: ['lease', 'leaseLive', 'attemptLive'],
    // By the claim's lease length (`leaseMs`, else the task's timeout), or by a new one the heartbeat names (then recorded).
    effects: { leaseExpiresAt: 'sum', leaseMs: 'set?' },
    companions: ['slot.renew'],
    doc: 'the holder of a live lease extends it (and its concurrency slot with it), by the length its claim asked for (or the task\'s timeout), or by a new length it names',
  },
  complete: {
    from: ['RUNNING'],
    to: 'COMPLETED',
    guards: ['lease', 'leaseLive', 'attemptLive', 'run', 'hold'],
    effects: COMPLETED_EFFECTS,
    companions: [...COMPLETION_ENDINGS, 'slot.free'],
    doc: "the holder of a live lease records the output (of the run the caller's view of the process belongs to)",
  },
  completeManual: { from: ['SCHEDULED'], to: 'COMPLETED', guards: ['due', 'run', 'hold'], effects: COMPLETED_EFFECTS, companions: COMPLETION_ENDINGS, doc: 'a person or system completes an unclaimed task without a lease' },
  fail: {
    from: ['RUNNING'],
    to: 'FAILED',
    guards: ['lease', 'leaseLive', 'attemptLive', 'hold'],
    effects: FAILED_EFFECTS,
    companions: [...ENDINGS, 'slot.free'],
    doc: 'the holder of a live lease records the final failure (no attempts left, or not retryable)',
  },
  failManual: { from: ['SCHEDULED'], to: 'FAILED', guards: ['due', 'hold'], effects: FAILED_EFFECTS, companions: ENDINGS, doc: 'a person or system fails an unclaimed task for good' },
  retry: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['lease', 'leaseLive', 'attemptLive', 'attempt'],
    effects: RETRIED_EFFECTS,
    companions: [...CHILD_COUNTS, 'slot.free'],
    doc: 'the holder of a live lease fails an attempt with attempts left: attempt + 1, not before its backoff',
  },
  retryManual: { from: ['SCHEDULED'], to: 'SCHEDULED', guards: ['due', 'attempt'], effects: RETRIED_EFFECTS, doc: 'a manual failure of an unclaimed task with attempts left: attempt + 1, not before its backoff' },
  release: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['lease', 'leaseLive'],
    // The attempt stays: a release is not a failure. Its claim, lease and deadline go with it; a backoff may stay.
    effects: RELEASED_EFFECTS,
    companions: [...CHILD_COUNTS, 'slot.free'],
    doc: 'the holder of a live lease gives the task back (a worker shutting down): same attempt, the lease fenced' },
  releaseByOperator: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    // The token is the one the operator's read saw: the claim it releases is still the one running. Live or expired
    // alike, because the operator knows the worker is dead; the worker's later calls then get LeaseMismatch.
    guards: ['lease'],
    effects: RELEASED_EFFECTS,
    companions: [...CHILD_COUNTS, 'slot.free'],
    doc: 'an operator releases a RUNNING task whose worker is known dead, without its lease token: same attempt, the lease fenced, the message sent again',
  },
  expireLease: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['lease', 'leaseExpired', 'attempt'],
    effects: RETRIED_EFFECTS,
    companions: CHILD_COUNTS,
    doc: 'the sweeper finds a lease that ran out (an attempt, LeaseExpired) with attempts left: attempt + 1, the old token is fenced',
  },
  expireLeaseFinal: { from: ['RUNNING'], to: 'FAILED', guards: ['lease', 'leaseExpired', 'hold'], effects: FAILED_EFFECTS, companions: ENDINGS, doc: 'a lease ran out on the last attempt: the task fails with LeaseExpired' },
  timeOutAttempt: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['lease', 'attemptExpired', 'attempt'],
    effects: RETRIED_EFFECTS,
    companions: CHILD_COUNTS,
    doc: 'an attempt passed attemptTimeoutSeconds, heartbeats notwithstanding (AttemptTimedOut), with attempts left: attempt + 1',
  },
  timeOutAttemptFinal: { from: ['RUNNING'], to: 'FAILED', guards: ['lease', 'attemptExpired', 'hold'], effects: FAILED_EFFECTS, companions: ENDINGS, doc: 'the last attempt passed attemptTimeoutSeconds: the task fails with AttemptTimedOut' },
  skip: {
    from: ['absent', 'PENDING'],
    to: 'SKIPPED',
    guards: ['runAtMost'],
    effects: { name: 'set', skippedBecause: 'set', endedAt: 'set', expiresAt: 'set' },
    companions: SETTLES,
    doc: 'an upstream task failed under skipDownstream: the task never runs' },
  cancel: {
    from: UNFINISHED_TASK,
    to: 'CANCELLED',
    guards: ['runAtMost'],
    effects: { name: 'set', endedAt: 'set', expiresAt: 'set', ...SWEEP_REMOVED, leaseExpiresAt: 'remove', nextAttemptAt: 'remove' },
    companions: ['progress.count'],
    doc: 'the process ended: an unfinished task is cancelled; a PENDING one gets a tombstone so no late scheduling revives it',
  },
  completeLaneStep: {
    from: ['RUNNING'],
    to: 'COMPLETED',
    guards: ['lease', 'leaseLive', 'attemptLive', 'run', 'hold'],
    effects: { endedAt: 'set', expiresAt: 'set', leaseExpiresAt: 'remove', outputJson: 'set', ...SWEEP_REMOVED },
    companions: ['mapCounter.count', 'task.schedule'],
    doc: 'a child of a map that is not the last of its lane completes: the next child of its lane is written with it, so nothing is owed and it leaves the sweep index at once',
  },
  scheduleChild: {
    from: ['absent', 'PENDING', ...TERMINAL_TASK_STATUSES],
    to: 'SCHEDULED',
    guards: ['runBefore'],
    // A child of an earlier run comes back whole: what its last run left (output, error, claim, lease) goes.
    effects: { ...SCHEDULED_EFFECTS, ...CHILD_RUN_REMOVED },
    companions: CHILD_COUNTS,
    doc: "a child of a map is scheduled: a lane's first, or the next of a lane with its predecessor's ending; in a rerun, a child of an earlier run is taken back (once per run)",
  },
  settleLane: {
    from: TASK_STATUSES,
    to: 'same',
    guards: ['settledBelow'],
    effects: { settled: 'add' },
    doc: "the last child of a lane settled: the map's count of settled lanes goes up by one, never past its lanes (whatever the map's status: a map ended early counts harmlessly)",
  },
  cancelScheduledChild: {
    from: ['SCHEDULED'],
    to: 'CANCELLED',
    guards: ['runAtMost'],
    effects: { endedAt: 'set', expiresAt: 'set', ...SWEEP_REMOVED, nextAttemptAt: 'remove' },
    companions: CHILD_COUNTS,
    doc: 'its map ended early (failures past the tolerance, or the process ended): an unclaimed child is cancelled',
  },
  cancelRunningChild: {
    from: ['RUNNING'],
    to: 'CANCELLED',
    guards: ['runAtMost'],
    effects: { endedAt: 'set', expiresAt: 'set', ...SWEEP_REMOVED, leaseExpiresAt: 'remove', nextAttemptAt: 'remove' },
    companions: CHILD_COUNTS,
    doc: "its map ended early: a running child is cancelled, and its worker's later calls are refused",
  },
  deferExpansion: {
    from: ['SCHEDULED', 'RUNNING'],
    to: 'same',
    guards: ['sweepOwed'],
    effects: { resumeFrom: 'set', sweepAt: 'set', itemsCursor: 'set?' },
    doc: "a map's expansion (its items stored in chunks, then its lanes' first children) too long for one call records where it stopped",
  },
  startMap: {
    from: ['SCHEDULED'],
    to: 'RUNNING',
    guards: ['run'],
    effects: { mapTotal: 'set', expected: 'set', settled: 'set', resumeFrom: 'set', claimedAt: 'set', sweepAt: 'set', itemsCursor: 'remove' },
    doc: "a map's items are all stored: it runs, with its total and its number of lanes (the first child of each lane is still owed)",
  },
  mapStarted: { from: ['RUNNING'], to: 'same', guards: ['sweepOwed'], effects: { resumeFrom: 'remove', ...SWEEP_REMOVED }, doc: "every lane of a map has its first child: the map owes nothing until its children settle" },
  recordMapResults: {
    from: ['RUNNING'],
    to: 'same',
    guards: ['run'],
    effects: { resultsJson: 'set', resultsFrom: 'set' },
    doc: "a map's results gathered so far (in index order), when gathering them takes more than one call",
  },
  completeMap: {
    from: ['RUNNING'],
    to: 'COMPLETED',
    guards: ['run'],
    effects: { ...MAP_ENDED_EFFECTS, outputJson: 'set' },
    companions: SETTLES,
    doc: 'every lane of a map settled within its tolerance: it completes with its summary and results, and owes its follow-up',
  },
  failMap: {
    from: ['SCHEDULED', 'RUNNING'],
    to: 'FAILED',
    guards: ['run'],
    effects: { ...MAP_ENDED_EFFECTS, errorJson: 'set', lastErrorJson: 'set' },
    companions: SETTLES,
    doc: "a map's items are invalid (MapItemsInvalid, MapTooLarge), or its failures passed the tolerance (MapToleranceExceeded): it fails, and owes the cancelling of its other children, then its follow-up",
  },
  cancelMap: {
    from: ['SCHEDULED', 'RUNNING'],
    to: 'CANCELLED',
    guards: ['runAtMost'],
    effects: MAP_ENDED_EFFECTS,
    companions: ['progress.count'],
    doc: 'the process ended while a map ran: the map is cancelled, and owes the cancelling of its children',
  },
  // --- Sub-processes (issue 17, part 3): a process task runs a child process, with no lease and no worker ---
  startChild: {
    from: ['SCHEDULED'],
    to: 'RUNNING',
    guards: ['run', 'attempt'],
    effects: { childProcessId: 'set', childRun: 'set', claimedAt: 'set', nextAttemptAt: 'remove', ...SWEEP_REMOVED },
    doc: "a process task's child process is started (or rerun, for a retry): the task runs it, with no lease; nothing is owed until the child ends (the child's own sweep entry owes that)",
  },
  completeByChild: {
    from: ['RUNNING'],
    to: 'COMPLETED',
    guards: ['run', 'attempt', 'hold'],
    effects: { ...PROCESS_TASK_ENDED_EFFECTS, outputJson: 'set' },
    companions: SETTLES,
    doc: "a process task's child process COMPLETED: the task completes with the outputs of the child's sinks, and owes its follow-up",
  },
  failByChild: {
    from: ['RUNNING'],
    to: 'FAILED',
    guards: ['run', 'attempt', 'hold'],
    effects: { ...PROCESS_TASK_ENDED_EFFECTS, errorJson: 'set', lastErrorJson: 'set', attempts: 'append?' },
    companions: SETTLES,
    doc: "a process task's child process FAILED or was CANCELLED, with no attempts left: the task fails (ChildProcessFailed), and owes its follow-up",
  },
  retryByChild: {
    from: ['RUNNING'],
    to: 'SCHEDULED',
    guards: ['run', 'attempt'],
    effects: RETRIED_EFFECTS,
    doc: "a process task's child process FAILED or was CANCELLED, with attempts left: attempt + 1, and the sweeper reruns the child from its failure when the backoff is over",
  },
  reopen: {
    from: ['absent', 'PENDING', ...TERMINAL_TASK_STATUSES],
    to: 'PENDING',
    guards: ['runBefore'],
    // A join gets its counter anew (settled of expected needs kept); a task with none loses it. The last run's attempt is closed by a record.
    effects: { name: 'set', run: 'set', settled: 'setOrRemove', expected: 'setOrRemove', attempts: 'append?', counted: 'remove', ...LAST_RUN_REMOVED },
    doc: 'a rerun resets a task that must run again (attempts restart at 1, earlier ones stay in the history), once per run; a task new in the rerun\'s version starts here',
  },
  retain: {
    from: ['COMPLETED'],
    to: 'same',
    guards: ['runBefore'],
    effects: { expiresAt: 'set' },
    doc: 'a rerun keeps a completed task of an earlier run: its output stays, its expiry moves with the process',
  },
  resend: { from: ['SCHEDULED'], to: 'same', guards: ['sweepAt', 'attempt'], effects: { sweepAt: 'set', sends: 'add' }, doc: "the sweeper resends an unclaimed task's message (or sends a long-delayed retry's), and backs off its next check" },
  watchLease: { from: ['RUNNING'], to: 'same', guards: ['lease', 'sweepAt'], effects: { sweepAt: 'set', sweepReason: 'set' }, doc: "the sweeper's next look at a running task is when its lease (or its attempt) would expire" },
  recordStale: {
    from: ['SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'],
    to: 'same',
    guards: [],
    effects: { attempts: 'append' },
    doc: 'a heartbeat, complete or fail with a fenced token is refused: the refusal is noted on the task for its history' },
  deferFollowUp: { from: ['COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'], to: 'same', guards: ['sweepOwed'], effects: { resumeFrom: 'set', sweepAt: 'set' }, doc: 'a fan-out too wide for one call records where it stopped' },
  clearSweep: { from: TERMINAL_TASK_STATUSES, to: 'same', guards: ['sweepOwed'], effects: SWEEP_REMOVED, doc: 'an ended task whose follow-up is written leaves the sweep index (a counted completion does not: its count is the evidence, and its entry stays on the log)' },
  revisit: {
    from: TASK_STATUSES,
    to: 'same',
    guards: ['sweepAt'],
    effects: { sweepAt: 'set' },
    doc: "the sweeper could not settle the entry it read (its duty failed, or the task changed under it): the entry moves later, so the shard's cursor can pass it without losing it",
  },
  hold: {
    from: ACTIVE_TASK_STATUSES,
    to: 'same',
    guards: [],
    effects: { held: 'set' },
    doc: 'its process was paused: the task is marked, so that its ending schedules nothing and owes its follow-up until resume',
  },
  unhold: { from: TASK_STATUSES, to: 'same', guards: [], effects: { held: 'remove' }, doc: 'its process was resumed: the mark goes (an ended task keeps its status)' },
  trimAttempts: {
    from: TASK_STATUSES,
    to: 'same',
    guards: ['run', 'dropped'],
    effects: { attempts: 'removeHead', attemptsDropped: 'add' },
    doc: `after a rerun's reset, a task's attempt records beyond the last ${KEPT_ATTEMPT_RECORDS} are dropped, oldest first, and counted: its item stays within DynamoDB's 400 KB`,
  },
  forceLeaseExpiry: {
    from: ['RUNNING'],
    to: 'same',
    guards: ['lease'],
    effects: { leaseExpiresAt: 'set', sweepAt: 'set' },
    doc: "the test engine's fault: the lease holder's worker stopped long ago, so its lease ends now (live or not) and the sweeper looks now",
  },
} as const satisfies Record<string, TransitionRow<TaskStatus>>;
export type TaskEvent = keyof typeof TASK_TRANSITIONS;

/** The status of a task item first created by a counted parent (`settleParent` on an absent item). */
export const COUNTED_TASK_STATUS: TaskStatus = 'PENDING';
