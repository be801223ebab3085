import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

/** An API error as code and message (and its problem list), never a blank page. */
export function ErrorBox({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, 'Error', (error as Error).message ?? String(error));
  const problems = Array.isArray(e.details) ? (e.details as { path?: string; message: string }[]) : [];
  return (
    <div class="error" role="alert">
      <strong class="error-code">{e.code}</strong>: <span class="error-message">{e.message}</span>
      {problems.length > 0 && (
        <ul>
          {problems.map((p, i) => (
            <li key={i}>
              {p.path ? <code>{p.path}</code> : null} {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** JSON in a textarea, parsed as it is typed; `check` may add problems (e.g. an inputSchema's). */
export function JsonEditor(props: {
  label: string;
  value: string;
  onInput: (text: string) => void;
  problems: string[];
  rows?: number;
}) {
  const id = useRef(`json-${Math.random().toString(36).slice(2)}`).current;
  return (
    <div class="json-editor">
      <label for={id}>{props.label}</label>
      <textarea
        id={id}
        rows={props.rows ?? 6}
        spellcheck={false}
        value={props.value}
        aria-invalid={props.problems.length > 0}
        aria-describedby={`${id}-problems`}
        onInput={(e) => props.onInput((e.currentTarget as HTMLTextAreaElement).value)}
      />
      <div id={`${id}-problems`} class={props.problems.length > 0 ? 'problems' : 'ok'} aria-live="polite">
        {props.problems.length > 0 ? (
          <ul>
            {props.problems.map((p, i) => (
              <li key={i}>{p}</li>
            ))}
          </ul>
        ) : (
          'Valid JSON'
        )}
      </div>
    </div>
  );
}

/** The problems of a JSON text: a parse error, or none. */
export function jsonProblems(text: string): { value?: unknown; problems: string[] } {
  if (text.trim() === '') return { value: undefined, problems: [] };
  try {
    return { value: JSON.parse(text), problems: [] };
  } catch (error) {
    return { problems: [`Not JSON: ${(error as Error).message}`] };
  }
}

/**
 * A modal that says what will happen before it happens. The action runs on
 * "Confirm …"; its error stays in the dialog, so the operator can fix and retry.
 */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  disabled?: boolean;
  children: ComponentChildren;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      props.onClose();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onClose={props.onClose}>
      <h2 id="confirm-title">{props.title}</h2>
      <div class="confirm-body">{props.children}</div>
      <ErrorBox error={error} />
      <div class="confirm-actions">
        <button type="button" class="secondary" onClick={props.onClose}>
          Close
        </button>
        <button type="button" class="primary" disabled={busy || props.disabled} onClick={() => void confirm()}>
          {busy ? 'Working…' : props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function ProgressBar({ percent, label }: { percent: number; label: string }) {
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(percent)}>
      <div class="progress-track">
        <div class="progress-fill" style={{ width: `${Math.min(100, Math.max(0, percent))}%` }} />
      </div>
      <span class="progress-text">{Math.round(percent)}%</span>
    </div>
  );
}
