/** Where a map's items come from: an S3 object of a JSON array (`json`) or of JSON Lines (`jsonl`). */
export interface MapItemsFrom {
  /** A CEL expression over `input` and `upstream`, like `items`, that yields the bucket's name. */
  readonly bucket: string;
  /** A CEL expression that yields the object's key. */
  readonly key: string;
  readonly format?: 'json' | 'jsonl';
}

/** The two sources of a map's items: one or the other. */
export type MapItemsSource =
  | { readonly items: string; readonly itemsFrom?: never }
  | { readonly itemsFrom: MapItemsFrom; readonly items?: never };

/**
 * The `map` key of a task in a definition document: the task runs once per
 * item, each run a child task named `<task>[<index>]`.
 */
export type MapSpec = MapItemsSource & {
  /** Children SCHEDULED or RUNNING at once. The server's default is 100. */
  readonly maxConcurrency?: number;
  /** Failed children, as a percentage of all, that the map tolerates and still completes. */
  readonly toleratedFailurePercent?: number;
  /** Failed children the map tolerates and still completes. */
  readonly toleratedFailureCount?: number;
  /** More items than this fail the map (MapTooLarge). The server's default is 100,000. */
  readonly maxItems?: number;
};

/** The keys of the `map` key, which `.map()` takes among its options. */
export const MAP_KEYS = ['items', 'itemsFrom', 'maxConcurrency', 'toleratedFailurePercent', 'toleratedFailureCount', 'maxItems'] as const;
export type MapKey = (typeof MAP_KEYS)[number];

/**
 * Splits options that mix a task's keys and a map's (as `.map()` takes them)
 * into the task's options and its `map` key, in the order the language lists
 * them; keys left undefined are left out.
 *
 * @example
 * renderMapKey({ queue: 'images', items: 'input.files', maxConcurrency: 50 })
 * // { options: { queue: 'images' }, map: { items: 'input.files', maxConcurrency: 50 } }
 */
export function renderMapKey<T extends Record<string, unknown>>(options: T): { options: Omit<T, MapKey>; map: Partial<Record<MapKey, unknown>> } {
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!(MAP_KEYS as readonly string[]).includes(key)) rest[key] = value;
  const map: Partial<Record<MapKey, unknown>> = {};
  for (const key of MAP_KEYS) if (options[key] !== undefined) map[key] = options[key];
  return { options: rest as Omit<T, MapKey>, map };
}

/** What the renderers read of a definition: a `toDefinition()` document or a stored one from the API. */
export interface RenderableDefinition {
  readonly tasks?: readonly { readonly name: string; readonly needs?: readonly string[]; readonly map?: unknown; readonly process?: unknown; readonly when?: unknown; readonly join?: unknown }[];
  readonly steps?: readonly (string | { readonly name: string; readonly map?: unknown; readonly process?: unknown; readonly when?: unknown; readonly join?: unknown })[];
}

interface GraphTask {
  readonly name: string;
  readonly needs: readonly string[];
  /** A map task: what its items are, for the label (`input.files`, `s3 (jsonl)`), or '' when the key says nothing readable. */
  readonly over?: string;
  /** A process task: the child definition (with its version, if pinned), or '' when the key says nothing readable. */
  readonly child?: string;
  /** Its condition (`when`), drawn on the edges into it (on the task itself for a root). */
  readonly when?: string;
  /** Its join rule, when not the default. */
  readonly join?: string;
}

/** Tasks with their needs; a routine's steps each need the one before. */
function graphOf(def: RenderableDefinition): GraphTask[] {
  if (def.tasks !== undefined) return def.tasks.map((t) => ({ name: t.name, needs: t.needs ?? [], ...overOf(t.map), ...childOf(t.process), ...branchOf(t) }));
  const steps = (def.steps ?? []).map((s) => (typeof s === 'string' ? { name: s } : s));
  return steps.map((s, i) => ({ name: s.name, needs: i === 0 ? [] : [steps[i - 1]?.name ?? ''], ...overOf(s.map), ...childOf(s.process), ...branchOf(s) }));
}

/** A process key as the renderers describe it: the child definition, and its version when pinned. */
function childOf(process: unknown): { child?: string } {
  if (process === undefined || process === null || typeof process !== 'object') return {};
  const { definition, version } = process as { definition?: unknown; version?: unknown };
  if (typeof definition !== 'string') return { child: '' };
  return { child: typeof version === 'number' ? `${definition}@${version}` : definition };
}

/** A task's branch keys as the renderers show them: its condition, and a join rule other than the default. */
function branchOf(t: { readonly when?: unknown; readonly join?: unknown }): { when?: string; join?: string } {
  return {
    ...(typeof t.when === 'string' ? { when: t.when } : {}),
    ...(typeof t.join === 'string' && t.join !== 'allSettled' ? { join: t.join } : {}),
  };
}

/** Long conditions are cut in a drawing (the definition keeps them whole). */
function shortCondition(when: string): string {
  const flat = when.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

/** A map key as the renderers describe it: its items expression, or where in S3 they come from. */
function overOf(map: unknown): { over?: string } {
  if (map === undefined || map === null || typeof map !== 'object') return {};
  const { items, itemsFrom } = map as { items?: unknown; itemsFrom?: { format?: unknown } };
  if (typeof items === 'string') return { over: items };
  if (itemsFrom !== undefined) return { over: `an S3 object${typeof itemsFrom?.format === 'string' ? ` (${itemsFrom.format})` : ''}` };
  return { over: '' };
}

/** `resize`, or for a map task `resize (map over input.files)`; a join rule other than the default, and a root's condition, are added. */
function labelOf(t: GraphTask): string {
  const base =
    t.child !== undefined ? `${t.name} (process${t.child === '' ? '' : ` ${t.child}`})` : t.over === undefined ? t.name : `${t.name} (map${t.over === '' ? '' : ` over ${t.over}`})`;
  const join = t.join === undefined ? '' : ` (join: ${t.join})`;
  const when = t.when !== undefined && t.needs.length === 0 ? ` (when: ${shortCondition(t.when)})` : '';
  return `${base}${join}${when}`;
}

/**
 * A Mermaid flowchart, top to bottom. Nodes get generated ids (`t0`, `t1`, …)
 * so that any task name works as a label. A map task is drawn as a subroutine
 * (`[[…]]`), labelled with what it maps over; a process task as a hexagon
 * (`{{…}}`), labelled with the definition its child process runs. A condition labels the edges into its task
 * (`-- "when: …" -->`; a root's is in its label), and a join rule other than
 * `allSettled` is in the label.
 *
 * @example
 * renderMermaid({ tasks: [{ name: 'A' }, { name: 'B', needs: ['A'] }] })
 * // 'flowchart TD\n  t0["A"]\n  t1["B"]\n  t0 --> t1'
 */
export function renderMermaid(def: RenderableDefinition): string {
  const tasks = graphOf(def);
  const ids = new Map(tasks.map((t, i) => [t.name, `t${i}`]));
  const nodes = tasks.map((t) => {
    if (t.child !== undefined) return `  ${ids.get(t.name)}{{"${mermaidLabel(labelOf(t))}"}}`;
    return t.over === undefined ? `  ${ids.get(t.name)}["${mermaidLabel(labelOf(t))}"]` : `  ${ids.get(t.name)}[["${mermaidLabel(labelOf(t))}"]]`;
  });
  // A condition labels every edge into its task: the branch is taken when it holds.
  const arrow = (t: GraphTask) => (t.when === undefined ? '-->' : `-- "${mermaidLabel(`when: ${shortCondition(t.when)}`)}" -->`);
  const edges = tasks.flatMap((t) => t.needs.map((need) => `  ${ids.get(need) ?? need} ${arrow(t)} ${ids.get(t.name)}`));
  return ['flowchart TD', ...nodes, ...edges].join('\n');
}

/**
 * The DAG as text: tasks by level (a task's level is one more than its
 * deepest need's), declaration order within a level, each with its needs;
 * a map task says what it maps over.
 *
 * @example
 * renderText({ tasks: [{ name: 'A' }, { name: 'B' }, { name: 'C', needs: ['A', 'B'] }] }, 'example')
 * // 'example\n  1. A\n  1. B\n  2. C  ← A, B'
 */
export function renderText(def: RenderableDefinition, title?: string): string {
  const tasks = graphOf(def);
  const level = levels(tasks);
  const ordered = tasks.map((t, i) => ({ ...t, i, level: level.get(t.name) ?? 1 })).sort((a, b) => a.level - b.level || a.i - b.i);
  const lines = ordered.map((t) => {
    const when = t.when !== undefined && t.needs.length > 0 ? `  when ${shortCondition(t.when)}` : '';
    return `  ${t.level}. ${labelOf(t)}${t.needs.length === 0 ? '' : `  ← ${t.needs.join(', ')}`}${when}`;
  });
  return [...(title === undefined ? [] : [title]), ...lines].join('\n');
}

/** Each task's level, by Kahn's algorithm (iterative: a long chain cannot overflow the stack). */
function levels(tasks: readonly { name: string; needs: readonly string[] }[]): Map<string, number> {
  const children = new Map<string, string[]>(tasks.map((t) => [t.name, []]));
  const unmet = new Map(tasks.map((t) => [t.name, t.needs.length]));
  for (const t of tasks) for (const need of t.needs) children.get(need)?.push(t.name);
  const level = new Map<string, number>();
  const ready = tasks.filter((t) => t.needs.length === 0).map((t) => t.name);
  for (const name of ready) level.set(name, 1);
  for (let i = 0, name = ready[0]; name !== undefined; name = ready[++i]) {
    for (const child of children.get(name) ?? []) {
      level.set(child, Math.max(level.get(child) ?? 1, (level.get(name) ?? 1) + 1));
      const left = (unmet.get(child) ?? 0) - 1;
      unmet.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return level;
}

/** Mermaid labels are quoted; a quote inside one is written as an entity. */
function mermaidLabel(name: string): string {
  return name.replace(/"/g, '#quot;');
}
