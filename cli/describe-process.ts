import type { Process } from '../client/schemas.ts';
import { between, progressBar, table } from './format.ts';

/** The process and its task table, as `get` and `watch` print it. */
export function describeProcess(p: Process, now: number = Date.now()): string {
  const head = [
    `${p.id}  ${p.definition} v${p.version}  ${p.status}${p.queuePosition === undefined ? '' : ` (#${p.queuePosition} in the queue${p.concurrencyKey === undefined ? '' : ` of key ${JSON.stringify(p.concurrencyKey)}`})`}`,
    `created ${p.createdAt}${p.endedAt ? `, ended ${p.endedAt} (${between(p.createdAt, p.endedAt)})` : ''}`,
    // A task a branch skipped is settled as much as a completed one: a COMPLETED process with skips shows 100%.
    progressBar(p.progress.completed + p.progress.skipped, p.progress.total),
    costLine(p.cost),
    ...links(p),
  ];
  const rows = p.tasks.map((t) => [
    t.name,
    t.status,
    String(t.attempt),
    t.workerId ?? '',
    between(t.claimedAt ?? t.scheduledAt, t.endedAt ?? (t.status === 'RUNNING' || t.status === 'SCHEDULED' ? undefined : t.claimedAt), now),
    t.error ? `${t.error.code ? `${t.error.code}: ` : ''}${t.error.message}` : '',
  ]);
  return `${head.join('\n')}\n\n${table(['TASK', 'STATUS', 'ATTEMPT', 'WORKER', 'DURATION', 'ERROR'], rows)}`;
}

/** What the run cost so far, as the API models it (see `GET /processes/{id}`'s `cost`). */
function costLine(c: Process['cost']): string {
  return `cost $${c.usd.toFixed(6)} (modelled): ${c.writeUnits} write units, ${c.readUnits} read units, ${c.requests} requests`;
}

/** A compensation's links, both ways, when there are any. */
function links(p: Process): string[] {
  return [
    ...(p.compensates ? [`compensates ${p.compensates}`] : []),
    ...(p.compensatedBy ? [`compensated by ${p.compensatedBy}`] : []),
    ...(p.compensationError ? [`compensation could not start: ${p.compensationError}`] : []),
  ];
}
