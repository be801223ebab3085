/** One node of a DAG to draw: a task, its needs, its branch keys, and for a process its status (and why it was skipped). */
export interface GraphTask {
  readonly name: string;
  readonly needs: readonly string[];
  readonly status?: string;
  /** A process task of a definition: its `process` key (the child definition). */
  readonly process?: { readonly definition?: string; readonly version?: number };
  /** A process task of a running process: its child process, once started. */
  readonly childProcessId?: string;
  /** Its condition: drawn on the edges into it (in its label for a root). */
  readonly when?: string;
  /** Its join rule; `allSettled`, the default, is not shown. */
  readonly join?: string;
  /** A branch's reason for SKIPPED (ConditionFalse, UpstreamSkipped). */
  readonly skipReason?: string;
}

/** A process task: drawn as a distinct shape, labelled with its child's definition or id. */
function childOf(t: GraphTask): string | undefined {
  if (t.process !== undefined) return `process ${t.process.definition ?? ''}${t.process.version === undefined ? '' : `@${t.process.version}`}`;
  if (t.childProcessId !== undefined) return `child ${t.childProcessId}`;
  return undefined;
}

/** A condition as a drawing shows it: on one line, cut at 60 characters. */
function shortCondition(when: string): string {
  const flat = when.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

/** The name, a join rule other than the default, a root's condition, and a process's status (with a branch's skip reason). */
function labelOf(t: GraphTask): string {
  const join = t.join !== undefined && t.join !== 'allSettled' ? ` (join: ${t.join})` : '';
  const when = t.when !== undefined && t.needs.length === 0 ? ` (when: ${shortCondition(t.when)})` : '';
  const status = t.status ? ` [${t.status}${t.skipReason ? `: ${t.skipReason}` : ''}]` : '';
  const child = childOf(t);
  return `${t.name}${child === undefined ? '' : ` (${child})`}${join}${when}${status}`;
}

export type GraphFormat = 'text' | 'mermaid' | 'dot';

/** Each task's level: 0 for roots, else one more than its deepest need. */
function levels(tasks: readonly GraphTask[]): Map<string, number> {
  const byName = new Map(tasks.map((t) => [t.name, t]));
  const level = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = level.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0; // a stored definition has no cycles; stay safe anyway
    seen.add(name);
    const needs = byName.get(name)?.needs ?? [];
    const value = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => visit(n, seen)));
    level.set(name, value);
    return value;
  };
  for (const t of tasks) visit(t.name, new Set());
  return level;
}

const STATUS_MARK: Readonly<Record<string, string>> = {
  COMPLETED: '✔',
  RUNNING: '▶',
  SCHEDULED: '…',
  PENDING: '·',
  FAILED: '✘',
  CANCELLED: '⊘',
  SKIPPED: '↷',
};

const STATUS_COLOR: Readonly<Record<string, string>> = {
  COMPLETED: '#b7e4c7',
  RUNNING: '#a9d6f5',
  SCHEDULED: '#fff3b0',
  PENDING: '#eeeeee',
  FAILED: '#f4a6a6',
  CANCELLED: '#d0d0d0',
  SKIPPED: '#e0e0e0',
};

/**
 * Draws a DAG as indented text (by level), a Mermaid flowchart or Graphviz
 * dot. With statuses (a process), every task is marked with its status.
 *
 * @example
 * renderGraph([{ name: 'A', needs: [] }, { name: 'B', needs: ['A'] }], 'mermaid');
 */
export function renderGraph(tasks: readonly GraphTask[], format: GraphFormat, title?: string): string {
  const ids = new Map(tasks.map((t, i) => [t.name, `t${i}`]));
  const label = labelOf;
  if (format === 'mermaid') {
    const lines = ['flowchart TD'];
    // A process task is a hexagon: it runs a child process, not a worker's handler.
    for (const t of tasks) lines.push(childOf(t) === undefined ? `  ${ids.get(t.name)}["${escapeMermaid(label(t))}"]` : `  ${ids.get(t.name)}{{"${escapeMermaid(label(t))}"}}`);
    // A condition labels every edge into its task.
    const arrow = (t: GraphTask) => (t.when === undefined ? '-->' : `-- "${escapeMermaid(`when: ${shortCondition(t.when)}`)}" -->`);
    for (const t of tasks) for (const need of t.needs) lines.push(`  ${ids.get(need)} ${arrow(t)} ${ids.get(t.name)}`);
    const statuses = [...new Set(tasks.map((t) => t.status).filter((s): s is string => s !== undefined))];
    for (const s of statuses) {
      lines.push(`  classDef ${s.toLowerCase()} fill:${STATUS_COLOR[s] ?? '#ffffff'}`);
      lines.push(`  class ${tasks.filter((t) => t.status === s).map((t) => ids.get(t.name)).join(',')} ${s.toLowerCase()}`);
    }
    return lines.join('\n');
  }
  if (format === 'dot') {
    const lines = [`digraph ${JSON.stringify(title ?? 'tributary')} {`, '  rankdir=TB;', '  node [shape=box, style="rounded,filled", fillcolor="#ffffff"];'];
    for (const t of tasks) {
      const fill = t.status ? `, fillcolor=${JSON.stringify(STATUS_COLOR[t.status] ?? '#ffffff')}` : '';
      const shape = childOf(t) === undefined ? '' : ', shape=hexagon';
      lines.push(`  ${ids.get(t.name)} [label=${JSON.stringify(label(t))}${fill}${shape}];`);
    }
    const edgeLabel = (t: GraphTask) => (t.when === undefined ? '' : ` [label=${JSON.stringify(`when: ${shortCondition(t.when)}`)}]`);
    for (const t of tasks) for (const need of t.needs) lines.push(`  ${ids.get(need)} -> ${ids.get(t.name)}${edgeLabel(t)};`);
    lines.push('}');
    return lines.join('\n');
  }
  const level = levels(tasks);
  const depth = Math.max(0, ...level.values());
  const lines: string[] = title ? [title] : [];
  for (let l = 0; l <= depth; l++) {
    lines.push(`level ${l}`);
    for (const t of tasks.filter((x) => level.get(x.name) === l)) {
      const mark = t.status ? `${STATUS_MARK[t.status] ?? '?'} ` : '';
      const when = t.when !== undefined && t.needs.length > 0 ? `  when ${shortCondition(t.when)}` : '';
      lines.push(`  ${mark}${label(t)}${t.needs.length > 0 ? `  ← ${t.needs.join(', ')}` : ''}${when}`);
    }
  }
  return lines.join('\n');
}

function escapeMermaid(text: string): string {
  return text.replaceAll('"', '#quot;');
}
