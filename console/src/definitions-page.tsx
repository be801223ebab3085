import { useEffect, useMemo, useState } from 'preact/hooks';
import { compileInputSchema } from '#domain/input-schema.ts';
import { api, enc, query } from './api.ts';
import { formatTime, go } from './hooks.ts';
import { ProcessGraph } from './process-graph.tsx';
import type { DefinitionSummary, DefinitionView, Page } from './types.ts';
import { ErrorBox, JsonEditor, jsonProblems } from './widgets.tsx';

/** Definitions by name, a page at a time. */
export function DefinitionsPage() {
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<Page<DefinitionSummary>>();
  const [error, setError] = useState<unknown>();
  const token = tokens[tokens.length - 1];
  useEffect(() => {
    api<Page<DefinitionSummary>>('GET', `/definitions${query({ limit: 50, nextToken: token })}`).then(setPage, setError);
  }, [token]);
  return (
    <section aria-labelledby="definitions-title">
      <h1 id="definitions-title">Definitions</h1>
      <ErrorBox error={error} />
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Definitions table">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Latest version</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            {(page?.items ?? []).map((d) => (
              <tr key={d.name} data-definition={d.name}>
                <td>
                  <a href={`#/definitions/${enc(d.name)}`}>{d.name}</a>
                </td>
                <td>{d.latestVersion}</td>
                <td>{d.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {page && page.items.length === 0 && <p>No definitions yet: apply one with `npx tributary apply file.yaml`.</p>}
      </div>
      <nav class="pager" aria-label="Pages of definitions">
        <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Previous page
        </button>
        <button type="button" disabled={!page?.nextToken} onClick={() => setTokens([...tokens, page?.nextToken])}>
          Next page
        </button>
      </nav>
    </section>
  );
}

/**
 * One definition: its versions, its graph, its source (the stored version, as
 * JSON), and a Start form that checks the input against the `inputSchema`
 * in the browser, with the API's own checker (shared/domain/input-schema.ts),
 * before sending it.
 */
export function DefinitionPage({ name, version }: { name: string; version?: number }) {
  const [def, setDef] = useState<DefinitionView>();
  const [latest, setLatest] = useState<number>();
  const [error, setError] = useState<unknown>();
  const [tab, setTab] = useState<'graph' | 'source'>('graph');
  useEffect(() => {
    setDef(undefined);
    const path = version === undefined ? `/definitions/${enc(name)}` : `/definitions/${enc(name)}/versions/${version}`;
    api<DefinitionView>('GET', path).then((d) => {
      setDef(d);
      if (version === undefined) setLatest(d.version);
    }, setError);
    if (version !== undefined) api<DefinitionView>('GET', `/definitions/${enc(name)}`).then((d) => setLatest(d.version), setError);
  }, [name, version]);
  if (!def) {
    return (
      <section>
        <h1>Definition {name}</h1>
        <ErrorBox error={error} />
        {!error && <p aria-busy="true">Loading…</p>}
      </section>
    );
  }
  return (
    <section aria-labelledby="definition-title">
      <h1 id="definition-title">
        {def.name}@{def.version}
      </h1>
      {def.description && <p>{def.description}</p>}
      <p>
        <label>
          Version{' '}
          <select value={String(def.version)} onChange={(e) => go(`/definitions/${enc(name)}/${(e.currentTarget as HTMLSelectElement).value}`)}>
            {Array.from({ length: latest ?? def.version }, (_, i) => (latest ?? def.version) - i).map((v) => (
              <option key={v} value={String(v)}>
                {v}
                {v === latest ? ' (latest)' : ''}
              </option>
            ))}
          </select>
        </label>{' '}
        created {formatTime(def.createdAt)} · {def.tasks.length} tasks · <a href={`#/processes?definition=${enc(def.name)}`}>its processes</a>
      </p>
      <StartForm def={def} />
      <div role="tablist" aria-label="Definition views" class="tabs">
        <button type="button" role="tab" aria-selected={tab === 'graph'} onClick={() => setTab('graph')}>
          Graph
        </button>
        <button type="button" role="tab" aria-selected={tab === 'source'} onClick={() => setTab('source')}>
          Source
        </button>
      </div>
      <div role="tabpanel" aria-label={tab === 'graph' ? 'Graph' : 'Source'}>
        {tab === 'graph' ? <ProcessGraph specs={def.tasks} label={`Graph of ${def.name}@${def.version}`} /> : <pre class="json source" tabIndex={0}>{JSON.stringify(def, null, 2)}</pre>}
      </div>
    </section>
  );
}

function StartForm({ def }: { def: DefinitionView }) {
  const [text, setText] = useState('{}');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const check = useMemo(() => (def.inputSchema ? compileInputSchema(def.inputSchema) : undefined), [def]);
  const parsed = jsonProblems(text);
  const problems =
    parsed.problems.length > 0 || !check ? parsed.problems : check(parsed.value ?? {}).map((p) => `${p.path ? `${p.path.replace(/^\/input/, '') || '/'}: ` : ''}${p.message}`);
  const start = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const started = await api<{ id: string }>('POST', '/processes', { definition: def.name, version: def.version, input: parsed.value ?? {} });
      go(`/processes/${enc(started.id)}`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      class="start-form"
      aria-labelledby="start-title"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      <h2 id="start-title">Start a process</h2>
      {def.inputSchema ? <p>The input is checked against the definition's inputSchema before it is sent.</p> : <p>This definition has no inputSchema: any JSON input is accepted.</p>}
      <JsonEditor label="Input (JSON)" value={text} onInput={setText} problems={problems} rows={5} />
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy || problems.length > 0}>
        Start
      </button>
    </form>
  );
}
