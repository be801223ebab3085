import { useEffect, useState } from 'preact/hooks';
import { api, enc, query } from './api.ts';
import { formatDuration, formatTime, usePolling } from './hooks.ts';
import { PROCESS_STATUSES, QueuePosition, StatusBadge, isLive } from './status.tsx';
import type { DefinitionSummary, Page, ProcessSummary, ProcessView } from './types.ts';
import { ErrorBox, ProgressBar } from './widgets.tsx';

const PAGE_SIZE = 20;
const REFRESH_MS = 5000;
const WINDOWS: Record<string, number> = { '': 0, '1h': 3_600_000, '24h': 86_400_000, '7d': 604_800_000 };

/**
 * Processes, newest first: filtered by definition and status (by the API) and
 * by start time (on the page), paged with the API's tokens, refreshed every
 * 5 s. Progress is read per row only for live processes.
 */
export function ProcessesPage() {
  // A link such as #/processes?definition=loan (from a definition's page) sets the first filter.
  const [definition, setDefinition] = useState(() => new URLSearchParams(location.hash.split('?')[1] ?? '').get('definition') ?? '');
  const [status, setStatus] = useState('');
  const [window, setWindow] = useState('');
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Page<ProcessSummary>>();
  const [progress, setProgress] = useState<Record<string, number>>({});
  const [definitions, setDefinitions] = useState<DefinitionSummary[]>([]);
  const [error, setError] = useState<unknown>();
  const [auto, setAuto] = useState(true);
  const token = tokens[tokens.length - 1];

  const load = async () => {
    try {
      const next = await api<Page<ProcessSummary>>('GET', `/processes${query({ limit: PAGE_SIZE, definition, status, nextToken: token })}`);
      setPage(next);
      setError(undefined);
      // Live rows on every refresh; an ended row once, since its progress no longer moves.
      const wanted = next.items.filter((p) => isLive(p.status) || progress[p.id] === undefined);
      const read = await Promise.all(wanted.map((p) => api<ProcessView>('GET', `/processes/${enc(p.id)}`).catch(() => undefined)));
      setProgress((old) => ({ ...old, ...Object.fromEntries(read.filter((p): p is ProcessView => p !== undefined).map((p) => [p.id, p.progress.percent])) }));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load(), [definition, status, token]);
  useEffect(() => {
    api<Page<DefinitionSummary>>('GET', '/definitions?limit=100').then((p) => setDefinitions(p.items), setError);
  }, []);
  usePolling(load, REFRESH_MS, auto);

  const since = WINDOWS[window] ? Date.now() - WINDOWS[window]! : 0;
  const rows = (page?.items ?? []).filter((p) => Date.parse(p.createdAt) >= since);
  const restart = () => setTokens([undefined]);

  return (
    <section aria-labelledby="processes-title">
      <h1 id="processes-title">Processes</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Definition
          <select
            value={definition}
            onChange={(e) => {
              setDefinition((e.currentTarget as HTMLSelectElement).value);
              restart();
            }}
          >
            <option value="">All</option>
            {definitions.map((d) => (
              <option key={d.name} value={d.name}>
                {d.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select
            value={status}
            onChange={(e) => {
              setStatus((e.currentTarget as HTMLSelectElement).value);
              restart();
            }}
          >
            <option value="">All</option>
            {PROCESS_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Started
          <select value={window} onChange={(e) => setWindow((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Any time</option>
            <option value="1h">Last hour</option>
            <option value="24h">Last 24 hours</option>
            <option value="7d">Last 7 days</option>
          </select>
        </label>
        <label class="inline">
          <input type="checkbox" checked={auto} onChange={(e) => setAuto((e.currentTarget as HTMLInputElement).checked)} /> Refresh every 5 s
        </label>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </form>
      <ErrorBox error={error} />
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Processes table">
        <table class="processes">
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Process</th>
              <th scope="col">Definition</th>
              <th scope="col">Started</th>
              <th scope="col">Duration</th>
              <th scope="col">Progress</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id} data-process-id={p.id} data-status={p.status}>
                <td>
                  <StatusBadge status={p.status} /> <QueuePosition position={p.queuePosition} />
                </td>
                <td>
                  <a href={`#/processes/${enc(p.id)}`}>{p.id}</a>
                </td>
                <td>
                  <a href={`#/definitions/${enc(p.definition)}/${p.version}`}>
                    {p.definition}@{p.version}
                  </a>
                </td>
                <td>{formatTime(p.createdAt)}</td>
                <td>{formatDuration(p.createdAt, p.endedAt)}</td>
                <td>
                  <ProgressBar percent={progress[p.id] ?? (p.status === 'COMPLETED' ? 100 : 0)} label={`Progress of ${p.id}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && rows.length === 0 && <p>No processes match.</p>}
      </div>
      <nav class="pager" aria-label="Pages of processes">
        <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Previous page
        </button>
        <span>Page {tokens.length}</span>
        <button type="button" disabled={!page?.nextToken} onClick={() => setTokens([...tokens, page?.nextToken])}>
          Next page
        </button>
      </nav>
    </section>
  );
}
