import { InvalidDefinitionError } from '#domain/errors.ts';
import type { DefinitionSpec, TaskSpec } from '#domain/definition.ts';

/**
 * The graph of a validated definition, with the derived views that the
 * scheduler needs. Every list is in a deterministic order so that runs, tests
 * and recorded histories are reproducible.
 */
export interface Dag {
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** Tasks in a deterministic topological order (declaration order as tie-break). */
  readonly order: readonly string[];
  /** Tasks with no needs, in declaration order. */
  readonly roots: readonly string[];
  /** Tasks that nothing needs, in declaration order. */
  readonly sinks: readonly string[];
  /** Task to the tasks that need it, in declaration order. Every task has an entry. */
  readonly children: ReadonlyMap<string, readonly string[]>;
}

/** Options of {@link findCycles}. */
export interface FindCyclesOptions {
  /** Stop after this many cycles. Validation sets it so a small hostile document cannot produce a huge report. */
  readonly limit?: number;
}

/**
 * Builds the DAG of a validated spec. Iterative throughout, so a 5000-task
 * chain cannot overflow the stack.
 *
 * Throws InvalidDefinitionError when the spec was not validated after all
 * (duplicate names, unknown needs, a cycle): the scheduler must never see a
 * graph it cannot finish.
 *
 * @example
 * const dag = buildDag({ tasks: [
 *   { name: 'B', needs: ['A'], queue: 'default', timeoutSeconds: 300 },
 *   { name: 'A', needs: [], queue: 'default', timeoutSeconds: 300 },
 * ] });
 * dag.order // ['A', 'B']
 * dag.roots // ['A']
 * dag.sinks // ['B']
 */
export function buildDag(spec: DefinitionSpec): Dag {
  const tasks = new Map<string, TaskSpec>();
  const children = new Map<string, string[]>();
  for (const task of spec.tasks) {
    if (tasks.has(task.name)) throw new InvalidDefinitionError([{ message: `duplicate task name '${task.name}'` }]);
    tasks.set(task.name, task);
    children.set(task.name, []);
  }
  // Iterating tasks in declaration order keeps every children list in declaration order.
  for (const task of spec.tasks) {
    for (const need of task.needs) {
      const list = children.get(need);
      if (list === undefined) throw new InvalidDefinitionError([{ message: `task '${task.name}' needs unknown task '${need}'` }]);
      list.push(task.name);
    }
  }
  const order = topologicalOrder(spec.tasks, children);
  if (order.length < spec.tasks.length) {
    const cycles = findCycles(new Map(spec.tasks.map((t) => [t.name, t.needs])), { limit: 10 });
    throw new InvalidDefinitionError(cycles.map((cycle) => ({ message: `cycle: ${cycle.join(' -> ')}` })));
  }
  return {
    tasks,
    order,
    roots: spec.tasks.filter((t) => t.needs.length === 0).map((t) => t.name),
    sinks: spec.tasks.filter((t) => children.get(t.name)?.length === 0).map((t) => t.name),
    children,
  };
}

/**
 * Kahn's algorithm; among ready tasks the earliest declared goes first, so the
 * order is a pure function of the document. Tasks on a cycle never become
 * ready, so a short result means the graph has a cycle.
 */
function topologicalOrder(tasks: readonly TaskSpec[], children: ReadonlyMap<string, readonly string[]>): string[] {
  const indexOf = new Map(tasks.map((t, i) => [t.name, i]));
  const unmet = tasks.map((t) => t.needs.length);
  const ready = new MinHeap();
  unmet.forEach((count, i) => {
    if (count === 0) ready.push(i);
  });
  const order: string[] = [];
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    const task = tasks[i];
    if (task === undefined) continue;
    order.push(task.name);
    for (const child of children.get(task.name) ?? []) {
      const c = indexOf.get(child);
      if (c === undefined) continue;
      const left = (unmet[c] ?? 0) - 1;
      unmet[c] = left;
      if (left === 0) ready.push(c);
    }
  }
  return order;
}

/**
 * Finds cycles with an iterative depth-first search: each back edge closes one
 * elementary cycle, returned as the path it closes, first node repeated at the
 * end (`['A', 'B', 'C', 'A']` when A's edges lead to B, B's to C and C's to A).
 * A self-loop is `['A', 'A']`. Searches start from the map's keys in insertion
 * order and follow edges in list order, so the result is deterministic. The
 * number of cycles is at most the number of edges: a graph with exponentially
 * many elementary cycles does not blow up. Repeated edges count once, and edge
 * targets that are not keys are treated as nodes without edges.
 *
 * @example
 * findCycles(new Map([['A', ['B']], ['B', ['A']], ['C', ['C']]]))
 * // [['A', 'B', 'A'], ['C', 'C']]
 */
export function findCycles(edges: ReadonlyMap<string, readonly string[]>, options: FindCyclesOptions = {}): string[][] {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const finished = new Set<string>();
  const cycles: string[][] = [];
  const reported = new Map<string, Set<string>>();
  for (const start of edges.keys()) {
    if (finished.has(start)) continue;
    // The current DFS path, with each node's position on it and its next edge to follow.
    const path: string[] = [start];
    const onPath = new Map<string, number>([[start, 0]]);
    const cursor: number[] = [0];
    while (path.length > 0) {
      const top = path.length - 1;
      const node = path[top] ?? '';
      const next = edges.get(node) ?? [];
      const i = cursor[top] ?? 0;
      if (i >= next.length) {
        finished.add(node);
        onPath.delete(node);
        path.pop();
        cursor.pop();
        continue;
      }
      cursor[top] = i + 1;
      const target = next[i] ?? '';
      const at = onPath.get(target);
      if (at !== undefined) {
        const seen = reported.get(node) ?? new Set<string>();
        reported.set(node, seen);
        if (seen.has(target)) continue;
        seen.add(target);
        cycles.push([...path.slice(at), target]);
        if (cycles.length >= limit) return cycles;
      } else if (!finished.has(target)) {
        onPath.set(target, path.length);
        path.push(target);
        cursor.push(0);
      }
    }
  }
  return cycles;
}

/** A binary min-heap of declaration indices; enough of a priority queue for Kahn's algorithm. */
class MinHeap {
  private readonly items: number[] = [];

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent] ?? 0;
      if (p <= value) break;
      items[i] = p;
      i = parent;
    }
    items[i] = value;
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && (items[right] ?? 0) < (items[left] ?? 0) ? right : left;
      const c = items[child] ?? 0;
      if (c >= last) break;
      items[i] = c;
      i = child;
    }
    items[i] = last;
    return top;
  }
}
