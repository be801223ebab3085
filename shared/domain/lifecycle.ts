/**
 * The lifecycle of tasks and processes, as data. Every status change anywhere
 * in Tributary is one row of {@link TASK_TRANSITIONS} or
 * {@link PROCESS_TRANSITIONS}: the statuses it may start from, the status it
 * leads to, and the guards it checks. Stores derive their write conditions
 * from these rows ({@link taskGuards}, {@link processGuards}), the sweeper its
 * duties ({@link SWEEP_DUTIES}), and the property tests their moves (the model
 * in `process-model.ts`). A new rule is a new row.
 *
 * Pure: no clock, no randomness. Times and tokens come in as guard values.
 *
 * This module is what everyone imports; it is split along its seams:
 * - `lifecycle-table.ts`: the statuses, what a row holds, the status predicates;
 * - `task-transitions.ts`, `process-transitions.ts`: the rows;
 * - `effects.ts`: what a row declares it sets and removes (the stores supply the values);
 * - `companion-writes.ts`: the rows of items without a status (input, end counter, history records);
 * - `guards.ts`: the guard language and the builders of a write's conditions;
 * - `guards-hold.ts`: the evaluator (the in-memory table and the model);
 * - `sweep-duties.ts`: what the sweeper owes a due item.
 */

export * from './lifecycle-table.ts';
export * from './task-transitions.ts';
export * from './process-transitions.ts';
export * from './guards.ts';
export * from './guards-hold.ts';
export * from './sweep-duties.ts';
export * from './effects.ts';
export * from './companion-writes.ts';
export * from './slot-writes.ts';
export * from './status-predicates.ts';
export * from './pool-writes.ts';
export * from './sweep-cursor-writes.ts';
