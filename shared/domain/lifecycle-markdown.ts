import { FIRE_TRANSITIONS, SCHEDULE_TRANSITIONS } from './schedule-transitions.ts';
import { END_COUNTER_WRITES, INPUT_WRITES, POOL_WRITES, PROCESS_TRANSITIONS, PROGRESS_WRITES, RECORD_WRITES, SLOT_WAIT_WRITES, SWEEP_CURSOR_WRITES, SWEEP_DUTIES, TASK_TRANSITIONS, type EffectOp, type TransitionRow, type WriteRow } from './lifecycle.ts';

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
    'condition from its row (`taskGuards`, `processGuards`) and what it sets and removes from the',
    "row's effects (`row-writes.ts`: the store supplies only the values), the sweeper its duties from",
    'the duty table, and the property tests their moves from the same rows. `absent` means the item',
    'does not exist yet (a PENDING task has no item until it is scheduled or counted); `same` means the',
    'event changes no status. *with* names the writes of other items in the same transaction (the',
    'tables at the end).',
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
    '## Schedules',
    '',
    'A schedule (`SCHED#<name>` / `SPEC`): every write is locked on its `ver` (`schedule-transitions.ts`).',
    '',
    ...table(SCHEDULE_TRANSITIONS),
    '',
    '## Fire records',
    '',
    "One scheduled time's decision (`SCHED#<name>` / `FIRE#…`), written once before anything is started.",
    '',
    ...table(FIRE_TRANSITIONS),
    '',
    '## Items without a status',
    '',
    'The input item (`input`), the end counter (`endCounter`), the progress counters (`progress`) and the',
    'history records (`record`), the concurrency pools (`pool`, issue 18), the wait lists of task',
    'concurrency keys (`slotWait`) and the sweep shards\' cursors (`sweepCursor`) have no status; their writes are guarded and declared all the same.',
    '',
    '| write | guards | effects | why |',
    '|---|---|---|---|',
    ...(
      [
        ['input', INPUT_WRITES],
        ['endCounter', END_COUNTER_WRITES],
        ['progress', PROGRESS_WRITES],
        ['record', RECORD_WRITES],
        ['pool', POOL_WRITES],
        ['slotWait', SLOT_WAIT_WRITES],
        ['sweepCursor', SWEEP_CURSOR_WRITES],
      ] as const
    ).flatMap(([item, rows]) =>
      Object.entries(rows as Readonly<Record<string, WriteRow>>).map(([event, r]) => `| \`${item}.${event}\` | ${r.guards.join(', ')} | ${effectsOf(r)} | ${r.doc} |`),
    ),
    '',
    '## What the sweeper owes a due item',
    '',
    'An item on the sweep index carries `sweepAt` and `sweepReason`. The index is a log the sweeper walks',
    'with a cursor per shard: when an entry\'s `sweepAt` has passed, the sweeper does the duty for the',
    'stored reason and the item\'s current status, once. A completed task whose progress count is written',
    '(the last step of its follow-up) owes nothing: its entry stays, unwritten, and the visit is a read.',
    'A pairing that is not listed means the reason is stale: an ended task just leaves the index. Any',
    'entry the visit did not settle (done, or moved later) is moved later by `revisit` before the cursor',
    'passes it.',
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
    '| event | from | to | guards | effects | with | why |',
    '|---|---|---|---|---|---|---|',
    ...Object.entries(rows).map(
      ([event, r]) =>
        `| \`${event}\` | ${r.from.join(', ')} | ${r.to} | ${r.guards.join(', ') || '—'} | ${effectsOf(r)} | ${(r.companions ?? []).map((c) => `\`${c}\``).join(', ') || '—'} | ${r.doc} |`,
    ),
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

const EFFECT_VERBS: Readonly<Record<EffectOp, string>> = {
  set: 'sets',
  'set?': 'may set',
  setOrRemove: 'sets or removes',
  setIfMissing: 'sets if missing',
  sum: 'sums',
  add: 'adds to',
  'add?': 'may add to',
  append: 'appends to',
  'append?': 'may append to',
  remove: 'removes',
  removeHead: 'removes the oldest of',
  addMember: 'adds a member to',
};

/** A row's effects in words: `sets status, a; removes b` (the status when the row changes it). */
function effectsOf(r: WriteRow & { readonly to?: string }): string {
  const byOp = new Map<EffectOp, string[]>();
  if (r.to !== undefined && r.to !== 'same') byOp.set('set', ['status']);
  for (const [attribute, op] of Object.entries(r.effects)) byOp.set(op, [...(byOp.get(op) ?? []), attribute]);
  return [...byOp].map(([op, attributes]) => `${EFFECT_VERBS[op]} ${attributes.join(', ')}`).join('; ') || '—';
}
