import { useEffect, useMemo, useState } from 'preact/hooks';
import { layout, type Layout } from './api.ts';
import { buildGraphModel, groupStatus, type GraphNode } from './graph-model.ts';
import { Legend, styleOf } from './status.tsx';
import type { MapCounters, TaskSpec } from './types.ts';
import { ErrorBox } from './widgets.tsx';

const NODE_W = 168;
const NODE_H = 46;

export interface GraphProps {
  specs: readonly TaskSpec[];
  /** Status by task name; a task without one is PENDING. Absent: a definition's graph, drawn neutral. */
  statuses?: ReadonlyMap<string, string>;
  maps?: ReadonlyMap<string, MapCounters>;
  /** Picked for a rerun: drawn with a thick outline. */
  picked?: ReadonlySet<string>;
  onSelect?: (node: GraphNode) => void;
  label: string;
}

/**
 * The DAG laid out by elkjs (on the console server), one node per task or per
 * group, coloured by status with an icon and the status word, conditions as
 * edge labels, map counters under the name. The layout is fetched once per
 * shape: a status change redraws colours only.
 */
export function ProcessGraph(props: GraphProps) {
  const model = useMemo(() => buildGraphModel(props.specs), [props.specs]);
  const [positions, setPositions] = useState<Layout>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let live = true;
    layout({ nodes: model.nodes.map((n) => ({ id: n.id, width: NODE_W, height: NODE_H })), edges: model.edges })
      .then((l) => live && setPositions(l))
      .catch((e: unknown) => live && setError(e));
    return () => {
      live = false;
    };
  }, [model]);

  if (error) return <ErrorBox error={error} />;
  if (!positions) return <p aria-busy="true">Laying out the graph…</p>;
  return (
    <div class="graph-wrap">
      {model.collapsed && <p class="note">{props.specs.length} tasks: tasks of the same depth and name stem are drawn as one group.</p>}
      <div class="graph-scroll" tabIndex={0} role="region" aria-label={props.label}>
        <svg class="graph" width={positions.width} height={positions.height} viewBox={`0 0 ${positions.width} ${positions.height}`} data-collapsed={model.collapsed}>
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#5f6368" />
            </marker>
          </defs>
          {positions.edges.map((e, i) => (
            <g key={`e${i}`} class="edge">
              <polyline points={e.points.map((p) => `${p.x},${p.y}`).join(' ')} fill="none" stroke="#5f6368" marker-end="url(#arrow)" />
              {e.label && e.points.length > 1 && (
                <text class="edge-label" x={(e.points[0]!.x + e.points[1]!.x) / 2} y={(e.points[0]!.y + e.points[1]!.y) / 2 - 4}>
                  {e.label}
                </text>
              )}
            </g>
          ))}
          {model.nodes.map((node) => {
            const at = positions.nodes[node.id];
            if (!at) return null;
            return <Node key={node.id} node={node} x={at.x} y={at.y} {...props} />;
          })}
        </svg>
      </div>
      <Legend />
    </div>
  );
}

function Node(props: GraphProps & { node: GraphNode; x: number; y: number }) {
  const { node, statuses } = props;
  const counts: Record<string, number> = {};
  for (const t of node.tasks) {
    const s = statuses?.get(t) ?? 'PENDING';
    counts[s] = (counts[s] ?? 0) + 1;
  }
  const status = statuses ? (node.group ? groupStatus(counts) : (statuses.get(node.id) ?? 'PENDING')) : '';
  const style = statuses ? styleOf(status) : { color: '#3c4043', fill: '#ffffff', icon: '' };
  const map = props.maps?.get(node.id);
  // Words, not symbols, in the visible text: it is also the start of the accessible name.
  const sub = node.group
    ? Object.entries(counts)
        .map(([s, n]) => `${n} ${s.toLowerCase()}`)
        .join(', ')
    : map
      ? `map ${map.completed}/${map.total} done, ${map.running} running, ${map.failed} failed`
      : status;
  const shownName = truncate(node.label, 20);
  const shownSub = truncate(sub, 28);
  const picked = props.picked?.has(node.id);
  const name = node.group ? `Group ${node.label}` : `Task ${node.label}`;
  const activate = () => props.onSelect?.(node);
  return (
    <g
      class="node"
      transform={`translate(${props.x},${props.y})`}
      role="button"
      tabIndex={0}
      // The visible text first (a label must contain what is shown), then what the truncation hid.
      aria-label={`${shownName} ${shownSub} (${name}${status ? `, ${status}` : ''}${node.group ? `: ${sub}` : ''})`}
      {...(node.group ? { 'data-group': node.label } : { 'data-task': node.id })}
      data-status={status || undefined}
      onClick={activate}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          activate();
        }
      }}
    >
      <title>{`${name}${status ? ` (${status})` : ''}`}</title>
      <rect width={NODE_W} height={NODE_H} rx="6" fill={style.fill} stroke={style.color} stroke-width={picked ? 4 : 2} stroke-dasharray={node.group ? '6 3' : undefined} />
      <text x="10" y="19" class="node-name">
        {style.icon && <tspan aria-hidden="true">{`${style.icon} `}</tspan>}
        {`${shownName} `}
      </text>
      <text x="10" y="36" class="node-sub">
        {shownSub}
      </text>
    </g>
  );
}

function truncate(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
