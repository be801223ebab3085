import { render } from 'preact';
import './styles.css';
import { DefinitionPage, DefinitionsPage } from './definitions-page.tsx';
import { useRoute } from './hooks.ts';
import { ProcessPage } from './process-page.tsx';
import { ProcessesPage } from './processes-page.tsx';

/** The console: hash routes, so that the server serves one page for all of them. */
function App() {
  const route = useRoute();
  const [section, id, version] = route;
  let page;
  if (section === 'processes' && id) page = <ProcessPage key={id} id={id} />;
  else if (section === 'definitions' && id) page = <DefinitionPage key={`${id}@${version ?? ''}`} name={id} version={version ? Number(version) : undefined} />;
  else if (section === 'definitions') page = <DefinitionsPage />;
  else page = <ProcessesPage />;
  const current = section === 'definitions' ? 'definitions' : 'processes';
  return (
    <>
      <header class="top">
        <a class="brand" href="#/processes">
          Tributary
        </a>
        <nav aria-label="Main">
          <a href="#/processes" aria-current={current === 'processes' ? 'page' : undefined}>
            Processes
          </a>
          <a href="#/definitions" aria-current={current === 'definitions' ? 'page' : undefined}>
            Definitions
          </a>
        </nav>
      </header>
      <main>{page}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
