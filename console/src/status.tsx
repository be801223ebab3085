/**
 * How each status looks. Never colour alone: every badge and graph node
 * carries an icon and the status word as well.
 */
export interface StatusStyle {
  /** Stroke and bar colour, dark enough to read as text on white. */
  readonly color: string;
  /** Fill behind text, light enough for dark text. */
  readonly fill: string;
  readonly icon: string;
}

export const STATUS_STYLES: Readonly<Record<string, StatusStyle>> = {
  PENDING: { color: '#5f6368', fill: '#f1f3f4', icon: '○' },
  SCHEDULED: { color: '#1a56c4', fill: '#e8f0fe', icon: '◔' },
  RUNNING: { color: '#9a5b00', fill: '#fef3e0', icon: '▶' },
  PAUSED: { color: '#7b3294', fill: '#f3e8fd', icon: '⏸' },
  // A process waiting for a concurrency slot (issue 18).
  QUEUED: { color: '#00677f', fill: '#e0f4f8', icon: '⧗' },
  COMPLETED: { color: '#1e7e45', fill: '#e6f4ea', icon: '✓' },
  FAILED: { color: '#c5221f', fill: '#fce8e6', icon: '✕' },
  CANCELLED: { color: '#3c4043', fill: '#e8eaed', icon: '⊘' },
  SKIPPED: { color: '#5f6368', fill: '#ffffff', icon: '↷' },
};

export const TASK_STATUSES = ['PENDING', 'SCHEDULED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SKIPPED'] as const;
export const PROCESS_STATUSES = ['QUEUED', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'] as const;

export function styleOf(status: string): StatusStyle {
  return STATUS_STYLES[status] ?? { color: '#3c4043', fill: '#ffffff', icon: '?' };
}

/** True for a process that may still change by itself. */
export function isLive(status: string): boolean {
  return status === 'RUNNING' || status === 'PAUSED' || status === 'QUEUED';
}

export function isEnded(status: string): boolean {
  return status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED';
}

/** A QUEUED process's place in its key's queue, beside its badge. */
export function QueuePosition({ position }: { position: number | undefined }) {
  if (position === undefined) return null;
  return <span class="queue-position" data-queue-position={position}>{`#${position} in queue`}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  const s = styleOf(status);
  return (
    <span class="badge" data-status={status} style={{ borderColor: s.color, background: s.fill }}>
      <span aria-hidden="true" style={{ color: s.color }}>
        {s.icon}
      </span>{' '}
      {status}
    </span>
  );
}

export function Legend({ statuses = TASK_STATUSES }: { statuses?: readonly string[] }) {
  return (
    <ul class="legend" aria-label="Legend">
      {statuses.map((status) => (
        <li key={status}>
          <StatusBadge status={status} />
        </li>
      ))}
    </ul>
  );
}
