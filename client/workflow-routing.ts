import { isTributaryApiError } from './errors.ts';
import { InvalidWorkflowError, type WorkflowProblem } from './invalid-workflow-error.ts';
import { mapChildOf } from './map-child.ts';
import { NonRetryableTaskError } from './task-failures.ts';
import type { TributaryClient } from './tributary-client.ts';
import type { TaskHandler } from './worker.ts';
import type { Workflow, WorkflowTask } from './workflow.ts';

/** What a Worker takes from its workflows. */
export interface WorkflowRouting {
  /** Runs the handler of the claimed task's workflow and task (a child of a map: the map's), with the input parsed and upstream passed on. */
  readonly handler: TaskHandler;
  /** Every task some workflow has a handler for; a map's name stands for its children. */
  readonly tasks: readonly string[];
  /** Every manual task: no worker runs them. */
  readonly manualTasks: readonly string[];
}

/**
 * Builds a Worker's routing from code-first workflows. Each workflow is built
 * (and so validated) here, so a worker with a broken workflow fails at once.
 *
 * @throws InvalidWorkflowError when a workflow does not build, or two share a name.
 */
export function routeWorkflows(workflows: readonly Workflow[]): WorkflowRouting {
  if (workflows.length === 0) throw new RangeError('workflows, when given, must hold at least one workflow');
  const byName = new Map<string, { workflow: Workflow; tasks: Map<string, WorkflowTask> }>();
  for (const wf of workflows) {
    wf.toDefinition();
    if (byName.has(wf.name)) throw new InvalidWorkflowError(wf.name, [{ message: `two workflows are named '${wf.name}'; a worker runs each definition from one workflow` }]);
    byName.set(wf.name, { workflow: wf, tasks: new Map(wf.tasks.map((t) => [t.name, t])) });
  }
  const all = workflows.flatMap((wf) => wf.tasks);
  const handled = new Set(all.filter((t) => !t.manual).map((t) => t.name));
  const clashes = [...new Set(all.filter((t) => t.manual && handled.has(t.name)).map((t) => t.name))];
  if (clashes.length > 0) {
    // The Worker routes messages by task name: a manual task's messages are deleted on sight.
    const details = clashes.map((name) => ({ message: `task '${name}' is manual in one workflow and has a handler in another; run these workflows in separate workers` }));
    throw new InvalidWorkflowError(workflows.map((wf) => wf.name).join(', '), details);
  }
  const handler: TaskHandler = async (ctx) => {
    const route = byName.get(ctx.definition);
    // A child of a map runs its map's handler: by the claim's `map`, else by its name, `<map>[<index>]`.
    const own = ctx.map === undefined ? route?.tasks.get(ctx.task) : undefined;
    const child = own === undefined ? mapChildOf(ctx) : undefined;
    const task = own ?? (child === undefined ? undefined : route?.tasks.get(child.map));
    if (route === undefined || task?.handler === undefined) {
      throw new Error(`this worker has no handler for task '${ctx.task}' of definition '${ctx.definition}'`);
    }
    if ((task.map === undefined) !== (child === undefined)) {
      throw new NonRetryableTaskError(
        task.map === undefined
          ? `task '${ctx.task}' is a child of '${task.name}', which this workflow declares as a task, not a map: apply the workflow again`
          : `task '${ctx.task}' is the map itself: workers run its children ('${task.name}[0]', …), which the server schedules`,
        { code: 'MapMismatch' },
      );
    }
    const { workflow } = route;
    const input = workflow.input === undefined ? ctx.input.process : workflow.input.parse(ctx.input.process);
    const upstream: Record<string, unknown> = { ...ctx.input.upstream };
    const skippedUpstream = ctx.input.skippedUpstream ?? [];
    for (const need of task.needs) {
      // A need a branch skipped is absent: there is nothing to parse.
      if (skippedUpstream.includes(need.name)) continue;
      // A manual task's output comes from outside: parse it with its schema, as the input is.
      const schema = route.tasks.get(need.name)?.output;
      if (schema !== undefined) upstream[need.name] = schema.parse(upstream[need.name]);
    }
    const { processId, attempt, definition, version, signal } = ctx;
    const base = { processId, task: ctx.task, attempt, definition, version, input, upstream, skippedUpstream, signal };
    if (child === undefined) return task.handler(base);
    return task.handler({ ...base, map: child.map, index: child.index, item: parseItem(task, child.index, ctx) });
  };
  return {
    handler,
    tasks: [...handled],
    manualTasks: [...new Set(all.filter((t) => t.manual).map((t) => t.name))],
  };
}

/** A child's item, parsed with its map's schema: an item the schema rejects will not pass on a retry either. */
function parseItem(task: WorkflowTask, index: number, ctx: Parameters<TaskHandler>[0]): unknown {
  if (task.itemSchema === undefined) return ctx.item;
  const parsed = task.itemSchema.safeParse(ctx.item);
  if (parsed.success) return parsed.data;
  throw new NonRetryableTaskError(`item ${index} of map '${task.name}' does not match its itemSchema: ${parsed.error.message}`, {
    code: 'ItemInvalid',
    details: parsed.error.issues,
    cause: parsed.error,
  });
}

/**
 * Compares each workflow with the latest version the server has: a task of
 * that definition that the workflow neither handles nor declares manual is an
 * error now, rather than a task whose messages no worker ever takes.
 *
 * @throws InvalidWorkflowError listing every such task, or every workflow that is not registered.
 */
export async function checkWorkflowsRegistered(client: TributaryClient, workflows: readonly Workflow[]): Promise<void> {
  for (const wf of workflows) {
    const problems: WorkflowProblem[] = [];
    try {
      const stored = await client.getDefinition(wf.name);
      const known = new Set(wf.tasks.map((t) => t.name));
      for (const task of stored.tasks) {
        if (!known.has(task.name)) {
          problems.push({ message: `task '${task.name}' of definition '${wf.name}' version ${stored.version} has no handler in this workflow; apply the workflow again, or add the task` });
        }
      }
    } catch (error) {
      if (!isTributaryApiError(error, 'DefinitionNotFound')) throw error;
      problems.push({ message: `definition '${wf.name}' is not registered: call client.apply(workflow) first` });
    }
    if (problems.length > 0) throw new InvalidWorkflowError(wf.name, problems);
  }
}
