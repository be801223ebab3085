import { DefinitionNotFoundError, ExpressionError, IdempotencyKeyReusedError, TributaryError, ValidationError } from '#domain/errors.ts';
import { evaluateExpression } from '#domain/expressions.ts';
import { childProcessKey } from '#domain/sub-process-spec.ts';
import { isCompletedProcess, isEndedProcess, isScheduledTask } from '#domain/status-predicates.ts';
import type { DefinitionVersionItem, ProcessItem, TaskError, TaskItem } from '#schemas/items.ts';
import { MAX_PROCESS_DEPTH, type SubProcessSpec } from '#schemas/sub-process-schema.ts';
import { cancelChildProcess } from './child-cancel.ts';
import { endParentTask } from './child-end.ts';
import type { AppDeps } from './deps.ts';
import { dagOf, getDefinition } from './definitions.ts';
import { followUpFailed } from './end-task.ts';
import type { UpstreamResult } from './ports.ts';
import { rerunProcess } from './rerun-process.ts';
import { failureSettles } from './settles.ts';
import { processIdOfKey, startProcess } from './start-process.ts';
import { instant } from './timestamps.ts';

/**
 * Starts the child process of a process task that was just scheduled,
 * without letting a failure reach the caller (the call that made the task
 * ready): the task is on the sweep index (reason `childStart`) and the
 * sweeper starts the child then.
 */
export async function startChildBestEffort(deps: AppDeps, processId: string, task: string): Promise<void> {
  try {
    const item = await deps.tasks.get({ processId, task });
    if (item) await startChild(deps, processId, item);
  } catch (error) {
    deps.log.warn('child process not started; the sweeper will start it', { processId, task, error: String(error) });
  }
}

/**
 * The start of a SCHEDULED process task's child, exactly once per attempt of
 * the task, however often it is called (the scheduling call, the sweeper, a
 * crash between any two calls):
 * 1. The child's id is derived from the parent's id and the task
 *    ({@link childProcessKey}), so the start's conditional put finds the child
 *    a first call created. Its version is the one named, or the latest at
 *    this first start; the child keeps it (pinned).
 * 2. A later attempt (a retry) or run (a rerun of the parent) of the task
 *    reruns that same child from its failure: the task item remembers the
 *    child's run its last attempt waited for (`childRun`); a child still on
 *    that run and ended is rerun (the rerun's reopening is locked on the
 *    child's version, so two callers rerun it once), and one on a later run
 *    was rerun by a call that died since.
 * 3. The task moves SCHEDULED to RUNNING with `childProcessId` (row
 *    `startChild`, guarded on the run and attempt read): no lease, no worker.
 *    Should the task have moved on meanwhile (its process ended and cancelled
 *    it), a child it would have run is cancelled, as its parent's end would have.
 * A child deeper than {@link MAX_PROCESS_DEPTH} is never started: the task
 * fails with ProcessDepthExceeded. An input that does not evaluate, or that
 * the child's definition refuses, fails it too (ChildInputInvalid): neither
 * can succeed on a retry.
 */
export async function startChild(deps: AppDeps, processId: string, item: TaskItem): Promise<void> {
  if (!isScheduledTask(item.status) || item.definition === undefined || item.version === undefined) return;
  const def = await getDefinition(deps, item.definition, item.version);
  const spec = dagOf(def).tasks.get(item.name)?.process;
  const parent = await deps.processes.get({ id: processId });
  if (!spec || !parent || isEndedProcess(parent.status)) return;
  const run = item.run ?? 1;
  const attempt = item.attempt ?? 1;
  const depth = (parent.depth ?? 0) + 1;
  if (depth > MAX_PROCESS_DEPTH) {
    const message = `the child process would be nested ${depth} deep; processes nest at most ${MAX_PROCESS_DEPTH} deep`;
    await failUnstarted(deps, processId, def, item, { code: 'ProcessDepthExceeded', message });
    return;
  }
  const key = childProcessKey(processId, item.name);
  const childId = processIdOfKey(key);
  let child = await deps.processes.get({ id: childId });
  if (!child) {
    const started = await createChild(deps, parent, item, spec, key, depth);
    if ('error' in started) {
      await failUnstarted(deps, processId, def, item, started.error);
      return;
    }
    child = started.child;
  } else if (item.childRun !== undefined && child.run === item.childRun && isEndedProcess(child.status)) {
    child = await rerunChild(deps, child);
  }
  if (!child) return;
  const at = instant(deps);
  if (await deps.subProcesses.start({ processId, task: item.name, run, attempt, childProcessId: child.id, childRun: child.run, iso: at.iso })) {
    // A child that ended inside this call (past the depth limit, say) found its task still starting: it waits on
    // the sweep index, and the task takes its ending now rather than a grace period later.
    if (isEndedProcess(child.status)) await endParentTask(deps, child);
    return;
  }
  // The task moved on: its process ended and cancelled it. The child it would have run goes with it.
  if (spec.onParentEnd === 'cancel') await cancelChildProcess(deps, child.id, processId);
}

/** The child's first start: its input evaluated, then the idempotent start. An error answered is the task's to fail with. */
async function createChild(
  deps: AppDeps,
  parent: ProcessItem,
  item: TaskItem,
  spec: SubProcessSpec,
  key: string,
  depth: number,
): Promise<{ child: ProcessItem | undefined } | { error: TaskError }> {
  const needs = dagOf(await getDefinition(deps, parent.definition, parent.version)).tasks.get(item.name)?.needs ?? [];
  const [input, upstreamResults] = await Promise.all([
    deps.processes.getInput({ id: parent.id }),
    needs.length > 0 ? deps.tasks.getUpstream({ processId: parent.id, tasks: needs }) : Promise.resolve(new Map<string, UpstreamResult>()),
  ]);
  const upstream = Object.fromEntries([...upstreamResults.entries()].map(([name, r]) => [name, r.failed ? null : r.output]));
  let childInput: unknown = upstream;
  if (spec.input !== undefined) {
    try {
      childInput = evaluateExpression(spec.input, 'subProcessInput', { input, upstream });
    } catch (error) {
      if (error instanceof ExpressionError) return { error: { code: 'ChildInputInvalid', message: error.message } };
      throw error;
    }
  }
  try {
    await startProcess(
      deps,
      { definition: spec.definition, ...(spec.version === undefined ? {} : { version: spec.version }), input: childInput, idempotencyKey: key },
      { parent: { processId: parent.id, task: item.name }, depth },
    );
  } catch (error) {
    // A retry after a crash may hash another latest version or input than the start it repeats: what was started stands.
    if (error instanceof IdempotencyKeyReusedError) return { child: await deps.processes.get({ id: processIdOfKey(key) }) };
    if (error instanceof ValidationError || error instanceof DefinitionNotFoundError) {
      return { error: { code: 'ChildInputInvalid', message: `the child process of '${item.name}' cannot start: ${error.message}` } };
    }
    throw error;
  }
  return { child: await deps.processes.get({ id: processIdOfKey(key) }) };
}

/**
 * The child reruns for the task's new attempt or run: from its failure when
 * it FAILED or was CANCELLED, whole (from its roots) when it COMPLETED (the
 * parent reran from this task). A rerun lost to another caller's is found on
 * the next read.
 */
async function rerunChild(deps: AppDeps, child: ProcessItem): Promise<ProcessItem | undefined> {
  try {
    const fromTasks = isCompletedProcess(child.status) ? dagOf(await getDefinition(deps, child.definition, child.version)).roots : [];
    await rerunProcess(deps, child.id, fromTasks.length === 0 ? {} : { fromTasks }, { known: child });
  } catch (error) {
    if (!(error instanceof TributaryError)) throw error;
    deps.log.warn('child process rerun refused; reading it again', { processId: child.id, error: error.message });
  }
  const now = await deps.processes.get({ id: child.id });
  // Still on the run it was: not rerun (yet). The task stays SCHEDULED and the sweeper tries again.
  return now && now.run > child.run ? now : undefined;
}

/** A process task whose child cannot start fails for good, unclaimed; its failure policy applies. */
async function failUnstarted(deps: AppDeps, processId: string, def: DefinitionVersionItem, item: TaskItem, error: TaskError): Promise<void> {
  const at = instant(deps);
  const run = item.run ?? 1;
  const end = { processId, task: item.name, run, iso: at.iso, now: at.now, expiresAt: at.expiresAt, held: item.held === true };
  const result = await deps.tasks.fail({ end, error, event: 'failManual', settles: failureSettles(def, dagOf(def), item.name) });
  if (result.ok && item.held !== true) await followUpFailed(deps, processId, item.name, {}, run);
}
