/**
 * A child of a map task: the map's name and the child's zero-based index.
 * The child itself is the task named `<map>[<index>]`, e.g. `resize[41]`.
 */
export interface MapChild {
  readonly map: string;
  readonly index: number;
}

/** `<map>[<index>]`: the name up to the last `[`, then a whole number without leading zeros. */
const CHILD_TASK = /^(.+)\[(0|[1-9][0-9]*)\]$/s;

/**
 * The map and index a child's task name spells, or undefined for a name that
 * is not `<map>[<index>]`.
 *
 * @example
 * parseChildTask('resize[41]'); // { map: 'resize', index: 41 }
 * parseChildTask('resize');     // undefined
 */
export function parseChildTask(task: string): MapChild | undefined {
  const match = CHILD_TASK.exec(task);
  if (!match) return undefined;
  const index = Number(match[2]);
  return Number.isSafeInteger(index) ? { map: match[1]!, index } : undefined;
}

/**
 * The map a task message's task is a child of: the message's own `map` (and
 * `index`) fields, which the server sets on every child's message, else what
 * its task name spells (a message from a server that does not set them).
 *
 * @example
 * mapChildOf({ task: 'resize[41]', map: 'resize', index: 41 }); // { map: 'resize', index: 41 }
 * mapChildOf({ task: 'Decide' });                               // undefined
 */
export function mapChildOf(message: { readonly task: string; readonly map?: string | undefined; readonly index?: number | undefined }): MapChild | undefined {
  const parsed = parseChildTask(message.task);
  if (message.map === undefined) return parsed;
  const index = message.index ?? parsed?.index;
  return index === undefined ? undefined : { map: message.map, index };
}

/**
 * Whether a worker's list of task names (its `tasks`, or its `manualTasks`)
 * covers a message: a child of a map by the map's name only (`['resize']`
 * covers `resize[0]`, `resize[1]`, …), any other task by its own name.
 *
 * @example
 * coversTask(['resize'], { task: 'resize[3]', map: 'resize', index: 3 }); // true
 * coversTask(['resize[3]'], { task: 'resize[3]', map: 'resize', index: 3 }); // false: see checkTaskNames
 */
export function coversTask(names: readonly string[], message: { readonly task: string; readonly map?: string | undefined; readonly index?: number | undefined }): boolean {
  const child = mapChildOf(message);
  return names.includes(child === undefined ? message.task : child.map);
}

/**
 * Refuses a worker's task list that names one child of a map (`resize[3]`):
 * a worker runs every child of a map or none, so it lists the map (`resize`).
 * Such a name would otherwise match nothing, and its messages would be passed
 * on forever.
 *
 * @throws RangeError naming the map to list instead.
 */
export function checkTaskNames(option: 'tasks' | 'manualTasks', names: readonly string[] | undefined): void {
  for (const name of names ?? []) {
    const child = parseChildTask(name);
    if (child !== undefined) {
      throw new RangeError(
        `${option}: '${name}' names one child of map '${child.map}'; a worker runs every child of a map or none, so list the map: '${child.map}'`,
      );
    }
  }
}
