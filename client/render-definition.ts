/** What the renderers read of a definition: a `toDefinition()` document or a stored one from the API. */
export interface RenderableDefinition {
  readonly tasks?: readonly { readonly name: string; readonly needs?: readonly string[] }[];
  readonly steps?: readonly (string | { readonly name: string })[];
}

/** Tasks with their needs; a routine's steps each need the one before. */
function graphOf(def: RenderableDefinition): { name: string; needs: readonly string[] }[] {
  if (def.tasks !== undefined) return def.tasks.map((t) => ({ name: t.name, needs: t.needs ?? [] }));
  const names = (def.steps ?? []).map((s) => (typeof s === 'string' ? s : s.name));
  return names.map((name, i) => ({ name, needs: i === 0 ? [] : [names[i - 1] ?? ''] }));
}

/**
 * A Mermaid flowchart, top to bottom. Nodes get generated ids (`t0`, `t1`, …)
 * so that any task name works as a label.
 *
 * @example
 * renderMermaid({ tasks: [{ name: 'A' }, { name: 'B', needs: ['A'] }] })
 * // 'flowchart TD\n  t0["A"]\n  t1["B"]\n  t0 --> t1'
 */
export function renderMermaid(def: RenderableDefinition): string {
  const tasks = graphOf(def);
  const ids = new Map(tasks.map((t, i) => [t.name, `t${i}`]));
  const nodes = tasks.map((t) => `  ${ids.get(t.name)}["${mermaidLabel(t.name)}"]`);
  const edges = tasks.flatMap((t) => t.needs.map((need) => `  ${ids.get(need) ?? need} --> ${ids.get(t.name)}`));
  return ['flowchart TD', ...nodes, ...edges].join('\n');
}

/**
 * The DAG as text: tasks by level (a task's level is one more than its
 * deepest need's), declaration order within a level, each with its needs.
 *
 * @example
 * renderText({ tasks: [{ name: 'A' }, { name: 'B' }, { name: 'C', needs: ['A', 'B'] }] }, 'example')
 * // 'example\n  1. A\n  1. B\n  2. C  ← A, B'
 */
export function renderText(def: RenderableDefinition, title?: string): string {
  const tasks = graphOf(def);
  const level = levels(tasks);
  const ordered = tasks.map((t, i) => ({ ...t, i, level: level.get(t.name) ?? 1 })).sort((a, b) => a.level - b.level || a.i - b.i);
  const lines = ordered.map((t) => `  ${t.level}. ${t.name}${t.needs.length === 0 ? '' : `  ← ${t.needs.join(', ')}`}`);
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
