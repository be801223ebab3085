/**
 * What the graph draws: one node per task, or, past {@link COLLAPSE_ABOVE}
 * tasks, one node per group, so that a 2,000-task process draws tens of
 * nodes rather than thousands. A group is the tasks of one depth whose names
 * share a stem (`item-0001`…`item-2000` → `item-*`); if that still leaves too
 * many nodes, a group is a whole depth.
 */
export const COLLAPSE_ABOVE = 200;

export interface GraphNode {
  /** The task's name, or `group:<key>` for a group. */
  readonly id: string;
  readonly label: string;
  readonly tasks: readonly string[];
  readonly group: boolean;
}

export interface GraphModel {
  readonly nodes: GraphNode[];
  readonly edges: { from: string; to: string; label?: string }[];
  readonly collapsed: boolean;
}

interface Spec {
  name: string;
  needs: string[];
  when?: string;
}

/** Depth of each task: 0 for a root, else one more than its deepest need. */
function depths(specs: readonly Spec[]): Map<string, number> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const depth = new Map<string, number>();
  const visit = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (seen.has(name)) return 0;
    seen.add(name);
    const needs = byName.get(name)?.needs ?? [];
    const d = needs.length === 0 ? 0 : 1 + Math.max(...needs.map((n) => visit(n, seen)));
    depth.set(name, d);
    return d;
  };
  for (const s of specs) visit(s.name, new Set());
  return depth;
}

/**
 * A condition as an edge label: `when: …` on one line, cut at 60 characters
 * (a condition may be 4,096 long; the layout takes labels of at most 200).
 */
export function conditionLabel(when: string): string {
  const flat = when.replace(/\s+/g, ' ').trim();
  return `when: ${flat.length > 60 ? `${flat.slice(0, 59)}…` : flat}`;
}

export function stemOf(name: string): string {
  const stem = name.replace(/[-_. #]?\d+$/, '');
  return stem === name ? name : `${stem}-*`;
}

export function buildGraphModel(specs: readonly Spec[], collapseAbove = COLLAPSE_ABOVE): GraphModel {
  if (specs.length <= collapseAbove) {
    return {
      nodes: specs.map((s) => ({ id: s.name, label: s.name, tasks: [s.name], group: false })),
      edges: specs.flatMap((s) => s.needs.map((n) => ({ from: n, to: s.name, ...(s.when ? { label: conditionLabel(s.when) } : {}) }))),
      collapsed: false,
    };
  }
  const depth = depths(specs);
  const byStem = groupBy(specs, (s) => `${depth.get(s.name)}|${stemOf(s.name)}`);
  const groups = byStem.size <= collapseAbove ? byStem : groupBy(specs, (s) => `${depth.get(s.name)}|depth ${depth.get(s.name)}`);
  const nodeOf = new Map<string, string>();
  const nodes: GraphNode[] = [];
  for (const [key, members] of groups) {
    const single = members.length === 1;
    const id = single ? members[0]!.name : `group:${key}`;
    const label = single ? members[0]!.name : `${key.split('|')[1]} ×${members.length}`;
    nodes.push({ id, label, tasks: members.map((m) => m.name), group: !single });
    for (const m of members) nodeOf.set(m.name, id);
  }
  const seen = new Set<string>();
  const edges: { from: string; to: string }[] = [];
  for (const s of specs) {
    for (const n of s.needs) {
      const from = nodeOf.get(n);
      const to = nodeOf.get(s.name);
      if (!from || !to || from === to || seen.has(`${from}\u0000${to}`)) continue;
      seen.add(`${from}\u0000${to}`);
      edges.push({ from, to });
    }
  }
  return { nodes, edges, collapsed: true };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/** The status a group shows: the most urgent of its members' (failed, then running, …). */
const URGENCY = ['FAILED', 'RUNNING', 'SCHEDULED', 'PENDING', 'CANCELLED', 'SKIPPED', 'COMPLETED'];
export function groupStatus(counts: Readonly<Record<string, number>>): string {
  return URGENCY.find((s) => (counts[s] ?? 0) > 0) ?? 'PENDING';
}
