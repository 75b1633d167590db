/**
 * New and edit connector, in the original product's order: name, URL and Key → Test → tables and modes →
 * destination → schedule, full pass and refresh interval → webhook → Save (which starts the first sync and opens its run).
 */
import { useMemo, useState } from 'preact/hooks';
import { destinationKind as kindOfUri, type DestinationKind as UriKind } from '../../src/destinations/uri-kind.js';
import { api, type CatalogTable, type Connector, type ConnectorCreate, type Schedule, type TestResult } from './api.js';
import { parseRefreshEveryText, refreshEveryText } from './schedule.js';
import { ErrorBox, Loading, go, messageOf, useLoad } from './ui.js';

type Mode = 'full' | 'incremental';
type DestinationKind = 'default' | UriKind;
type ScheduleKind = 'manual' | 'minutes' | 'hours' | 'cron';

const DESTINATIONS: { kind: DestinationKind; label: string; placeholder: string; hint: string }[] = [
  { kind: 'default', label: 'DuckDB file (default)', placeholder: '', hint: 'A DuckDB file in the service\'s data folder: nothing to set up.' },
  { kind: 'duckdb', label: 'DuckDB file', placeholder: 'duckdb:/data/activecampaign.duckdb', hint: 'duckdb:<file>' },
  { kind: 'postgres', label: 'PostgreSQL', placeholder: 'postgres://user@host:5432/warehouse?schema=activecampaign', hint: 'postgres://user@host:port/database?schema=name (put the password in PGPASSWORD where the service runs)' },
  { kind: 'parquet', label: 'Parquet folder', placeholder: 'parquet:/data/lake', hint: 'parquet:<folder>' },
  { kind: 's3', label: 'S3', placeholder: 's3://bucket/prefix', hint: 's3://bucket/prefix (credentials from the AWS_* variables where the service runs)' },
];

/** The saved destination's kind; the service accepted it, so an unknown form can only be a file the console shows as DuckDB. */
function destinationKind(destination: string | undefined): DestinationKind {
  if (!destination) return 'default';
  return kindOfUri(destination)?.kind ?? 'duckdb';
}

function scheduleKind(schedule: Schedule | undefined): ScheduleKind {
  if (!schedule) return schedule === undefined ? 'hours' : 'manual';
  return 'cron' in schedule ? 'cron' : 'everyMinutes' in schedule ? 'minutes' : 'hours';
}

export function ConnectorFormPage({ id }: { id?: string }) {
  const catalog = useLoad(() => api.catalog(), []);
  const existing = useLoad(() => (id ? api.connector(id) : Promise.resolve(null)), [id]);
  if (catalog.error) return <ErrorBox message={catalog.error} retry={catalog.reload} />;
  if (existing.error) return <ErrorBox message={existing.error} retry={existing.reload} />;
  if (!catalog.data || existing.data === undefined) return <Loading what="the catalog" />;
  return <ConnectorForm catalog={catalog.data} existing={existing.data} />;
}

function ConnectorForm({ catalog, existing }: { catalog: CatalogTable[]; existing: Connector | null }) {
  const [name, setName] = useState(existing?.name ?? '');
  const [url, setUrl] = useState(existing?.url ?? '');
  const [key, setKey] = useState('');
  const [modes, setModes] = useState<Map<string, Mode>>(() => new Map(
    existing ? existing.tables.map((t) => [t.name, t.mode]) : catalog.map((t) => [t.name, t.modes.includes('incremental') ? 'incremental' : 'full']),
  ));
  const [destKind, setDestKind] = useState<DestinationKind>(destinationKind(existing?.destination));
  const [destination, setDestination] = useState(existing && destinationKind(existing.destination) !== 'default' ? existing.destination : '');
  const [schedKind, setSchedKind] = useState<ScheduleKind>(scheduleKind(existing ? existing.schedule : undefined));
  const initial = existing?.schedule;
  const [every, setEvery] = useState(String(initial && 'everyMinutes' in initial ? initial.everyMinutes : initial && 'everyHours' in initial ? initial.everyHours : 1));
  const [cron, setCron] = useState(initial && 'cron' in initial ? initial.cron : '0 3 * * *');
  const [fullPassDays, setFullPassDays] = useState(existing?.fullRefreshEveryDays ? String(existing.fullRefreshEveryDays) : '');
  const [refreshEvery, setRefreshEvery] = useState(refreshEveryText(existing?.refreshEveryHours ?? null));
  const [webhook, setWebhook] = useState(existing?.webhookUrl ?? '');
  const [test, setTest] = useState<TestResult | null>(null);
  const [testing, setTesting] = useState(false);
  const [testError, setTestError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);

  const denied = useMemo(() => new Map((test?.tables ?? []).filter((t) => !t.readable).map((t) => [t.table, t])), [test]);
  const credentialsChanged = !existing || key !== '' || url !== existing.url;

  const runTest = async (): Promise<TestResult | null> => {
    setTesting(true);
    setTestError(null);
    try {
      const tables = [...modes.keys()].map((table) => ({ name: table }));
      const result = credentialsChanged
        ? await api.testNew({ url: url.trim(), key: key.trim(), ...(tables.length > 0 && { tables }) })
        : await api.testSaved(existing.id);
      setTest(result);
      return result;
    } catch (e) {
      setTest(null);
      setTestError(messageOf(e));
      return null;
    } finally {
      setTesting(false);
    }
  };

  const schedule = (): Schedule => {
    if (schedKind === 'manual') return null;
    if (schedKind === 'cron') return { cron: cron.trim() };
    return schedKind === 'minutes' ? { everyMinutes: Number(every) } : { everyHours: Number(every) };
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setSaveError(null);
    if (modes.size === 0) return setSaveError('choose at least one table');
    let refreshEveryHours: Connector['refreshEveryHours'];
    try {
      refreshEveryHours = parseRefreshEveryText(refreshEvery);
    } catch (e) {
      return setSaveError(messageOf(e));
    }
    // A new URL or Key is tested first: a wrong one is said here, and nothing is saved.
    if (credentialsChanged && !(await runTest())) return setSaveError('the URL and Key did not pass the test: nothing was saved');
    setSaving(true);
    try {
      const settings = {
        name: name.trim(),
        tables: [...modes].map(([table, mode]) => ({ name: table, mode })),
        destination: destKind === 'default' ? undefined : destination.trim(),
        schedule: schedule(),
        fullRefreshEveryDays: fullPassDays ? Number(fullPassDays) : null,
        refreshEveryHours,
        webhookUrl: webhook.trim() || null,
      };
      if (existing) {
        await api.update(existing.id, { ...settings, ...(url !== existing.url && { url: url.trim() }), ...(key && { key: key.trim() }) });
        go(`/c/${existing.id}`);
      } else {
        const input: ConnectorCreate = { ...settings, url: url.trim(), key: key.trim() };
        if (input.destination === undefined) delete input.destination;
        const created = await api.create(input);
        const run = await api.startRun(created.id);
        go(`/c/${created.id}/runs/${run.id}`);
      }
    } catch (e) {
      setSaveError(messageOf(e));
    } finally {
      setSaving(false);
    }
  };

  const setMode = (table: string, mode: Mode | null) => setModes((current) => {
    const next = new Map(current);
    if (mode === null) next.delete(table);
    else next.set(table, mode);
    return next;
  });
  const allChosen = modes.size === catalog.length;
  const destinationHint = DESTINATIONS.find((d) => d.kind === destKind)!;

  return (
    <form class="connector-form" onSubmit={save} novalidate>
      <h1>{existing ? `Edit ${existing.name}` : 'New connector'}</h1>

      <fieldset>
        <legend>1. Account</legend>
        <label>Name <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Main account" /></label>
        <label>URL <input name="url" type="url" required value={url} onInput={(e) => { setUrl(e.currentTarget.value); setTest(null); }} placeholder="https://youraccount.api-us1.com" /></label>
        <label>Key
          <input name="key" type="password" autoComplete="off" required={!existing} value={key} onInput={(e) => { setKey(e.currentTarget.value); setTest(null); }}
            placeholder={existing ? `${existing.key} (leave empty to keep)` : 'API key'} />
        </label>
        <p class="hint">Both are in ActiveCampaign under Settings → Developer. The Key is stored encrypted and never shown again.</p>
        <button type="button" onClick={runTest} disabled={testing || (credentialsChanged && (!url.trim() || !key.trim()))}>{testing ? 'Testing…' : 'Test'}</button>
        {testError && <ErrorBox message={testError} />}
        {test && <TestReport result={test} />}
      </fieldset>

      <fieldset>
        <legend>2. Tables</legend>
        <label class="inline"><input type="checkbox" name="all" checked={allChosen}
          onChange={(e) => setModes(e.currentTarget.checked ? new Map(catalog.map((t) => [t.name, modes.get(t.name) ?? (t.modes.includes('incremental') ? 'incremental' : 'full')])) : new Map())} /> Select all ({modes.size} of {catalog.length})</label>
        <div class="table-wrap">
          <table class="tables-choice">
            <thead><tr><th>Table</th><th>Mode</th><th>Description</th></tr></thead>
            <tbody>
              {catalog.map((table) => {
                const mode = modes.get(table.name);
                const denial = denied.get(table.name);
                return (
                  <tr key={table.name} class={denial ? 'denied' : ''}>
                    <td><label class="inline"><input type="checkbox" name={`table-${table.name}`} checked={mode !== undefined}
                      onChange={(e) => setMode(table.name, e.currentTarget.checked ? (table.modes.includes('incremental') ? 'incremental' : 'full') : null)} /> {table.name}</label>
                      {denial && <div class="small bad-text">denied: needs {denial.permission}</div>}</td>
                    <td>
                      <select name={`mode-${table.name}`} aria-label={`mode of ${table.name}`} disabled={mode === undefined} value={mode ?? 'full'}
                        onChange={(e) => setMode(table.name, e.currentTarget.value as Mode)}>
                        <option value="full">full</option>
                        {table.modes.includes('incremental') && <option value="incremental">incremental</option>}
                      </select>
                    </td>
                    <td class="small">{table.description}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </fieldset>

      <fieldset>
        <legend>3. Destination</legend>
        <div class="radios" role="radiogroup" aria-label="destination">
          {DESTINATIONS.map((d) => (
            <label class="inline" key={d.kind}><input type="radio" name="destination-kind" value={d.kind} checked={destKind === d.kind} onChange={() => setDestKind(d.kind)} /> {d.label}</label>
          ))}
        </div>
        {destKind !== 'default' && <label>Where <input name="destination" value={destination} onInput={(e) => setDestination(e.currentTarget.value)} placeholder={destinationHint.placeholder} /></label>}
        <p class="hint">{destinationHint.hint}</p>
      </fieldset>

      <fieldset>
        <legend>4. Schedule</legend>
        <label>Runs
          <select name="schedule-kind" value={schedKind} onChange={(e) => setSchedKind(e.currentTarget.value as ScheduleKind)}>
            <option value="minutes">every N minutes</option>
            <option value="hours">every N hours</option>
            <option value="cron">on a cron expression (UTC)</option>
            <option value="manual">only when started by hand</option>
          </select>
        </label>
        {(schedKind === 'minutes' || schedKind === 'hours') && <label>N <input name="every" type="number" min={schedKind === 'minutes' ? 5 : 1} value={every} onInput={(e) => setEvery(e.currentTarget.value)} /></label>}
        {schedKind === 'cron' && <label>Cron <input name="cron" value={cron} onInput={(e) => setCron(e.currentTarget.value)} placeholder="0 3 * * *" /></label>}
        <label>Full pass every N days <input name="full-pass-days" type="number" min={1} value={fullPassDays} onInput={(e) => setFullPassDays(e.currentTarget.value)} placeholder="as each table needs (default)" /></label>
        <p class="hint">A full pass re-reads incremental tables whole, which is how deletions reach the copy.</p>
        <label>Tables read whole: at most every N hours <input name="refresh-every" value={refreshEvery} onInput={(e) => setRefreshEvery(e.currentTarget.value)} placeholder="every run (default)" /></label>
        <p class="hint">Tables without an update filter are read whole on every run. 24 reads them daily, or per table: contacts_notes=24, accounts=6. Their edits and deletions then arrive up to that late.</p>
      </fieldset>

      <fieldset>
        <legend>5. Notifications</legend>
        <label>Webhook URL <input name="webhook" type="url" value={webhook} onInput={(e) => setWebhook(e.currentTarget.value)} placeholder="https://hooks.example.com/acsync" /></label>
        <p class="hint">Receives a JSON body when a run fails or ends partial, and when the connector recovers.{existing?.webhookUrl && ' A saved URL is shown without its path (it may be a credential): leave it to keep it.'}</p>
      </fieldset>

      {saveError && <ErrorBox message={saveError} />}
      <div class="form-actions">
        <button type="submit" class="primary" disabled={saving || testing}>{saving ? 'Saving…' : existing ? 'Save' : 'Save and start the first sync'}</button>
        <a class="button" href={existing ? `#/c/${existing.id}` : '#/'}>Cancel</a>
      </div>
    </form>
  );
}

function TestReport({ result }: { result: TestResult }) {
  const deniedTables = result.tables.filter((t) => !t.readable);
  return (
    <div class={`test-report ${result.ok ? 'ok' : 'warn'}`} role="status">
      <p><strong>{result.ok ? 'The key reads every chosen table.' : `${deniedTables.length} of ${result.tables.length} tables are denied.`}</strong> Key of {result.user}.</p>
      {result.grant && (
        <p class="grant">Grant <strong>{result.grant.permissions.join(', ')}</strong>: {result.grant.where} Then test again, or leave those tables out.</p>
      )}
      {deniedTables.length > 0 && (
        <ul class="test-tables denied-list">
          {deniedTables.map((t) => <li key={t.table} class="bad-text">denied · {t.table} · needs {t.permission}</li>)}
        </ul>
      )}
      <details>
        <summary>{result.tables.length - deniedTables.length} tables readable{deniedTables.length > 0 ? `, ${deniedTables.length} denied: details` : ''}</summary>
        <ul class="test-tables">
          {result.tables.map((t) => (
            <li key={t.table} class={t.readable ? 'ok-text' : 'bad-text'}>{t.readable ? 'ok' : 'denied'} · {t.table}{t.readable || !t.reason ? '' : ` · ${t.reason}`}</li>
          ))}
        </ul>
      </details>
      {result.assumptions.some((a) => !a.ok) && (
        <ul class="small">{result.assumptions.filter((a) => !a.ok).map((a) => <li key={a.name}>{a.name}: {a.instead}</li>)}</ul>
      )}
    </div>
  );
}
