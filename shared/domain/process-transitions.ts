import { PROCESS_STATUSES, TERMINAL_PROCESS_STATUSES, type ProcessStatus, type TransitionRow } from './lifecycle-table.ts';

/** The process rows of the transition table (see `lifecycle-table.ts` for what a row holds). */

const SWEEP_REMOVED = { sweepShard: 'remove', sweepAt: 'remove', sweepReason: 'remove' } as const;
/** Every change of a process's status: its index key, the next version (the optimistic lock the rows guard), the time. */
const STATUS_CHANGE = { procStatus: 'set', ver: 'set', updatedAt: 'set' } as const;
/**
 * A rerun's next run (`reopen`, RUNNING; `requeue`, QUEUED): the last run's end and its slot's hand-over go (the run
 * record keeps them), the process no longer expires, and it owes the rerun's pass on the sweep index.
 */
const NEXT_RUN = {
  ...STATUS_CHANGE,
  run: 'set',
  version: 'set',
  total: 'set',
  sweepShard: 'set',
  sweepAt: 'set',
  sweepReason: 'set',
  endedAt: 'remove',
  expiresAt: 'remove',
  errorJson: 'remove',
  resumeFrom: 'remove',
  handedTo: 'remove',
} as const;
/** An ended process: with cleanup owed it stays on the sweep index (due now), else it leaves it. */
const ENDED_PROCESS = {
  ...STATUS_CHANGE,
  endedAt: 'set',
  expiresAt: 'set',
  errorJson: 'set?',
  sweepShard: 'setOrRemove',
  sweepAt: 'setOrRemove',
  sweepReason: 'setOrRemove',
  // The cleanup's cursor starts afresh: a pass the ending interrupted (a pause's, a resume's) left its own.
  resumeFrom: 'remove',
  // Issue 18: the queued process its slot went to (`process.handOver`): a redone ending finishes that start.
  handedTo: 'set?',
} as const;

export const PROCESS_TRANSITIONS = {
  start: { from: ['absent'], to: 'RUNNING', guards: ['absent'],
    effects: {
      id: 'set',
      definition: 'set',
      version: 'set',
      total: 'set',
      ver: 'set',
      run: 'set',
      createdAt: 'set',
      updatedAt: 'set',
      idempotencyKey: 'set?',
      // The canonical hash of the start request, so that a reused idempotency key with another request is refused.
      requestHash: 'set?',
      kind: 'set',
      kindKey: 'set',
      createdKey: 'set',
      procStatus: 'set',
      procDefinition: 'set',
      sweepShard: 'set',
      sweepAt: 'set',
      sweepReason: 'set',
      deadlineAt: 'set?',
      compensates: 'set?',
      // A child process: its parent and the task that started it, and how deep it is nested.
      parentProcessId: 'set?',
      parentTask: 'set?',
      depth: 'set?',
      // Issue 18: a process of a definition with `concurrency` takes a slot of its pool in the same transaction.
      pool: 'set?',
      concurrencyKey: 'set?',
      startedAt: 'set?',
    },
    companions: ['pool.take'],
    doc: 'a new process (its input item is written first, `input.create`); a second start with the same id finds the first; under a concurrency limit it takes a slot of its pool (`pool.take`) in the same transaction' },
  queue: { from: ['absent'], to: 'QUEUED', guards: ['absent'],
    // Its sweep entry is its place in its pool's queue (partition `Q#<pool>`, due at its creation): the sweeper never reads it.
    effects: {
      id: 'set',
      definition: 'set',
      version: 'set',
      total: 'set',
      ver: 'set',
      run: 'set',
      createdAt: 'set',
      updatedAt: 'set',
      idempotencyKey: 'set?',
      requestHash: 'set?',
      kind: 'set',
      kindKey: 'set',
      createdKey: 'set',
      procStatus: 'set',
      procDefinition: 'set',
      sweepShard: 'set',
      sweepAt: 'set',
      sweepReason: 'set',
      compensates: 'set?',
      pool: 'set',
      concurrencyKey: 'set?',
      // Its place in the queue, kept after it leaves (the history's ProcessQueued).
      queueTicket: 'set',
    },
    doc: 'a start over its concurrency limit (`onLimit: queue`): the process waits, first in first out within its pool, holding no slot (issue 18)' },
  dequeue: { from: ['QUEUED'], to: 'RUNNING', guards: [],
    // The process starts now: it owes its roots (the sweep entry leaves the queue's partition), and its timeout counts from here.
    effects: { ...STATUS_CHANGE, sweepShard: 'set', sweepAt: 'set', sweepReason: 'set', deadlineAt: 'set?', startedAt: 'set' },
    companions: ['pool.take'],
    doc: 'a queued process takes a freed slot of its pool (`pool.take`, in the same transaction) and starts (issue 18)' },
  handOver: { from: ['QUEUED'], to: 'RUNNING', guards: [],
    // The slot of the ending holder passes straight to it: the pool's count does not change. Its sweep entry stays
    // where it is (its queue place, at no index write) owing its roots, unless it must be seen at a deadline.
    effects: { ...STATUS_CHANGE, sweepShard: 'set?', sweepAt: 'set?', sweepReason: 'set', deadlineAt: 'set?', startedAt: 'set' },
    doc: "the head of its pool's queue takes the slot of a holder that ends, in the ending's own transaction (issue 18)" },
  complete: { from: ['RUNNING'], to: 'COMPLETED', guards: ['version'], effects: ENDED_PROCESS, companions: ['pool.free', 'process.handOver'], doc: 'every sink settled and none failed' },
  fail: {
    from: ['RUNNING', 'PAUSED'],
    to: 'FAILED',
    guards: ['version'],
    effects: ENDED_PROCESS,
    companions: ['pool.free', 'process.handOver'],
    doc: 'a task failed for good under failFast, or every branch ended with some failed under skipDownstream, or the process timed out (its timeout counts while paused)',
  },
  cancel: { from: ['RUNNING', 'PAUSED', 'QUEUED'], to: 'CANCELLED', guards: ['version'], effects: ENDED_PROCESS, companions: ['pool.free', 'process.handOver'],
    doc: 'an operator cancels the process (a QUEUED one leaves its queue and frees no slot; `cancelOldest` supersedes the oldest holder)' },
  pause: { from: ['RUNNING'], to: 'PAUSED', guards: ['version'],
    // A pause owes its pass (the marks): the process takes the sweep slot, and the pass starts from the beginning.
    effects: { ...STATUS_CHANGE, sweepShard: 'set?', sweepAt: 'set?', sweepReason: 'set?', resumeFrom: 'remove' },
    companions: ['input.pause', 'record.event'],
    doc: 'nothing new is scheduled and claims are refused until resume (operator controls)' },
  resume: { from: ['PAUSED'], to: 'RUNNING', guards: ['version'],
    // A resume owes its pass: the process takes the sweep slot (the pass gives it back to the deadline, if any).
    effects: { ...STATUS_CHANGE, sweepShard: 'set?', sweepAt: 'set?', sweepReason: 'set?', resumeFrom: 'remove' },
    companions: ['input.resume', 'record.event'],
    doc: 'scheduling goes on; the process owes its resume pass (sweep reason `resume`) (operator controls)' },
  reopen: { from: TERMINAL_PROCESS_STATUSES, to: 'RUNNING', guards: ['version'],
    effects: { ...NEXT_RUN, deadlineAt: 'setOrRemove' },
    companions: ['record.run', 'input.reopen', 'pool.take'],
    doc: 'a rerun starts the next run: run + 1 fences the earlier leases (operator controls)' },
  requeue: { from: TERMINAL_PROCESS_STATUSES, to: 'QUEUED', guards: ['version'],
    // A rerun over a full pool (`onLimit: queue`): the new run waits in the queue holding no slot; its sweep entry is
    // its place there (the rerun's time), and the hand-over that starts it owes the rerun's pass (issue 18).
    effects: { ...NEXT_RUN, queueTicket: 'set', deadlineAt: 'remove' },
    companions: ['record.run', 'input.reopen'],
    doc: 'a rerun whose pool is full (`onLimit: queue`) starts its next run QUEUED: it runs when a slot is handed to it (issue 18)' },
  recordCompensation: {
    from: ['FAILED', 'CANCELLED'],
    to: 'same',
    guards: ['run', 'sweepAt'],
    effects: { compensatedBy: 'set?', compensationError: 'set?' },
    doc: "an ended process that still owes its cleanup (this run's) records the compensation process it started, or why none could start",
  },
  clearSweep: { from: PROCESS_STATUSES, to: 'same', guards: ['sweepAt'], effects: { ...SWEEP_REMOVED, resumeFrom: 'remove' }, doc: 'the owed work (roots, cleanup, compensation) is done: leave the sweep index' },
  deferSweep: { from: PROCESS_STATUSES, to: 'same', guards: ['sweepAt'], effects: { sweepAt: 'set', resumeFrom: 'set', sweepShard: 'set?' }, doc: 'a pass too long for one call records where it stopped' },
  revisit: {
    from: PROCESS_STATUSES,
    to: 'same',
    guards: ['sweepAt'],
    effects: { sweepAt: 'set' },
    doc: "the sweeper could not settle the entry it read (its duty failed, or the process changed under it): the entry moves later, so the shard's cursor can pass it without losing it",
  },
  awaitDeadline: {
    from: PROCESS_STATUSES,
    to: 'same',
    guards: ['sweepAt'],
    effects: { sweepAt: 'set', sweepReason: 'set', resumeFrom: 'remove' },
    doc: 'a pass is done and the process has a deadline: its sweep entry waits for the deadline',
  },
} as const satisfies Record<string, TransitionRow<ProcessStatus>>;
export type ProcessEvent = keyof typeof PROCESS_TRANSITIONS;
