/**
 * Lays out a DAG for the console with elkjs (the layered algorithm), on the
 * server that serves the console. elkjs is about 470 KB gzipped, more than
 * the console's whole 300 KB budget, so it runs here, in Node, and the browser
 * gets coordinates: `POST /console/layout`.
 */
import type { ELK, ELKConstructorArguments, ElkNode } from 'elkjs/lib/elk-api.js';
import { z } from 'zod';

/** At most this many nodes a call: the console collapses wider graphs into groups first. */
export const MAX_LAYOUT_NODES = 1000;

export const LayoutRequestSchema = z.strictObject({
  nodes: z.array(z.strictObject({ id: z.string().min(1).max(300), width: z.number().positive().max(2000), height: z.number().positive().max(2000) })).max(MAX_LAYOUT_NODES),
  edges: z.array(z.strictObject({ from: z.string(), to: z.string(), label: z.string().max(200).optional() })).max(MAX_LAYOUT_NODES * 4),
});
export type LayoutRequest = z.infer<typeof LayoutRequestSchema>;

export interface LayoutResult {
  readonly width: number;
  readonly height: number;
  readonly nodes: Record<string, { x: number; y: number }>;
  /** One polyline per edge, in request order. */
  readonly edges: { from: string; to: string; points: { x: number; y: number }[]; label?: string }[];
}

let elk: Promise<ELK> | undefined;
/**
 * elkjs is 1.6 MB of JavaScript: loaded on the first layout, not when the
 * API server or the CLI starts. It is CommonJS: under NodeNext its default
 * export arrives as the module.exports value, typed as the namespace.
 */
function loadElk(): Promise<ELK> {
  return (elk ??= import('elkjs/lib/elk.bundled.js').then((m) => new (m.default as unknown as new (args?: ELKConstructorArguments) => ELK)()));
}

/**
 * Positions every node left to right, layer by layer, with edges routed
 * orthogonally. Edges naming an unknown node are dropped, not an error: the
 * console may draw part of a graph.
 */
export async function layoutGraph(request: LayoutRequest): Promise<LayoutResult> {
  const ids = new Set(request.nodes.map((n) => n.id));
  const edges = request.edges.filter((e) => ids.has(e.from) && ids.has(e.to));
  const input: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.spacing.nodeNode': '20',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: request.nodes.map((n) => ({ id: n.id, width: n.width, height: n.height })),
    edges: edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const graph = await (await loadElk()).layout(input);
  const nodes: Record<string, { x: number; y: number }> = {};
  for (const child of graph.children ?? []) nodes[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  return {
    width: graph.width ?? 0,
    height: graph.height ?? 0,
    nodes,
    edges: edges.map((e, i) => {
      const section = graph.edges?.[i]?.sections?.[0];
      const points = section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint] : [];
      return { from: e.from, to: e.to, points, ...(e.label === undefined ? {} : { label: e.label }) };
    }),
  };
}
