import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, enc, query } from './api.ts';
import { formatDuration, formatTime, usePolling } from './hooks.ts';
import { HistoryPanel } from './history-panel.tsx';
import { ProcessGraph } from './process-graph.tsx';
import { QueuePosition, StatusBadge, isEnded, isLive } from './status.tsx';
import { TaskDrawer } from './task-drawer.tsx';
import { TaskTable } from './task-table.tsx';
import type { DefinitionView, MapCounters, Page, ProcessView, TaskSpec, TaskView } from './types.ts';
import { ConfirmDialog, ErrorBox, ProgressBar } from './widgets.tsx';

/** The issue's bound on live updates: at most every 2 s. */
export const POLL_MS = 2000;
const TASK_PAGE = 500;

interface Loaded {
  process: ProcessView;
  definition: DefinitionView;
  tasks: Map<string, TaskView>;
}

/** What says a process moved: its status, run, version, progress counters and `updatedAt`. */
function fingerprint(p: ProcessView): string {
  return JSON.stringify([p.status, p.runs, p.version, p.updatedAt, p.progress]);
}

/**
 * Every task of a process: the process view has them all up to 100 tasks;
 * past that, they are read a page of 500 at a time.
 */
async function readTasks(p: ProcessView): Promise<Map<string, TaskView>> {
  const tasks = new Map(p.tasks.map((t) => [t.name, t]));
  if (p.tasksNextToken === undefined) return tasks;
  let token: string | undefined;
  do {
    const page = await api<Page<TaskView>>('GET', `/processes/${enc(p.id)}/tasks${query({ limit: TASK_PAGE, nextToken: token })}`);
    for (const t of page.items) tasks.set(t.name, t);
    token = page.nextToken;
  } while (token);
  return tasks;
}

const definitions = new Map<string, Promise<DefinitionView>>();
function readDefinition(name: string, version: number): Promise<DefinitionView> {
  const key = `${name}@${version}`;
  let found = definitions.get(key);
  if (!found) {
    // Versions are immutable: read each once per page load.
    found = api<DefinitionView>('GET', `/definitions/${enc(name)}/versions/${version}`);
    found.catch(() => definitions.delete(key));
    definitions.set(key, found);
  }
  return found;
}

/**
 * One process: header, graph, task table, history, task drawer, and the
 * operator's actions. While it is live it polls every 2 s: one read of the
 * process (which carries all tasks up to 100); a larger process also reads
 * its active tasks, and reads all its task pages only when the process moved.
 */
export function ProcessPage({ id }: { id: string }) {
  const [data, setData] = useState<Loaded>();
  const [error, setError] = useState<unknown>();
  const [open, setOpen] = useState<string>();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [dialog, setDialog] = useState<'cancel' | 'pause' | 'resume' | 'rerun'>();
  const [historyVersion, setHistoryVersion] = useState(0);
  const last = useRef<string>('');

  const full = async () => {
    try {
      const process = await api<ProcessView>('GET', `/processes/${enc(id)}`);
      const [definition, tasks] = await Promise.all([readDefinition(process.definition, process.version), readTasks(process)]);
      last.current = fingerprint(process);
      setData({ process, definition, tasks });
      setHistoryVersion((v) => v + 1);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setData(undefined);
    void full();
  }, [id]);

  const tick = async () => {
    if (!data) return;
    try {
      const process = await api<ProcessView>('GET', `/processes/${enc(id)}`);
      const moved = fingerprint(process) !== last.current;
      let tasks: Map<string, TaskView>;
      if (process.tasksNextToken === undefined) {
        tasks = new Map(process.tasks.map((t) => [t.name, t]));
      } else if (moved) {
        tasks = await readTasks(process);
      } else {
        // Claims do not move the process's counters: the active tasks show what started running.
        const active = await api<Page<TaskView>>('GET', `/processes/${enc(id)}/tasks/active?limit=500`);
        tasks = new Map(data.tasks);
        for (const t of active.items) tasks.set(t.name, t);
      }
      const changedTasks = [...tasks.values()].some((t) => data.tasks.get(t.name)?.status !== t.status || data.tasks.get(t.name)?.attempt !== t.attempt);
      const definition = process.version === data.definition.version ? data.definition : await readDefinition(process.definition, process.version);
      last.current = fingerprint(process);
      setData({ process, definition, tasks });
      if (moved || changedTasks) setHistoryVersion((v) => v + 1);
      setError(undefined);
    } catch (e) {
      setError(e);
    }
  };
  usePolling(tick, POLL_MS, data !== undefined && isLive(data.process.status));

  const ordered = useMemo(() => (data ? data.definition.tasks.map((s) => data.tasks.get(s.name) ?? pendingView(s)) : []), [data]);
  const statuses = useMemo(() => new Map(ordered.map((t) => [t.name, t.status])), [ordered]);
  const maps = useMemo(() => new Map(ordered.filter((t) => t.map).map((t) => [t.name, t.map as MapCounters])), [ordered]);

  if (!data) {
    return (
      <section>
        <h1>Process {id}</h1>
        <ErrorBox error={error} />
        {!error && <p aria-busy="true">Loading…</p>}
      </section>
    );
  }
  const { process: p } = data;
  const ended = isEnded(p.status);
  const pick = (task: string, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(task);
    else next.delete(task);
    setPicked(next);
  };
  const openTask = open ? (data.tasks.get(open) ?? ordered.find((t) => t.name === open)) : undefined;

  return (
    <section aria-labelledby="process-title" class="process-page" data-process-status={p.status}>
      <header class="process-header">
        <h1 id="process-title">
          Process <span class="mono">{p.id}</span>
        </h1>
        <StatusBadge status={p.status} /> <QueuePosition position={p.queuePosition} />
        <dl class="facts">
          <dt>Definition</dt>
          <dd>
            <a href={`#/definitions/${enc(p.definition)}/${p.version}`}>
              {p.definition}@{p.version}
            </a>
          </dd>
          <dt>Started</dt>
          <dd>{formatTime(p.createdAt)}</dd>
          <dt>Ended</dt>
          <dd>{formatTime(p.endedAt)}</dd>
          <dt>Duration</dt>
          <dd>{formatDuration(p.createdAt, p.endedAt)}</dd>
          <dt>Runs</dt>
          <dd>{p.runs}</dd>
          <dt>Progress</dt>
          <dd>
            <ProgressBar percent={p.progress.percent} label="Progress of the process" /> {p.progress.completed} completed, {p.progress.failed} failed, {p.progress.skipped}{' '}
            skipped, {p.progress.cancelled} cancelled of {p.progress.total}
          </dd>
          {p.parent && (
            <>
              <dt>Parent</dt>
              <dd>
                <a href={`#/processes/${enc(p.parent.processId)}`}>{p.parent.processId}</a> (task {p.parent.task})
              </dd>
            </>
          )}
          {p.compensates && (
            <>
              <dt>Compensates</dt>
              <dd>
                <a href={`#/processes/${enc(p.compensates)}`}>{p.compensates}</a>
              </dd>
            </>
          )}
          {p.compensatedBy && (
            <>
              <dt>Compensated by</dt>
              <dd>
                <a href={`#/processes/${enc(p.compensatedBy)}`}>{p.compensatedBy}</a>
              </dd>
            </>
          )}
          {p.compensationError && (
            <>
              <dt>Compensation</dt>
              <dd>{p.compensationError}</dd>
            </>
          )}
        </dl>
        {p.error && (
          <div class="error" role="status">
            <strong>{p.error.code}</strong>: {p.error.message}
            {p.error.task ? ` (task ${p.error.task})` : ''}
          </div>
        )}
        <div class="actions" role="group" aria-label="Process actions">
          {isLive(p.status) && (
            <button type="button" onClick={() => setDialog('cancel')}>
              Cancel
            </button>
          )}
          {p.status === 'RUNNING' && (
            <button type="button" onClick={() => setDialog('pause')}>
              Pause
            </button>
          )}
          {p.status === 'PAUSED' && (
            <button type="button" onClick={() => setDialog('resume')}>
              Resume
            </button>
          )}
          {ended && (
            <button type="button" onClick={() => setDialog('rerun')}>
              {picked.size > 0 ? `Rerun from ${picked.size} picked` : 'Rerun'}
            </button>
          )}
          <button type="button" class="secondary" onClick={() => void full()}>
            Refresh
          </button>
        </div>
      </header>
      <ErrorBox error={error} />
      <section aria-labelledby="graph-title">
        <h2 id="graph-title">Graph</h2>
        <ProcessGraph
          specs={data.definition.tasks}
          statuses={statuses}
          maps={maps}
          picked={picked}
          label={`Graph of process ${p.id}`}
          onSelect={(node) => (node.group ? setOpen(node.tasks.find((t) => statuses.get(t) === 'FAILED') ?? node.tasks[0]) : setOpen(node.id))}
        />
      </section>
      <section aria-labelledby="tasks-title">
        <h2 id="tasks-title">Tasks</h2>
        <TaskTable tasks={ordered} start={p.createdAt} end={p.endedAt} picked={picked} canPick={ended} onPick={pick} onOpen={setOpen} />
      </section>
      <HistoryPanel processId={p.id} version={historyVersion} />
      {openTask && (
        <TaskDrawer
          processId={p.id}
          processStatus={p.status}
          task={openTask}
          upstream={data.tasks}
          onClose={() => setOpen(undefined)}
          onChanged={() => {
            setOpen(undefined);
            void full();
          }}
        />
      )}
      {dialog && (
        <ProcessAction
          action={dialog}
          process={p}
          picked={[...picked]}
          onClose={() => setDialog(undefined)}
          onDone={() => {
            setPicked(new Set());
            void full();
          }}
        />
      )}
    </section>
  );
}

function pendingView(s: TaskSpec): TaskView {
  return { name: s.name, status: 'PENDING', needs: s.needs, queue: s.queue, attempt: 0, maxAttempts: 1 };
}

function ProcessAction(props: { action: 'cancel' | 'pause' | 'resume' | 'rerun'; process: ProcessView; picked: string[]; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const path = `/processes/${enc(props.process.id)}`;
  const withReason = reason.trim() === '' ? {} : { reason: reason.trim() };
  const run = (call: () => Promise<unknown>) => async () => {
    await call();
    props.onDone();
  };
  const reasonField = (
    <label>
      Reason (optional)
      <input value={reason} onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)} />
    </label>
  );
  switch (props.action) {
    case 'cancel':
      return (
        <ConfirmDialog title="Cancel this process" confirmLabel="Confirm cancel" onClose={props.onClose} onConfirm={run(() => api('POST', `${path}/cancel`, withReason))}>
          <p>The process ends CANCELLED and its unfinished tasks are cancelled. Running workers' later calls are refused. The reason becomes its error message.</p>
          {reasonField}
        </ConfirmDialog>
      );
    case 'pause':
      return (
        <ConfirmDialog title="Pause this process" confirmLabel="Confirm pause" onClose={props.onClose} onConfirm={run(() => api('POST', `${path}/pause`, withReason))}>
          <p>Running tasks finish, but nothing new is scheduled and claims are refused until you resume. The reason is shown in the history.</p>
          {reasonField}
        </ConfirmDialog>
      );
    case 'resume':
      return (
        <ConfirmDialog title="Resume this process" confirmLabel="Confirm resume" onClose={props.onClose} onConfirm={run(() => api('POST', `${path}/resume`))}>
          <p>What became ready while paused is scheduled, and waiting tasks get their messages again.</p>
        </ConfirmDialog>
      );
    case 'rerun':
      return (
        <ConfirmDialog
          title={props.picked.length > 0 ? `Rerun from ${props.picked.length} picked tasks` : 'Rerun this process'}
          confirmLabel="Confirm rerun"
          onClose={props.onClose}
          onConfirm={run(() => api('POST', `${path}/rerun`, props.picked.length > 0 ? { fromTasks: props.picked } : {}))}
        >
          <p>
            Runs the process again as run {props.process.runs + 1}: every task that did not complete
            {props.picked.length > 0 ? `, and ${props.picked.join(', ')} with everything downstream,` : ''} runs again; other completed tasks keep their outputs.
          </p>
        </ConfirmDialog>
      );
  }
}
