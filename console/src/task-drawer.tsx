import { useEffect, useState } from 'preact/hooks';
import { api, enc } from './api.ts';
import { AttemptBars } from './attempt-bars.tsx';
import { formatTime } from './hooks.ts';
import { StatusBadge, isEnded } from './status.tsx';
import type { TaskDetail, TaskView } from './types.ts';
import { ConfirmDialog, ErrorBox, JsonEditor, jsonProblems } from './widgets.tsx';

type Action = 'complete' | 'fail' | 'release' | 'rerun';

/**
 * One task: status, attempts (from its events), worker, lease expiry, the
 * input as claimed (its needs' outputs), output, error, why it was skipped,
 * map counters when it has them; and the actions that fit its status. Read
 * again only when the task's status or attempt moves.
 */
export function TaskDrawer(props: {
  processId: string;
  processStatus: string;
  task: TaskView;
  upstream: ReadonlyMap<string, TaskView>;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { task } = props;
  const [detail, setDetail] = useState<TaskDetail>();
  const [error, setError] = useState<unknown>();
  const [action, setAction] = useState<Action>();
  useEffect(() => {
    api<TaskDetail>('GET', `/processes/${enc(props.processId)}/tasks/${enc(task.name)}`).then(setDetail, setError);
  }, [props.processId, task.name, task.status, task.attempt]);
  const view = detail ?? task;
  const unclaimed = task.status === 'SCHEDULED' && props.processStatus === 'RUNNING';
  return (
    <aside class="drawer" role="complementary" aria-labelledby="drawer-title" data-drawer-task={task.name}>
      <header>
        <h2 id="drawer-title">Task {task.name}</h2>
        <button type="button" class="secondary" onClick={props.onClose} aria-label="Close task details">
          ✕
        </button>
      </header>
      <StatusBadge status={view.status} />
      <div class="actions">
        {unclaimed && (
          <>
            <button type="button" onClick={() => setAction('complete')}>
              Complete
            </button>
            <button type="button" onClick={() => setAction('fail')}>
              Fail
            </button>
          </>
        )}
        {task.status === 'RUNNING' && (
          <button type="button" onClick={() => setAction('release')}>
            Release
          </button>
        )}
        {isEnded(props.processStatus) && (
          <button type="button" onClick={() => setAction('rerun')}>
            Rerun from here
          </button>
        )}
      </div>
      <ErrorBox error={error} />
      <dl class="facts">
        <dt>Attempt</dt>
        <dd>
          {view.attempt} of {view.maxAttempts}
        </dd>
        <dt>Queue</dt>
        <dd>{view.queue}</dd>
        <dt>Worker</dt>
        <dd>{view.workerId ?? '—'}</dd>
        <dt>Lease expires</dt>
        <dd>{view.leaseExpiresAt ? formatTime(view.leaseExpiresAt) : '—'}</dd>
        <dt>Scheduled</dt>
        <dd>{formatTime(view.scheduledAt)}</dd>
        <dt>Claimed</dt>
        <dd>{formatTime(view.claimedAt)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(view.endedAt)}</dd>
        {view.nextAttemptAt && (
          <>
            <dt>Next attempt</dt>
            <dd>{formatTime(view.nextAttemptAt)}</dd>
          </>
        )}
        {(view.skippedBecause || view.skipReason) && (
          <>
            <dt>Skipped because</dt>
            <dd>{view.skippedBecause ?? view.skipReason}</dd>
          </>
        )}
        {view.childProcessId && (
          <>
            <dt>Child process</dt>
            <dd data-child-process>
              <a href={`#/processes/${enc(view.childProcessId)}`}>{view.childProcessId}</a>
            </dd>
          </>
        )}
        {view.map && (
          <>
            <dt>Map</dt>
            <dd data-map>
              {view.map.completed}/{view.map.total} completed · {view.map.running} running · {view.map.scheduled} scheduled · {view.map.failed} failed · {view.map.cancelled} cancelled
            </dd>
          </>
        )}
      </dl>
      <h3>Input as claimed (upstream)</h3>
      {task.needs.length === 0 ? <p>A root task: it gets the process input only.</p> : <Json value={Object.fromEntries(task.needs.map((n) => [n, props.upstream.get(n)?.output]))} />}
      {view.output !== undefined && (
        <>
          <h3>Output</h3>
          <Json value={view.output} />
        </>
      )}
      {view.outputOmitted && <p>The output is large: it is shown when the task is read alone.</p>}
      {(view.error ?? view.lastError) && (
        <>
          <h3>{view.error ? 'Error' : 'Last error'}</h3>
          <Json value={view.error ?? view.lastError} />
        </>
      )}
      <h3>Attempts</h3>
      <AttemptBars events={detail?.events ?? []} />
      {action && <TaskAction action={action} processId={props.processId} task={task} onClose={() => setAction(undefined)} onDone={props.onChanged} />}
    </aside>
  );
}

function Json({ value }: { value: unknown }) {
  return <pre class="json">{value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>;
}

function TaskAction(props: { action: Action; processId: string; task: TaskView; onClose: () => void; onDone: () => void }) {
  const [text, setText] = useState(props.action === 'complete' ? '{}' : '');
  const [code, setCode] = useState('ManualFailure');
  const [message, setMessage] = useState('');
  const [retry, setRetry] = useState(false);
  const path = `/processes/${enc(props.processId)}/tasks/${enc(props.task.name)}`;
  const { value, problems } = jsonProblems(text);
  const name = props.task.name;
  const run = async (call: () => Promise<unknown>) => {
    await call();
    props.onDone();
  };
  switch (props.action) {
    case 'complete':
      return (
        <ConfirmDialog
          title={`Complete ${name}`}
          confirmLabel="Confirm complete"
          disabled={problems.length > 0}
          onClose={props.onClose}
          onConfirm={() => run(() => api('POST', `${path}/complete`, value === undefined ? {} : { output: value }))}
        >
          <p>
            Completes the unclaimed task <strong>{name}</strong> with this output; the tasks that need it are scheduled.
          </p>
          <JsonEditor label="Output (JSON)" value={text} onInput={setText} problems={problems} />
        </ConfirmDialog>
      );
    case 'fail':
      return (
        <ConfirmDialog
          title={`Fail ${name}`}
          confirmLabel="Confirm fail"
          disabled={problems.length > 0 || message.trim() === '' || code.trim() === ''}
          onClose={props.onClose}
          onConfirm={() =>
            run(() =>
              api('POST', `${path}/fail`, { error: { code: code.trim(), message: message.trim(), retryable: retry, ...(value === undefined ? {} : { details: value }) } }),
            )
          }
        >
          <p>
            Fails the unclaimed task <strong>{name}</strong>.{' '}
            {retry ? 'It is retried while its retry policy allows.' : "It fails for good, and the process's failure policy applies."}
          </p>
          <label>
            Error code
            <input value={code} onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label>
            Error message
            <input value={message} required onInput={(e) => setMessage((e.currentTarget as HTMLInputElement).value)} />
          </label>
          <label class="inline">
            <input type="checkbox" checked={retry} onChange={(e) => setRetry((e.currentTarget as HTMLInputElement).checked)} /> Retry if attempts are left
          </label>
          <JsonEditor label="Error details (JSON, optional)" value={text} onInput={setText} problems={problems} rows={3} />
        </ConfirmDialog>
      );
    case 'release':
      return (
        <ConfirmDialog title={`Release ${name}`} confirmLabel="Confirm release" onClose={props.onClose} onConfirm={() => run(() => api('POST', `${path}/release-lease`, {}))}>
          <p>
            For a worker known to be dead: <strong>{name}</strong> is scheduled again at the same attempt ({props.task.attempt}) and its message is sent again. The old
            worker's lease is fenced: its later heartbeat, complete or fail gets 409 LeaseMismatch.
          </p>
        </ConfirmDialog>
      );
    case 'rerun':
      return (
        <ConfirmDialog
          title={`Rerun from ${name}`}
          confirmLabel="Confirm rerun"
          onClose={props.onClose}
          onConfirm={() => run(() => api('POST', `/processes/${enc(props.processId)}/rerun`, { fromTasks: [name] }))}
        >
          <p>
            Runs the process again: <strong>{name}</strong>, everything downstream of it and every task that did not complete run again; other completed tasks keep
            their outputs.
          </p>
        </ConfirmDialog>
      );
  }
}
