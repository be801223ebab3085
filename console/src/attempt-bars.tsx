import { formatDuration, formatTime } from './hooks.ts';
import { styleOf } from './status.tsx';
import { attemptSpans } from './attempt-spans.ts';
import type { HistoryEvent } from './types.ts';

/**
 * Each attempt as a bar on one time axis: thin while scheduled, thick from
 * claimed to ended, a hatched gap for the backoff before the next attempt.
 */
export function AttemptBars({ events, now = Date.now() }: { events: readonly HistoryEvent[]; now?: number }) {
  const spans = attemptSpans(events);
  if (spans.length === 0) return <p>No attempts yet.</p>;
  const times = spans.flatMap((s) => [s.scheduled, s.claimed, s.ended, s.retryAt].filter((t): t is string => t !== undefined).map(Date.parse));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, now, t0 + 1000);
  const x = (iso: string) => ((Date.parse(iso) - t0) / (t1 - t0)) * 100;
  return (
    <ol class="attempts">
      {spans.map((s) => {
        const color = styleOf(s.outcome ?? (s.claimed ? 'RUNNING' : 'SCHEDULED')).color;
        const start = s.scheduled ?? s.claimed ?? s.ended;
        const endX = s.ended ? x(s.ended) : ((now - t0) / (t1 - t0)) * 100;
        return (
          <li key={`${s.run}/${s.attempt}`} data-attempt={`${s.run}/${s.attempt}`}>
            <strong>
              Run {s.run}, attempt {s.attempt}
            </strong>
            : {s.outcome ?? (s.claimed ? 'running' : 'waiting')}
            {s.workerId ? ` on ${s.workerId}` : ''} · {formatDuration(s.claimed ?? s.scheduled, s.ended)}
            <div class="timeline" role="img" aria-label={`scheduled ${formatTime(s.scheduled)}, claimed ${formatTime(s.claimed)}, ended ${formatTime(s.ended)}`}>
              {start && <span class="bar wait" style={{ left: `${x(start)}%`, width: `${Math.max(0.5, (s.claimed ? x(s.claimed) : endX) - x(start))}%`, background: color }} />}
              {s.claimed && <span class="bar run" style={{ left: `${x(s.claimed)}%`, width: `${Math.max(0.5, endX - x(s.claimed))}%`, background: color }} />}
              {s.retryAt && s.ended && <span class="bar backoff" style={{ left: `${x(s.ended)}%`, width: `${Math.max(0.5, x(s.retryAt) - x(s.ended))}%` }} />}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
