/** The console: a single page over the service's HTTP API, routed by the URL's hash. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ConnectorPage } from './connector.js';
import { ConnectorFormPage } from './connector-form.js';
import { ConnectorsPage } from './connectors.js';
import { ErrorBox } from './ui.js';

type Route =
  | { page: 'connectors' }
  | { page: 'new' }
  | { page: 'edit'; id: string }
  | { page: 'connector'; id: string; tab: 'runs' | 'tables'; runId?: string }
  | { page: 'missing'; path: string };

export function route(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'connectors' };
  if (parts[0] === 'new' && parts.length === 1) return { page: 'new' };
  if (parts[0] === 'c' && parts[1]) {
    const id = parts[1];
    if (parts.length === 2) return { page: 'connector', id, tab: 'runs' };
    if (parts[2] === 'edit' && parts.length === 3) return { page: 'edit', id };
    if (parts[2] === 'tables' && parts.length === 3) return { page: 'connector', id, tab: 'tables' };
    if (parts[2] === 'runs' && parts[3] && parts.length === 4) return { page: 'connector', id, tab: 'runs', runId: parts[3] };
  }
  return { page: 'missing', path };
}

function App() {
  const [current, setCurrent] = useState(() => route(location.hash));
  useEffect(() => {
    const onChange = () => { setCurrent(route(location.hash)); window.scrollTo(0, 0); };
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return (
    <>
      <header class="top">
        <a href="#/" class="brand">acsync</a>
        <span class="muted small">ActiveCampaign → your warehouse</span>
        <a class="small" href="/openapi.json">API</a>
      </header>
      <main id="main">
        {current.page === 'connectors' && <ConnectorsPage />}
        {current.page === 'new' && <ConnectorFormPage />}
        {current.page === 'edit' && <ConnectorFormPage key={current.id} id={current.id} />}
        {current.page === 'connector' && <ConnectorPage key={current.id} id={current.id} tab={current.tab} {...(current.runId && { runId: current.runId })} />}
        {current.page === 'missing' && <ErrorBox message={`no page at ${current.path}`} />}
      </main>
    </>
  );
}

const root = document.getElementById('app')!;
root.textContent = ''; // the static "Loading…" the page shows until this script runs
render(<App />, root);
