import { taskLimitKeysOf, TaskLimitKeyError, type TaskLimitKeys } from '#domain/task-limits.ts';
import type { DefinitionVersionItem, TaskError, TaskItem } from '#schemas/items.ts';
import type { TaskSpec } from '#schemas/definition-schema.ts';
import type { AppDeps } from './deps.ts';
import { dagOf } from './definitions.ts';

/**
 * The keys of a task's `concurrency` and `rateLimit` (issue 18) are evaluated
 * when the task is scheduled, over the process input and its needs' outputs,
 * and recorded on the task (`concurrencyKey`, `rateKey`) with its scheduling
 * write: its claims take the slots of the recorded keys. A key that cannot be
 * evaluated fails the task before it is scheduled (`ConcurrencyKeyError`), as
 * a failing `when` does. Only a limited task pays the reads (the input and
 * the needs' outputs).
 */

/** What scheduling does with a limited task: record its keys, or fail it. */
export type LimitKeysAtScheduling = { readonly kind: 'keys'; readonly keys: TaskLimitKeys } | { readonly kind: 'fail'; readonly error: TaskError };

/** The keys of `task` for this process, or why they fail; undefined for a task without limits. */
export async function limitKeysAtScheduling(deps: AppDeps, def: DefinitionVersionItem, processId: string, task: string): Promise<LimitKeysAtScheduling | undefined> {
  const spec = dagOf(def).tasks.get(task);
  if (spec === undefined || (spec.concurrency === undefined && spec.rateLimit === undefined)) return undefined;
  const input = await deps.processes.getInput({ id: processId });
  try {
    return { kind: 'keys', keys: await evaluateLimitKeys(deps, processId, spec, input) };
  } catch (error) {
    if (!(error instanceof TaskLimitKeyError)) throw error;
    return { kind: 'fail', error: { code: error.code, message: `the limit key of task '${task}' failed: ${error.message}` } };
  }
}

/**
 * The keys a claim uses: those recorded at scheduling when every limit of the
 * task has one (a task scheduled before keys were recorded has none, and a
 * `maxParallel` waiter whose key failed: its keys are evaluated at its claim,
 * to the same values, since input and needs' outputs do not change once it is ready).
 */
export function recordedLimitKeys(spec: Pick<TaskSpec, 'concurrency' | 'rateLimit'>, item: Pick<TaskItem, 'concurrencyKey' | 'rateKey'>): TaskLimitKeys | undefined {
  if (spec.concurrency !== undefined && item.concurrencyKey === undefined) return undefined;
  if (spec.rateLimit !== undefined && item.rateKey === undefined) return undefined;
  return {
    ...(spec.concurrency === undefined ? {} : { concurrencyKey: item.concurrencyKey }),
    ...(spec.rateLimit === undefined ? {} : { rateKey: item.rateKey }),
  };
}

/** The keys' values over the input and the needs' outputs (a failed need's output is null). @throws TaskLimitKeyError */
export async function evaluateLimitKeys(deps: AppDeps, processId: string, spec: TaskSpec, input: unknown): Promise<TaskLimitKeys> {
  const needs = spec.needs;
  const outputs = needs.length > 0 ? await deps.tasks.getUpstream({ processId, tasks: needs }) : new Map();
  const upstream: Record<string, unknown> = {};
  for (const need of needs) {
    const r = outputs.get(need);
    upstream[need] = r && !r.failed ? (r.output ?? null) : null;
  }
  return taskLimitKeysOf(spec, { input, upstream });
}
