/** A connector's tables: the relationship diagram, each table's columns and descriptions, rows at the destination, when a table not due is next read. */
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { Empty, ErrorBox, Loading, When, number, useLoad } from './ui.js';

export function TablesTab({ connectorId }: { connectorId: string }) {
  const tables = useLoad(() => api.tables(connectorId), [connectorId]);
  const [filter, setFilter] = useState('');
  if (tables.error) return <ErrorBox message={tables.error} retry={tables.reload} />;
  if (!tables.data) return <Loading what="tables" />;
  const shown = tables.data.filter((t) => !filter || t.name.includes(filter.toLowerCase()) || t.columns.some((c) => c.name.toLowerCase().includes(filter.toLowerCase())));
  return (
    <div class="tables-tab">
      <p>
        <a class="button" href={api.dbtUrl(connectorId)} download="sources.yml">Download dbt sources</a>{' '}
        <a class="button" href="/console/erd.html" target="_blank" rel="noopener">Open the diagram in its own tab</a>
      </p>
      <iframe class="erd" title="How the tables relate" src="/console/erd.html" loading="lazy" />
      <label>Find a table or column <input type="search" name="filter" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} /></label>
      {shown.length === 0 ? <Empty><p>No table or column matches “{filter}”.</p></Empty> : shown.map((table) => (
        <details key={table.name} class="table-card">
          <summary>
            <strong>{table.name}</strong> <span class="muted small">{table.mode}</span>
            {table.notDueUntil !== null && <span class="muted small not-due">next read after <time dateTime={table.notDueUntil} title={table.notDueUntil}>{new Date(table.notDueUntil).toLocaleString()}</time> (refresh interval)</span>}
            <span class="rows">{table.rows === null ? <span class="muted">not synced yet</span> : <>{number(table.rows)} rows <span class="muted small">(<When at={table.countedAt} />)</span></>}</span>
          </summary>
          <p>{table.description}</p>
          <div class="table-wrap">
            <table class="list columns">
              <thead><tr><th>Column</th><th>Type</th><th>Description</th></tr></thead>
              <tbody>
                {table.columns.map((c) => {
                  const relation = table.relations.find((r) => r.column === c.name);
                  return (
                    <tr key={c.name}>
                      <td><code>{c.name}</code>{table.primaryKey.includes(c.name) && <span class="badge muted" title="primary key">key</span>}</td>
                      <td>{c.type}</td>
                      <td class="small">{c.description ?? ''}{relation && <span class="muted"> → {relation.table}.{relation.references}</span>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </details>
      ))}
    </div>
  );
}
