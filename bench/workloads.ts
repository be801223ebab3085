/** The benchmark's three workloads (issue #2): shapes, sizes and how many processes run at once. */
export interface Workload {
  readonly id: string;
  readonly title: string;
  /** The definition as a JSON document (the API accepts JSON as YAML). */
  readonly definition: { tasks: { name: string; needs?: string[]; map?: Record<string, unknown> }[]; concurrency?: { limit: number; key?: string; onLimit?: string } };
  readonly processes: number;
  /** The input of each process. @default { n } */
  readonly input?: unknown;
  /** Tasks a worker completes per process, when not one per declared task (a map's children, without the map itself). */
  readonly workerTasks?: number;
  /** A JSON Lines object of this many lines put on the stack's S3 emulator (bucket `tributary-bench`) before the start. */
  readonly s3Lines?: { readonly key: string; readonly lines: number };
}

function chain(length: number): Workload['definition'] {
  return { tasks: Array.from({ length }, (_, i) => ({ name: `step-${i}`, ...(i > 0 ? { needs: [`step-${i - 1}`] } : {}) })) };
}

function fanOutJoin(width: number): Workload['definition'] {
  const middle = Array.from({ length: width }, (_, i) => `fan-${i}`);
  return { tasks: [{ name: 'split' }, ...middle.map((name) => ({ name, needs: ['split'] })), { name: 'join', needs: middle }] };
}

/**
 * A diamond lattice of `1 + layers × width + 1` tasks: a root, `layers` layers
 * in which each task needs every task of the layer before, and a final join.
 */
function diamondLattice(layers: number, width: number): Workload['definition'] {
  const tasks: { name: string; needs?: string[] }[] = [{ name: 'top' }];
  let previous = ['top'];
  for (let l = 0; l < layers; l++) {
    const layer = Array.from({ length: width }, (_, i) => `l${l}-${i}`);
    for (const name of layer) tasks.push({ name, needs: previous });
    previous = layer;
  }
  tasks.push({ name: 'bottom', needs: previous });
  return { tasks };
}

/** A map over `items` items (from the input), 100 children at a time, then a join. */
function mapJoin(): Workload['definition'] {
  return { tasks: [{ name: 'fan', map: { items: 'input.items', maxConcurrency: 100 } }, { name: 'join', needs: ['fan'] }] };
}

export const WORKLOADS: readonly Workload[] = [
  { id: 'a', title: '200 processes of a 3-task chain', definition: chain(3), processes: 200 },
  { id: 'b', title: 'one process, 2,000-wide fan-out and a join', definition: fanOutJoin(2000), processes: 1 },
  { id: 'c', title: '10 concurrent processes of a 20-task diamond lattice', definition: diamondLattice(6, 3), processes: 10 },
  // Issue 16: figures per child (the join's one task is counted too, 1 in 10,001).
  { id: 'd', title: 'one process, a 10,000-item map and a join', definition: mapJoin(), processes: 1, input: { items: new Array<number>(10_000).fill(0) }, workerTasks: 10_001 },
  // Issue 16: the same map, its items streamed from a 10,000-line JSON Lines object on the local S3 emulator.
  {
    id: 'e',
    title: 'one process, a 10,000-line JSON Lines map from S3 and a join',
    definition: {
      tasks: [
        { name: 'fan', map: { itemsFrom: { bucket: "'tributary-bench'", key: "'rows.jsonl'", format: 'jsonl' }, maxConcurrency: 100 } },
        { name: 'join', needs: ['fan'] },
      ],
    },
    processes: 1,
    input: {},
    workerTasks: 10_001,
    s3Lines: { key: 'rows.jsonl', lines: 10_000 },
  },
  // Issue 18: the chain of (a) under a process concurrency limit: 20 run, the other 180 queue and are dequeued as slots free.
  { id: 'f', title: '200 processes of a 3-task chain under concurrency.limit: 20', definition: { ...chain(3), concurrency: { limit: 20 } }, processes: 200 },
];

/** needs of each task, for latency attribution. */
export function needsOf(workload: Workload): Map<string, string[]> {
  return new Map(workload.definition.tasks.map((t) => [t.name, t.needs ?? []]));
}
