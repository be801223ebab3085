import { useState } from 'preact/hooks';
import { formatDuration } from './hooks.ts';
import { StatusBadge, styleOf } from './status.tsx';
import type { TaskView } from './types.ts';

const ROWS_PER_PAGE = 50;

/**
 * Every task with a timeline column: the bar of each task's current attempt
 * runs from scheduled (thin, waiting) to claimed (thick, running) to ended,
 * and a retry waiting for its backoff shows as a hatched gap up to
 * `nextAttemptAt`. Earlier attempts are in the task drawer. Paged, so a
 * 2,000-task process renders 50 rows.
 */
export function TaskTable(props: {
  tasks: readonly TaskView[];
  start: string;
  end: string | undefined;
  picked: ReadonlySet<string>;
  canPick: boolean;
  onPick: (task: string, on: boolean) => void;
  onOpen: (task: string) => void;
}) {
  const [page, setPage] = useState(0);
  const [filter, setFilter] = useState('');
  const shown = filter ? props.tasks.filter((t) => t.name.includes(filter) || t.status === filter.toUpperCase()) : props.tasks;
  const pages = Math.max(1, Math.ceil(shown.length / ROWS_PER_PAGE));
  const current = Math.min(page, pages - 1);
  const rows = shown.slice(current * ROWS_PER_PAGE, (current + 1) * ROWS_PER_PAGE);
  const t0 = Date.parse(props.start);
  const t1 = Math.max(props.end ? Date.parse(props.end) : Date.now(), ...props.tasks.map((t) => (t.nextAttemptAt ? Date.parse(t.nextAttemptAt) : 0)), t0 + 1000);
  const pct = (iso: string | undefined) => (iso ? ((Date.parse(iso) - t0) / (t1 - t0)) * 100 : undefined);

  return (
    <div class="task-table">
      <div class="filters">
        <label>
          Find task
          <input type="search" value={filter} onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} placeholder="name or status" />
        </label>
        <span>
          {shown.length} of {props.tasks.length} tasks
        </span>
      </div>
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Tasks table">
        <table>
          <thead>
            <tr>
              {props.canPick && <th scope="col">Rerun from</th>}
              <th scope="col">Task</th>
              <th scope="col">Status</th>
              <th scope="col">Attempt</th>
              <th scope="col">Worker</th>
              <th scope="col">Duration</th>
              <th scope="col" class="timeline-col">
                Timeline
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((t) => {
              const scheduled = pct(t.scheduledAt);
              const claimed = pct(t.claimedAt);
              const ended = pct(t.endedAt) ?? (t.claimedAt ? 100 * ((Math.min(Date.now(), t1) - t0) / (t1 - t0)) : undefined);
              const backoff = pct(t.nextAttemptAt);
              const color = styleOf(t.status).color;
              return (
                <tr key={t.name} data-task-row={t.name} data-status={t.status}>
                  {props.canPick && (
                    <td>
                      <input type="checkbox" aria-label={`Rerun from ${t.name}`} checked={props.picked.has(t.name)} onChange={(e) => props.onPick(t.name, (e.currentTarget as HTMLInputElement).checked)} />
                    </td>
                  )}
                  <td>
                    <button type="button" class="link" onClick={() => props.onOpen(t.name)} aria-label={`Open task ${t.name}`}>
                      {t.name}
                    </button>
                  </td>
                  <td>
                    <StatusBadge status={t.status} />
                  </td>
                  <td>
                    {t.attempt}/{t.maxAttempts}
                  </td>
                  <td>{t.workerId ?? '—'}</td>
                  <td>{formatDuration(t.claimedAt ?? t.scheduledAt, t.endedAt)}</td>
                  <td class="timeline-col">
                    <div class="timeline" aria-label={`Timeline of ${t.name}: scheduled ${t.scheduledAt ?? 'not yet'}, claimed ${t.claimedAt ?? 'not yet'}, ended ${t.endedAt ?? 'not yet'}`} role="img">
                      {scheduled !== undefined && (
                        <span class="bar wait" style={{ left: `${scheduled}%`, width: `${Math.max(0.5, (claimed ?? ended ?? scheduled) - scheduled)}%`, background: color }} />
                      )}
                      {claimed !== undefined && <span class="bar run" style={{ left: `${claimed}%`, width: `${Math.max(0.5, (ended ?? claimed) - claimed)}%`, background: color }} />}
                      {backoff !== undefined && scheduled !== undefined && (
                        <span class="bar backoff" title="waiting for the retry's backoff" style={{ left: `${scheduled}%`, width: `${Math.max(0.5, backoff - scheduled)}%` }} />
                      )}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <nav class="pager" aria-label="Pages of tasks">
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>
            Previous tasks
          </button>
          <span>
            Page {current + 1} of {pages}
          </span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
            Next tasks
          </button>
        </nav>
      )}
    </div>
  );
}
