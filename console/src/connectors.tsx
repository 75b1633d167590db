/** The connectors page: every connector with its status, last run, next run, rows and warnings. */
import { useState } from 'preact/hooks';
import { api, type Connector } from './api.js';
import { Badge, Empty, ErrorBox, Loading, When, go, messageOf, number, useLoad } from './ui.js';
import { describeSchedule, nextRunAt } from './schedule.js';

function warningsOf(connector: Connector): number {
  return connector.lastRun?.tables.reduce((n, t) => n + t.warnings.length + (t.conversionErrors > 0 ? 1 : 0), 0) ?? 0;
}

export function ConnectorsPage() {
  const { data, error, reload } = useLoad(() => api.connectors(), []);
  const [acting, setActing] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);

  const act = async (connector: Connector, action: 'pause' | 'resume' | 'delete') => {
    if (action === 'delete' && !confirm(`Delete the connector "${connector.name}"? Its runs are forgotten; the copy at ${connector.destination} stays.`)) return;
    setActing(connector.id);
    setActionError(null);
    try {
      if (action === 'delete') await api.remove(connector.id);
      else await api[action](connector.id);
      reload();
    } catch (e) {
      setActionError(messageOf(e));
    } finally {
      setActing(null);
    }
  };

  return (
    <section>
      <div class="heading">
        <h1>Connectors</h1>
        <a class="button primary" href="#/new">New connector</a>
      </div>
      {actionError && <ErrorBox message={actionError} />}
      {error ? <ErrorBox message={error} retry={reload} /> : !data ? <Loading what="connectors" /> : data.length === 0 ? (
        <Empty>
          <p>No connectors yet. A connector copies one ActiveCampaign account into your warehouse, and keeps it current.</p>
          <a class="button primary" href="#/new">Set up your first connector</a>
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="list">
            <thead>
              <tr><th>Name</th><th>Status</th><th>Last run</th><th>Next run</th><th class="num">Rows</th><th class="num">Warnings</th><th><span class="sr-only">Actions</span></th></tr>
            </thead>
            <tbody>
              {data.map((connector) => (
                <tr key={connector.id}>
                  <td><a href={`#/c/${connector.id}`}>{connector.name}</a><div class="muted small">{connector.url}</div></td>
                  <td><Badge status={connector.paused ? 'paused' : 'active'} /></td>
                  <td>{connector.lastRun ? <><Badge status={connector.lastRun.status} /> <When at={connector.lastRun.endedAt ?? connector.lastRun.startedAt ?? connector.lastRun.queuedAt} /></> : <span class="muted">never</span>}</td>
                  <td>{connector.paused ? <span class="muted">paused</span> : <span title={describeSchedule(connector.schedule)}><When at={nextRunAt(connector)} /></span>}</td>
                  <td class="num">{number(connector.lastRun?.rows)}</td>
                  <td class="num">{warningsOf(connector) || ''}</td>
                  <td class="actions">
                    <button type="button" disabled={acting === connector.id} onClick={() => act(connector, connector.paused ? 'resume' : 'pause')}>{connector.paused ? 'Resume' : 'Pause'}</button>
                    <button type="button" class="danger" disabled={acting === connector.id} onClick={() => act(connector, 'delete')}>Delete</button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.length > 0 && <p class="muted small">Click a connector to watch its runs. <button type="button" class="link" onClick={() => go('/new')}>Add another</button></p>}
    </section>
  );
}
