import { useEffect, useState } from 'preact/hooks';
import { api, enc, query } from './api.ts';
import { formatTime } from './hooks.ts';
import type { HistoryEvent, Page } from './types.ts';
import { ErrorBox } from './widgets.tsx';

const FAILURES = new Set(['TaskFailed', 'TaskLeaseExpired', 'TaskAttemptTimedOut', 'StaleResultRejected', 'ProcessFailed', 'ProcessCancelled', 'TaskSkipped']);
const PAGE = 100;

/**
 * The process's events, a page at a time ("Load more"), with a "failures
 * only" filter. The first page is read again only when `version` moves (the
 * process page bumps it when the process changed), not on every tick.
 */
export function HistoryPanel({ processId, version }: { processId: string; version: number }) {
  const [events, setEvents] = useState<HistoryEvent[]>([]);
  const [next, setNext] = useState<string>();
  const [failuresOnly, setFailuresOnly] = useState(false);
  const [error, setError] = useState<unknown>();
  const load = async (token?: string) => {
    try {
      const page = await api<Page<HistoryEvent>>('GET', `/processes/${enc(processId)}/history${query({ limit: PAGE, nextToken: token })}`);
      setEvents((old) => (token ? [...old, ...page.items] : page.items));
      setNext(page.nextToken);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => void load(), [processId, version]);
  const shown = failuresOnly ? events.filter((e) => FAILURES.has(e.type) || e.error !== undefined) : events;
  return (
    <section aria-labelledby="history-title" class="history">
      <h2 id="history-title">History</h2>
      <label class="inline">
        <input type="checkbox" checked={failuresOnly} onChange={(e) => setFailuresOnly((e.currentTarget as HTMLInputElement).checked)} /> Failures only
      </label>
      <ErrorBox error={error} />
      <ol class="events">
        {shown.map((e, i) => (
          <li key={i} data-event={e.type}>
            <time dateTime={e.at}>{formatTime(e.at)}</time> <strong>{e.type}</strong>
            {e.task && <> · {e.task}</>}
            {e.attempt !== undefined && <> · attempt {e.attempt}</>}
            {e.workerId && <> · {e.workerId}</>}
            {e.run > 1 && <> · run {e.run}</>}
            {e.error !== undefined && <pre class="inline-json">{JSON.stringify(e.error)}</pre>}
          </li>
        ))}
      </ol>
      {shown.length === 0 && <p>{failuresOnly ? 'No failures in the events loaded.' : 'No events yet.'}</p>}
      {next && (
        <button type="button" onClick={() => void load(next)}>
          Load more events
        </button>
      )}
    </section>
  );
}
