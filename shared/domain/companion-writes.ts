import type { WriteRow } from './lifecycle-table.ts';

/**
 * The writes of items that have no status, each with its own guards and
 * effects like a row of the transition table: the process's input item, its
 * end counter, and its history records. Most go with a status change in one
 * transaction (the row's `companions` name them); none is unconditional.
 */

/** The input item (`INPUT`): written once at the start; after that only its pause flag, and a rerun's expiry and new input. */
export const INPUT_WRITES = {
  create: {
    guards: ['absent'],
    effects: { inputJson: 'set', expiresAt: 'set' },
    doc: 'written once, before the process item: a second start with the same id (same idempotency key) writes nothing',
  },
  pause: {
    guards: ['present'],
    effects: { paused: 'set' },
    doc: "with the process's pause: claims read the flag with the input, so refusing them costs no extra read (never creates a stray input)",
  },
  resume: { guards: ['present'], effects: { paused: 'remove' }, doc: "with the process's resume: claims are taken again" },
  reopen: {
    guards: ['present'],
    effects: { expiresAt: 'set', inputJson: 'set?', paused: 'remove' },
    doc: 'with a rerun: the input expires with the new run, may be replaced, and is not paused (a process cancelled while paused kept its flag)',
  },
} as const satisfies Record<string, WriteRow>;
export type InputEvent = keyof typeof INPUT_WRITES;

/** The end counter (`END`): how many sinks of the current run have settled, of how many. */
export const END_COUNTER_WRITES = {
  count: {
    guards: ['settledBelow'],
    effects: { settled: 'add', expected: 'set', expiresAt: 'set' },
    doc: "a sink settled, in its ending transaction: never past the expected count (each bump moves the counter's expiry with the process)",
  },
  reset: {
    guards: ['runBefore'],
    effects: { settled: 'set', expected: 'set', run: 'set', expiresAt: 'remove' },
    doc: 'a rerun sets the counter to the sinks it keeps, once per run',
  },
} as const satisfies Record<string, WriteRow>;
export type EndCounterEvent = keyof typeof END_COUNTER_WRITES;

/** History records: written once, keyed by what wrote them (the process version of a pause or resume, the run of a rerun). */
export const RECORD_WRITES = {
  event: {
    guards: ['absent'],
    effects: { type: 'set', at: 'set', expiresAt: 'set', reason: 'set?' },
    doc: 'a pause or a resume, keyed by the process version it wrote',
  },
  run: {
    guards: ['absent'],
    effects: { recordJson: 'set', expiresAt: 'set' },
    doc: "a rerun's record of the run it closed; it expires as the input does",
  },
} as const satisfies Record<string, WriteRow>;
export type RecordEvent = keyof typeof RECORD_WRITES;
