import { PROCESS_TRANSITIONS, SWEEP_DUTIES, TASK_TRANSITIONS, type TransitionRow } from './lifecycle.ts';

/**
 * The lifecycle tables rendered as Markdown, with Mermaid state diagrams:
 * `docs/lifecycle.md` is this function's output, and a test fails when the
 * committed file differs, so the documentation cannot disagree with the code.
 *
 * @example
 * writeFileSync('docs/lifecycle.md', renderLifecycleMarkdown());
 */
export function renderLifecycleMarkdown(): string {
  return [
    '# The lifecycle',
    '',
    '<!-- Generated from shared/domain/lifecycle.ts by `npm run docs:lifecycle`. Do not edit by hand. -->',
    '',
    'Every status change of a task or a process is one row below. The stores derive each write\'s',
    'condition from its row (`taskGuards`, `processGuards`), the sweeper its duties from the duty',
    'table, and the property tests their moves from the same rows. `absent` means the item does not',
    'exist yet (a PENDING task has no item until it is scheduled or counted); `same` means the event',
    'changes no status.',
    '',
    '## Tasks',
    '',
    ...table(TASK_TRANSITIONS),
    '',
    ...diagram(TASK_TRANSITIONS, 'PENDING'),
    '',
    '## Processes',
    '',
    ...table(PROCESS_TRANSITIONS),
    '',
    ...diagram(PROCESS_TRANSITIONS, 'RUNNING'),
    '',
    '## What the sweeper owes a due item',
    '',
    'An item on the sweep index carries `sweepAt` and `sweepReason`. When `sweepAt` has passed, the',
    'sweeper does the duty for the stored reason and the item\'s current status. A pairing that is not',
    'listed means the reason is stale: an ended task just leaves the index, anything else is left to',
    'its own writer.',
    '',
    '| item | reason | status | duty |',
    '|---|---|---|---|',
    ...(['task', 'process'] as const).flatMap((kind) =>
      Object.entries(SWEEP_DUTIES[kind]).flatMap(([reason, byStatus]) =>
        Object.entries(byStatus).map(([status, duty]) => `| ${kind} | \`${reason}\` | ${status} | \`${duty}\` |`),
      ),
    ),
    '',
  ].join('\n');
}

function table(rows: Readonly<Record<string, TransitionRow<string>>>): string[] {
  return [
    '| event | from | to | guards | why |',
    '|---|---|---|---|---|',
    ...Object.entries(rows).map(([event, r]) => `| \`${event}\` | ${r.from.join(', ')} | ${r.to} | ${r.guards.join(', ') || '—'} | ${r.doc} |`),
  ];
}

function diagram(rows: Readonly<Record<string, TransitionRow<string>>>, initial: string): string[] {
  const edges = new Set<string>();
  for (const [event, r] of Object.entries(rows)) {
    if (r.to === 'same') continue;
    for (const from of r.from) {
      const source = from === 'absent' ? '[*]' : from;
      if (source === r.to) continue;
      edges.add(`    ${source} --> ${r.to}: ${event}`);
    }
  }
  return ['```mermaid', 'stateDiagram-v2', `    %% initial status: ${initial}`, ...edges, '```'];
}
