import { compensationInput, compensatesOn } from '#domain/compensation.ts';
import { DefinitionNotFoundError, IdempotencyKeyReusedError, ValidationError } from '#domain/errors.ts';
import type { DefinitionVersionItem, ProcessItem, TaskItem } from '#schemas/items.ts';
import type { AppDeps } from './deps.ts';
import { processIdOfKey, startProcess } from './start-process.ts';
import { isCompletedTask } from '#domain/status-predicates.ts';

/**
 * Starts the compensation of an ended process, if its definition names one
 * for the status it ended in, and records it on the process
 * (`compensatedBy`). Part of the cleanup an ended process owes, so it runs
 * before the process leaves the sweep index: a crash anywhere is finished by
 * the sweeper.
 *
 * Exactly once per run: the compensation's id is derived from the ended
 * process's id and run (idempotency key `compensation:<id>:<run>`), so a
 * second call (an ending recorded twice, the sweeper after a crash) finds the
 * process the first one created. A compensation whose input does not match
 * its definition's `inputSchema` cannot start: that is logged and recorded as
 * `compensationError`, and the cleanup goes on, rather than keep the process
 * due for ever.
 *
 * @param tasks The process's task items as the cleanup read them (their COMPLETED outputs go into the input).
 */
export async function startCompensation(deps: AppDeps, process: ProcessItem, def: DefinitionVersionItem, tasks: readonly TaskItem[]): Promise<void> {
  const spec = def.compensation;
  if (!compensatesOn(spec, process.status) || process.sweepAt === undefined) return;
  const fence = { id: process.id, run: process.run, sweepAt: process.sweepAt };
  const input = compensationInput(
    {
      id: process.id,
      definition: process.definition,
      version: process.version,
      input: await deps.processes.getInput({ id: process.id }),
      ...(process.error === undefined ? {} : { error: process.error }),
    },
    tasks.filter((t) => isCompletedTask(t.status)).map((t) => [t.name, t.output ?? null] as const),
  );
  try {
    const { process: started } = await startProcess(
      deps,
      { definition: spec.definition, ...(spec.version === undefined ? {} : { version: spec.version }), input, idempotencyKey: compensationKey(process) },
      { compensates: process.id },
    );
    await deps.processes.recordCompensation({ ...fence, compensatedBy: started.id });
  } catch (error) {
    // Terminal for this compensation: its input will never match, or (definitions are never deleted) it is gone.
    // IdempotencyKeyReused cannot happen while a run's outputs are fixed; should a retry compute another input anyway, what was started stands.
    if (!(error instanceof ValidationError || error instanceof DefinitionNotFoundError || error instanceof IdempotencyKeyReusedError)) throw error;
    // A retry after a crash may check a newer latest version than the first call started: what was started stands.
    const existing = await deps.processes.get({ id: processIdOfKey(compensationKey(process)) });
    if (existing) {
      await deps.processes.recordCompensation({ ...fence, compensatedBy: existing.id });
      return;
    }
    deps.log.error('the compensation could not start', { processId: process.id, definition: spec.definition, error: error.message });
    await deps.processes.recordCompensation({ ...fence, compensationError: error.message });
  }
}

/** The idempotency key of a process's compensation: one per run (a rerun that fails again compensates again). */
export function compensationKey(process: Pick<ProcessItem, 'id' | 'run'>): string {
  return `compensation:${process.id}:${process.run}`;
}
