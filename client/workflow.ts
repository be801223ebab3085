import { z } from 'zod';
// The one reach into the server's code: building a workflow runs the server's own validator, so that
// a workflow that builds is one the server accepts. It is pure (zod, yaml, ajv), so a bundle of the
// client carries it along.
import { checkDefinition } from '../shared/domain/definition.ts';
import { InvalidDefinitionError, type ProblemDetail } from '../shared/domain/errors.ts';
import type { DefinitionDocument, TaskDocument } from '../shared/schemas/definition-schema.ts';
import type { SubProcessDocument } from '../shared/schemas/sub-process-schema.ts';
import { InvalidWorkflowError } from './invalid-workflow-error.ts';
import { MAP_KEYS, renderMapKey, renderMermaid, renderText, type MapKey, type MapSpec } from './render-definition.ts';

/**
 * A task's options in the definition language, other than its name and needs:
 * `queue`, `timeoutSeconds`, and whatever the language gains later. Derived
 * from the server's own document schema, so a new option is available here
 * (and checked the same way) without an edit. The `map` and `process` keys are
 * not among them: a map is declared with {@link Workflow.map}, a sub-process
 * with {@link Workflow.process}, each taking its keys directly.
 */
export type TaskOptions = Omit<TaskDocument, 'name' | 'needs' | 'map' | 'process'>;

/** The definition's own options, other than its tasks and input schema: `description`, and whatever comes later. */
export type WorkflowDocumentOptions = Omit<DefinitionDocument, 'tasks' | 'steps' | 'inputSchema'>;

declare const outputType: unique symbol;
declare const deliveredType: unique symbol;

/**
 * A task of a workflow, as its dependants see it: which workflow, which name,
 * and (as types only) what it returns, `O`, and what a dependant gets, `D`:
 * the output as JSON delivers it, or, for a manual task with an output
 * schema, the output parsed with that schema. Pass it in another task's `needs`.
 */
export interface TaskRef<W extends string = string, N extends string = string, O = unknown, D = Jsonified<O>> {
  readonly workflow: W;
  readonly name: N;
  /** Never set: it carries the task's output type. */
  readonly [outputType]?: O;
  /** Never set: it carries what `upstream` holds for this task. */
  readonly [deliveredType]?: D;
}

type DeliveredOf<R> = R extends TaskRef<string, string, unknown, infer D> ? D : never;

type Unserializable = undefined | symbol | ((...args: never[]) => unknown);

/**
 * What a value becomes on its way through the API (`JSON.stringify`, then
 * `JSON.parse`), which is what a dependant receives: a `Date` becomes a
 * string, properties that are undefined or functions disappear.
 */
export type Jsonified<T> = T extends { toJSON(): infer J }
  ? Jsonified<J>
  : T extends string | number | boolean | null
    ? T
    : T extends readonly unknown[]
      ? { [K in keyof T]: T[K] extends Unserializable ? null : Jsonified<T[K]> }
      : T extends object
        ? JsonifiedObject<T>
        : T extends Unserializable | void
          ? null
          : T;

/** A property that may be undefined may be absent; one that is always undefined, or a function, is gone. */
type JsonifiedObject<T> = Flatten<
  { [K in keyof T as undefined extends T[K] ? never : T[K] extends Unserializable ? never : K]: Jsonified<T[K]> } & {
    [K in keyof T as undefined extends T[K] ? ([Exclude<T[K], Unserializable>] extends [never] ? never : K) : never]?: Jsonified<Exclude<T[K], Unserializable>>;
  }
>;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The outputs of a task's needs, by task name, typed from what each one's handler returns (as it arrives: {@link Jsonified}). */
export type Upstream<Needs extends readonly TaskRef[]> = { readonly [R in Needs[number] as R['name']]: DeliveredOf<R> };

/** What a code-first task's handler gets. */
export interface WorkflowTaskContext<I, U> {
  readonly processId: string;
  readonly task: string;
  /** The claim's attempt: 1, then +1 each time an expired lease is handed out again. */
  readonly attempt: number;
  readonly definition: string;
  readonly version: number;
  /** The process input, parsed with the workflow's `input` schema. */
  readonly input: I;
  /**
   * The output of each task this one needs, by name. A need that a branch
   * SKIPPED (its `when` was false, or its own parents were skipped) is absent,
   * and named in {@link skippedUpstream}: a task that joins branches
   * should check which of its needs ran.
   */
  readonly upstream: U;
  /** The needs that were SKIPPED by a branch (absent from `upstream`); empty when every need ran. */
  readonly skippedUpstream: readonly string[];
  /** Aborts when the worker loses the lease; the result is then dropped. */
  readonly signal: AbortSignal;
}

export type WorkflowTaskHandler<I, U, O> = (task: WorkflowTaskContext<I, U>) => Promise<O> | O;

/** What a map's handler gets, once per child: the task's context plus the child's item and index. */
export interface MapTaskContext<I, U, Item> extends WorkflowTaskContext<I, U> {
  /** This child's item, parsed with the map's `itemSchema` when it has one. */
  readonly item: Item;
  /** The child's zero-based index in the map's items; `task` is `<map>[<index>]`. */
  readonly index: number;
  /** The map task's name. */
  readonly map: string;
}

export type MapTaskHandler<I, U, Item, O> = (task: MapTaskContext<I, U, Item>) => Promise<O> | O;

/**
 * What a map task's dependants get in `upstream`: how many children there
 * were and how they ended, and their outputs in index order (`null` for a
 * failed child) when they fit in 256 KiB; when they do not, `results` is left
 * out, `resultsOmitted` is set, and the children's outputs are read page by
 * page through the API (`GET /processes/{id}/tasks?map=<name>`).
 */
export type MapResult<O> = {
  total: number;
  completed: number;
  failed: number;
  results?: (O | null)[];
  resultsOmitted?: true;
};

/** Options of {@link Workflow.map}: a task's options (with `needs`), the keys of its `map`, and an optional zod schema for the items. */
export type MapTaskOptions<Needs extends readonly TaskRef[], Item> = WorkflowTaskOptions<Needs> &
  MapSpec & {
    /** Each child's item is parsed with it before the handler runs; an item it rejects fails the child at once (`ItemInvalid`). */
    readonly itemSchema?: z.ZodType<Item>;
  };

/** The keys of a map, which a task that is not one cannot take. */
type NoMapKeys = { readonly [K in MapKey | 'map']?: never };

/** Options of {@link Workflow.task}: the language's task options plus `needs`, as task references. */
export type WorkflowTaskOptions<Needs extends readonly TaskRef[]> = TaskOptions & { readonly needs?: Needs };

/** Options of {@link Workflow.manualTask}: a zod schema for the output, which its dependants then get typed (and parsed). */
export type ManualTaskOptions<Needs extends readonly TaskRef[], O> = WorkflowTaskOptions<Needs> & { readonly output?: z.ZodType<O> } & NoMapKeys;

/** Options of {@link workflow}. */
export type WorkflowOptions<S extends z.ZodType> = WorkflowDocumentOptions & {
  /** The process input's schema: it becomes the definition's `inputSchema`, and the worker parses the input with it. */
  readonly input?: S;
};

/** One task as the Worker needs it. */
export interface WorkflowTask {
  readonly name: string;
  readonly needs: readonly TaskRef[];
  readonly options: TaskOptions;
  /** A manual task: people or other systems complete it through the API; no worker runs it. */
  readonly manual: boolean;
  /** Undefined for a manual task. A map's handler runs once per child, and gets `item`, `index` and `map` too. */
  readonly handler?: (task: WorkflowTaskContext<unknown, Record<string, unknown>> & Partial<MapTaskContext<unknown, unknown, unknown>>) => unknown;
  /** A manual task's output schema. */
  readonly output?: z.ZodType;
  /** A map task: its `map` key. */
  readonly map?: MapSpec;
  /** A map task's item schema. */
  readonly itemSchema?: z.ZodType;
  /** A process task: its `process` key (it is `manual` too: no worker runs it, its child process ends it). */
  readonly process?: SubProcessDocument;
}

/**
 * Options of {@link Workflow.process}: the task's options (with `needs`;
 * `queue` aside, a process task has none) and its `process` key's: the child
 * `definition`, an optional `version` (default: the latest when the task
 * starts, then pinned), `input` (a CEL expression over `input` and
 * `upstream`; default: the task's upstream object) and `onParentEnd`.
 */
export type ProcessTaskOptions<Needs extends readonly TaskRef[]> = Omit<WorkflowTaskOptions<Needs>, 'queue'> & SubProcessDocument;

/**
 * A workflow written in TypeScript: its tasks, their options, their needs (as
 * references, so `upstream` is typed from what each parent returns) and their
 * handlers, in one place. {@link toDefinition} gives the definition document,
 * {@link TributaryClient.apply} registers it, and a {@link Worker} given
 * `workflows: [it]` runs its handlers.
 *
 * @example
 * const onboarding = workflow('user-onboarding', { input: z.object({ userId: z.string() }) });
 * const fetchUser = onboarding.task('fetch user', { timeoutSeconds: 5 }, async ({ input }) => ({ id: input.userId, name: 'Ada' }));
 * const fetchSettings = onboarding.task('fetch settings', async () => ({ locale: 'en_GB' }));
 * onboarding.task('email user', { needs: [fetchUser, fetchSettings] }, async ({ upstream }) => {
 *   return `Hello ${upstream['fetch user'].name} (${upstream['fetch settings'].locale})`;
 * });
 * onboarding.toDefinition(); // { inputSchema: {...}, tasks: [{ name: 'fetch user', timeoutSeconds: 5 }, ...] }
 */
export class Workflow<W extends string = string, I = unknown> {
  readonly name: W;
  /** The process input's schema, if any. */
  readonly input: z.ZodType<I> | undefined;
  private readonly documentOptions: WorkflowDocumentOptions;
  private readonly entries: WorkflowTask[] = [];
  private readonly refs = new Set<TaskRef>();

  constructor(name: W, options: WorkflowOptions<z.ZodType<I>> = {}) {
    const { input, ...documentOptions } = options;
    this.name = name;
    this.input = input;
    this.documentOptions = documentOptions;
  }

  /** A task without needs (a root). */
  task<const N extends string, O>(name: N, handler: WorkflowTaskHandler<I, Upstream<[]>, O>): TaskRef<W, N, Awaited<O>>;
  /** A task with options: `needs` (references to tasks of this workflow), `queue`, `timeoutSeconds`, … */
  task<const N extends string, O, const Needs extends readonly TaskRef<W>[] = []>(
    name: N,
    options: WorkflowTaskOptions<Needs>,
    handler: WorkflowTaskHandler<I, Upstream<Needs>, O>,
  ): TaskRef<W, N, Awaited<O>>;
  task(name: string, ...rest: unknown[]): TaskRef {
    const [options, handler] = rest.length >= 2 ? rest : [{}, rest[0]];
    const { needs = [], ...taskOptions } = (options ?? {}) as WorkflowTaskOptions<readonly TaskRef[]>;
    this.refuseMapKeys(name, taskOptions, 'task', 'declare it with .map(name, { items, … }, handler)');
    return this.add({ name, needs, options: taskOptions, manual: false, handler: handler as WorkflowTask['handler'] });
  }

  /**
   * A map task: at run time its items (the CEL expression `items`, or the S3
   * object `itemsFrom`) are listed, and `handler` runs once per item, each run
   * a child task named `<name>[<index>]` with the task's options (retry,
   * timeouts, queue) and the task's `upstream`. At most `maxConcurrency`
   * children are scheduled or running at once. A Worker given this workflow
   * runs the children (its `tasks` name the map: `['resize']`). Dependants get
   * a {@link MapResult} of the handler's outputs.
   *
   * The item type comes from `itemSchema` (which also checks each item), or,
   * without one, as the second type argument; TypeScript then infers nothing
   * else, so also give the output and the needs to type them
   * (`.map<'resize', Item, Output, [typeof listFiles]>`), or they are `unknown`.
   *
   * @example
   * const listFiles = images.task('list-files', async () => ({ files: [{ key: 'a.png' }, { key: 'b.png' }] }));
   * const resize = images.map(
   *   'resize',
   *   { needs: [listFiles], items: "upstream['list-files'].files", maxConcurrency: 50, itemSchema: z.object({ key: z.string() }) },
   *   async ({ item, index }) => ({ key: item.key, index, thumbnail: `thumbs/${item.key}` }),
   * );
   * images.task('report', { needs: [resize] }, ({ upstream }) => `${upstream.resize.completed} of ${upstream.resize.total} resized`);
   */
  map<const N extends string, Item, O, const Needs extends readonly TaskRef<W>[] = []>(
    name: N,
    options: MapTaskOptions<Needs, Item>,
    handler: MapTaskHandler<I, Upstream<Needs>, Item, O>,
  ): TaskRef<W, N, MapResult<Awaited<O>>, MapResult<Jsonified<Awaited<O>>>>;
  /** The item type given as a type argument: `.map<'resize', { key: string }>(…)`. */
  map<const N extends string, Item, O = unknown, const Needs extends readonly TaskRef<W>[] = readonly TaskRef<W>[]>(
    name: N,
    options: MapTaskOptions<Needs, Item>,
    handler: MapTaskHandler<I, Upstream<Needs>, Item, O>,
  ): TaskRef<W, N, MapResult<Awaited<O>>, MapResult<Jsonified<Awaited<O>>>>;
  map(name: string, options: MapTaskOptions<readonly TaskRef[], unknown>, handler: (task: never) => unknown): TaskRef {
    const { needs = [], itemSchema, ...rest } = options;
    if ('map' in rest) {
      throw new InvalidWorkflowError(this.name, [{ message: `map '${name}' takes its map's keys (items, maxConcurrency, …) among its options, not under 'map'` }]);
    }
    const { options: taskOptions, map } = renderMapKey(rest);
    return this.add({
      name,
      needs,
      options: taskOptions as TaskOptions,
      manual: false,
      handler: handler as WorkflowTask['handler'],
      map: map as MapSpec,
      ...(itemSchema === undefined ? {} : { itemSchema }),
    });
  }

  /**
   * A task no worker runs: a person or another system completes it through
   * the API (e.g. a form submission). Give `output` a zod schema to type (and
   * parse) what its dependants get: a Worker parses the output with it, so
   * dependants see the schema's output type, transforms included.
   */
  manualTask<const N extends string, O = unknown, const Needs extends readonly TaskRef<W>[] = []>(
    name: N,
    options: ManualTaskOptions<Needs, O> = {},
  ): TaskRef<W, N, O, O> {
    const { needs = [], output, ...taskOptions } = options;
    this.refuseMapKeys(name, taskOptions, 'manual task', 'a map runs one child per item, which workers run (a child can still be completed by hand through the API)');
    return this.add({ name, needs, options: taskOptions, manual: true, ...(output === undefined ? {} : { output }) }) as TaskRef<W, N, O, O>;
  }

  /**
   * A process task: when it becomes ready, one child process of `definition`
   * starts, and the task runs (no worker) until the child ends. Dependants get
   * `{<sink>: <output>}` of the child's sinks; a child that fails or is
   * cancelled fails the task (ChildProcessFailed), and a retry reruns the
   * child from its failure. Ending the parent cancels the child, unless
   * `onParentEnd: 'abandon'`.
   *
   * @example
   * const openAccount = onboarding.task('open-account', async () => ({ customer: 'c-1' }));
   * onboarding.process('kyc', { needs: [openAccount], definition: 'kyc-check', input: "{'customer': upstream['open-account'].customer}" });
   */
  process<const N extends string, const Needs extends readonly TaskRef<W>[] = []>(name: N, options: ProcessTaskOptions<Needs>): TaskRef<W, N, Record<string, unknown>> {
    const { needs = [], definition, version, input, onParentEnd, ...taskOptions } = options;
    this.refuseMapKeys(name, taskOptions, 'process task', 'a task runs a sub-process or a map, not both');
    const process: SubProcessDocument = {
      definition,
      ...(version === undefined ? {} : { version }),
      ...(input === undefined ? {} : { input }),
      ...(onParentEnd === undefined ? {} : { onParentEnd }),
    };
    return this.add({ name, needs, options: taskOptions, manual: true, process }) as TaskRef<W, N, Record<string, unknown>>;
  }

  /** The tasks in declaration order. For the Worker and for tools; the document is {@link toDefinition}. */
  get tasks(): readonly WorkflowTask[] {
    return this.entries;
  }

  /**
   * The definition document, checked with the server's validator. A task's
   * needs come from its references, `inputSchema` from the `input` zod schema.
   *
   * @throws InvalidWorkflowError listing every problem at once, each at its path in the document.
   */
  toDefinition(): DefinitionDocument {
    const problems: ProblemDetail[] = [];
    const inputSchema = this.inputSchema(problems);
    const tasks = this.entries.map((entry, i) => {
      entry.needs.forEach((need, j) => {
        if (!this.refs.has(need)) {
          const message = `task '${entry.name}' needs '${need.name}' of workflow '${need.workflow}'; a task can only need tasks of its own workflow`;
          problems.push({ path: `tasks[${i}].needs[${j}]`, message });
        }
      });
      if (!entry.manual && typeof entry.handler !== 'function') {
        problems.push({ path: `tasks[${i}]`, message: `task '${entry.name}' has no handler (declare it with manualTask if no worker runs it)` });
      }
      const needs = entry.needs.map((n) => n.name);
      return { name: entry.name, ...(needs.length === 0 ? {} : { needs }), ...entry.options, ...(entry.map === undefined ? {} : { map: entry.map }), ...(entry.process === undefined ? {} : { process: entry.process }) };
    });
    const doc = { ...this.documentOptions, ...(inputSchema === undefined ? {} : { inputSchema }), tasks } as DefinitionDocument;
    try {
      checkDefinition(doc);
    } catch (error) {
      if (!(error instanceof InvalidDefinitionError)) throw error;
      problems.push(...error.details);
    }
    if (problems.length > 0) throw new InvalidWorkflowError(this.name, problems);
    return doc;
  }

  /** A Mermaid flowchart of the DAG, for Markdown that renders Mermaid (GitHub does). */
  toMermaid(): string {
    return renderMermaid(this.toDefinition());
  }

  /** The DAG as text: one line per task, by level, with what it needs. */
  toText(): string {
    return renderText(this.toDefinition(), this.name);
  }

  private inputSchema(problems: ProblemDetail[]): Record<string, unknown> | undefined {
    if (this.input === undefined) return undefined;
    try {
      // The input as a caller sends it (before transforms), which is what the server checks.
      return z.toJSONSchema(this.input, { io: 'input' }) as Record<string, unknown>;
    } catch (error) {
      problems.push({ path: 'inputSchema', message: `the input schema cannot be written as JSON Schema: ${(error as Error).message}` });
      return undefined;
    }
  }

  /** A JavaScript caller (or a cast) can still pass a map's keys to `task` or `manualTask`: say what to do instead. */
  private refuseMapKeys(name: string, options: object, kind: string, instead: string): void {
    const keys = Object.keys(options).filter((k) => k === 'map' || (MAP_KEYS as readonly string[]).includes(k));
    if (keys.length > 0) {
      throw new InvalidWorkflowError(this.name, [{ message: `${kind} '${name}' cannot be a map (it was given ${keys.map((k) => `'${k}'`).join(', ')}): ${instead}` }]);
    }
  }

  private add(entry: WorkflowTask): TaskRef {
    const ref: TaskRef = { workflow: this.name, name: entry.name };
    this.entries.push(entry);
    this.refs.add(ref);
    return ref;
  }
}

/**
 * Starts a code-first workflow; see {@link Workflow}. Give it a literal name:
 * the name is part of its tasks' types, which is what makes needing another
 * workflow's task a type error.
 *
 * @example
 * const onboarding = workflow('user-onboarding', { input: z.object({ userId: z.string() }), description: 'welcome a new user' });
 */
export function workflow<const W extends string, S extends z.ZodType = z.ZodUnknown>(name: W, options: WorkflowOptions<S> = {}): Workflow<W, z.output<S>> {
  return new Workflow<W, z.output<S>>(name, options as WorkflowOptions<z.ZodType<z.output<S>>>);
}
