/** A connector's page: its actions, its runs (the one under way live), and its tables. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, watchRun, type Connector, type LogLine, type Run } from './api.js';
import { describeRefreshEvery, describeSchedule, nextRunAt } from './schedule.js';
import { TablesTab } from './tables.js';
import { Badge, Empty, ErrorBox, Loading, When, duration, go, messageOf, number, useLoad } from './ui.js';

const ENDED = new Set(['success', 'partial', 'failed', 'interrupted', 'cancelled']);

export function ConnectorPage({ id, tab, runId }: { id: string; tab: 'runs' | 'tables'; runId?: string }) {
  const connector = useLoad(() => api.connector(id), [id]);
  const runs = useLoad(() => api.runs(id), [id]);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);

  // While a run is queued or running, the list refreshes itself.
  const active = runs.data?.find((run) => !ENDED.has(run.status));
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => { runs.reload(); connector.reload(); }, 2000);
    return () => clearInterval(timer);
  }, [active?.id, active?.status]);

  if (connector.error) return <ErrorBox message={connector.error} retry={connector.reload} />;
  if (!connector.data) return <Loading what="the connector" />;
  const c = connector.data;

  const act = async (action: () => Promise<unknown>, then?: (result: unknown) => void) => {
    setBusy(true);
    setActionError(null);
    try {
      const result = await action();
      connector.reload();
      runs.reload();
      then?.(result);
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = () => {
    if (!confirm(`Delete the connector "${c.name}"? Its runs are forgotten; the copy at ${c.destination} stays.`)) return;
    void act(() => api.remove(c.id), () => go('/'));
  };

  return (
    <section>
      <p class="crumbs"><a href="#/">Connectors</a> ›</p>
      <div class="heading">
        <h1>{c.name} <Badge status={c.paused ? 'paused' : 'active'} /></h1>
        <div class="actions">
          <button type="button" class="primary" disabled={busy} onClick={() => act(() => api.startRun(c.id), (r) => go(`/c/${c.id}/runs/${(r as Run).id}`))}>Run now</button>
          <button type="button" disabled={busy} onClick={() => act(() => api.startRun(c.id, true), (r) => go(`/c/${c.id}/runs/${(r as Run).id}`))}>Full refresh</button>
          <button type="button" disabled={busy} onClick={() => act(() => (c.paused ? api.resume(c.id) : api.pause(c.id)))}>{c.paused ? 'Resume' : 'Pause'}</button>
          <a class="button" href={`#/c/${c.id}/edit`}>Edit</a>
          <button type="button" class="danger" disabled={busy} onClick={remove}>Delete</button>
        </div>
      </div>
      <Summary connector={c} />
      {actionError && <ErrorBox message={actionError} />}
      <nav class="tabs" aria-label="connector">
        <a href={`#/c/${c.id}`} aria-current={tab === 'runs' ? 'page' : undefined}>Runs</a>
        <a href={`#/c/${c.id}/tables`} aria-current={tab === 'tables' ? 'page' : undefined}>Tables</a>
      </nav>
      {tab === 'tables' ? <TablesTab connectorId={c.id} /> : (
        <>
          {runId && <RunView connectorId={c.id} runId={runId} onEnd={() => { runs.reload(); connector.reload(); }} />}
          {runs.error ? <ErrorBox message={runs.error} retry={runs.reload} /> : !runs.data ? <Loading what="runs" /> : runs.data.length === 0 ? (
            <Empty><p>No runs yet. <button type="button" class="link" onClick={() => act(() => api.startRun(c.id), (r) => go(`/c/${c.id}/runs/${(r as Run).id}`))}>Start the first one</button></p></Empty>
          ) : <RunList connectorId={c.id} runs={runs.data} selected={runId} />}
        </>
      )}
    </section>
  );
}

function Summary({ connector }: { connector: Connector }) {
  return (
    <dl class="summary">
      <div><dt>Account</dt><dd>{connector.url}</dd></div>
      <div><dt>Key</dt><dd>{connector.key}</dd></div>
      <div><dt>Destination</dt><dd>{connector.destination}</dd></div>
      <div><dt>Schedule</dt><dd>{describeSchedule(connector.schedule)}{!connector.paused && connector.schedule && <> · next <When at={nextRunAt(connector)} /></>}</dd></div>
      <div><dt>Tables</dt><dd>{connector.tables.length} ({connector.tables.filter((t) => t.mode === 'incremental').length} incremental)</dd></div>
      {connector.refreshEveryHours !== null && <div><dt>Tables read whole</dt><dd>{describeRefreshEvery(connector.refreshEveryHours)}</dd></div>}
    </dl>
  );
}

function RunList({ connectorId, runs, selected }: { connectorId: string; runs: Run[]; selected: string | undefined }) {
  return (
    <div class="table-wrap">
      <table class="list runs">
        <caption>Runs, newest first</caption>
        <thead><tr><th>Started</th><th>Kind</th><th>Status</th><th class="num">Duration</th><th class="num">Rows</th><th class="num">Requests</th></tr></thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id} class={run.id === selected ? 'selected' : ''}>
              <td><a href={`#/c/${connectorId}/runs/${run.id}`}><When at={run.startedAt ?? run.queuedAt} /></a></td>
              <td>{run.kind.replace('_', ' ')}</td>
              <td><Badge status={run.status} /></td>
              <td class="num">{duration(run.durationSeconds)}</td>
              <td class="num">{number(run.rows)}</td>
              <td class="num">{number(run.requests)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface Rate { at: number; requests: number; rows: Map<string, number> }

/** One run: live while it goes (server-sent events), then its record per table and its log. */
function RunView({ connectorId, runId, onEnd }: { connectorId: string; runId: string; onEnd: () => void }) {
  const [run, setRun] = useState<Run | null>(null);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [speed, setSpeed] = useState<{ requestsPerSecond: number; rowsPerSecond: Map<string, number> } | null>(null);
  const last = useRef<Rate | null>(null);

  useEffect(() => {
    setRun(null);
    setLogs([]);
    setError(null);
    last.current = null;
    let live = true;
    api.run(connectorId, runId).then((r) => live && setRun(r), (e: unknown) => live && setError(messageOf(e)));
    api.logs(connectorId, runId).then((l) => live && setLogs(l), () => undefined);
    const measure = (r: Run) => {
      if (!r.progress) return;
      const now = Date.now();
      const rows = new Map(Object.entries(r.progress.tables).map(([t, p]) => [t, p.rows]));
      const before = last.current;
      if (before && now - before.at > 500) {
        const seconds = (now - before.at) / 1000;
        setSpeed({
          requestsPerSecond: (r.progress.requests - before.requests) / seconds,
          rowsPerSecond: new Map([...rows].map(([t, n]) => [t, (n - (before.rows.get(t) ?? 0)) / seconds])),
        });
      }
      if (!before || now - before.at > 500) last.current = { at: now, requests: r.progress.requests, rows };
    };
    const stop = watchRun(connectorId, runId, {
      progress: (r) => { measure(r); setRun(r); },
      log: (line) => setLogs((l) => (l.some((x) => x.seq === line.seq) ? l : [...l, line])),
      end: (r) => { if (r) setRun(r); onEnd(); },
    });
    return () => { live = false; stop(); };
  }, [connectorId, runId]);

  if (error) return <ErrorBox message={error} />;
  if (!run) return <Loading what="the run" />;
  const running = !ENDED.has(run.status);
  const notDue = run.tables.filter((t) => t.notDueUntil !== undefined).length;
  return (
    <article class="run" aria-live="polite">
      <h2>Run <Badge status={run.status} /> <span class="muted small">{run.kind.replace('_', ' ')} · queued <When at={run.queuedAt} />{run.attempt > 0 && ` · attempt ${run.attempt + 1}`}</span></h2>
      {running && <button type="button" class="danger" onClick={() => api.cancel(connectorId, runId).then(setRun, (e: unknown) => setError(messageOf(e)))}>Cancel</button>}
      {run.error && <ErrorBox message={run.error} />}
      <p class="figures">{number(run.progress?.rows ?? run.rows)} rows · {number(run.progress?.requests ?? run.requests)} requests
        {running && speed && ` · ${speed.requestsPerSecond.toFixed(1)} requests/s`}
        {!running && ` · ${duration(run.durationSeconds)}`}
        {notDue > 0 && ` · ${notDue} ${notDue === 1 ? 'table' : 'tables'} not due`}</p>
      {running ? <LiveTables run={run} rowsPerSecond={speed?.rowsPerSecond ?? new Map()} /> : <RunTables run={run} />}
      <details open={!running && run.status !== 'success'}>
        <summary>Log ({logs.length} lines)</summary>
        <pre class="log">{logs.map((l) => `${l.at.slice(11, 19)} ${l.level.padEnd(5)} ${l.message}`).join('\n') || 'no lines yet'}</pre>
      </details>
    </article>
  );
}

function timeLeft(rows: number, total: number | null, perSecond: number | undefined): string {
  if (total === null || !perSecond || perSecond <= 0) return '';
  const seconds = Math.max(0, (total - rows) / perSecond);
  return seconds < 1 ? '' : `${duration(seconds)} left`;
}

function LiveTables({ run, rowsPerSecond }: { run: Run; rowsPerSecond: Map<string, number> }) {
  const tables = Object.entries(run.progress?.tables ?? {});
  if (tables.length === 0) return <p class="muted">{run.status === 'queued' ? 'Waiting for a worker (one run per account at a time)…' : 'Starting…'}</p>;
  return (
    <div class="table-wrap">
      <table class="list live">
        <thead><tr><th>Table</th><th>Progress</th><th class="num">Rows</th><th class="num">Pages</th><th class="num">Rows/s</th><th>Time left</th></tr></thead>
        <tbody>
          {tables.map(([table, p]) => (
            <tr key={table}>
              <td>{table}</td>
              <td>{p.done ? <Badge status="success" /> : p.total ? <progress max={p.total} value={p.rows} aria-label={`${table} progress`} /> : <progress aria-label={`${table} progress`} />}</td>
              <td class="num">{number(p.rows)}{p.total !== null && <span class="muted"> / {number(p.total)}</span>}</td>
              <td class="num">{number(p.pages)}</td>
              <td class="num">{p.done ? '' : (rowsPerSecond.get(table) ?? 0).toFixed(0)}</td>
              <td>{p.done ? 'done' : timeLeft(p.rows, p.total, rowsPerSecond.get(table))}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A table left out by the connector's refresh interval: not a failure, and when the next run reads it. */
function NotDue({ until }: { until: string }) {
  return <>not due until <time dateTime={until} title={until}>{new Date(until).toLocaleString()}</time> (refresh interval)</>;
}

function RunTables({ run }: { run: Run }) {
  if (run.tables.length === 0) return <p class="muted">No table records.</p>;
  return (
    <div class="table-wrap">
      <table class="list">
        <thead><tr><th>Table</th><th>Mode</th><th>Status</th><th class="num">Rows</th><th class="num">Requests</th><th>Notes</th></tr></thead>
        <tbody>
          {run.tables.map((t) => (
            <tr key={t.table}>
              <td>{t.table}</td>
              <td>{t.mode}</td>
              <td><Badge status={t.notDueUntil !== undefined ? 'not due' : t.status} /></td>
              <td class="num">{number(t.rows)}</td>
              <td class="num">{number(t.requests)}</td>
              <td class="small">{t.notDueUntil !== undefined && <NotDue until={t.notDueUntil} />}{[...(t.error ? [t.error] : []), ...t.warnings, ...(t.conversionErrors > 0 ? [`${t.conversionErrors} values did not fit their type (stored as NULL)`] : [])].join(' · ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
