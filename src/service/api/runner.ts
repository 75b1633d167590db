/**
 * What a worker does with a job: load the connector, open its key, run the sync (engine/run.ts) into its
 * destination, and keep the run's record in the service database as it goes: status, per-table figures,
 * progress at most once a second, log lines. The worker may be another process than the API's; everything a
 * browser sees of a run goes through the database.
 */
import { TABLES, type ReplicationMode } from '../../catalog/index.js';
import type { RunTableRecord } from '../../core/contract.js';
import { redact } from '../../core/secrets.js';
import { openDestination } from '../../destinations/index.js';
import { runSync, type RunOutcome } from '../../engine/run.js';
import type { SyncEvent } from '../../engine/sync.js';
import type { RunJob, RunJobHandler, ServiceDb } from '../jobs.js';
import { openSecrets, refreshEveryOf, type ConnectorRow } from './connectors.js';
import { readTableFacts } from './row-counts.js';
import type { RunProgressBody, RunTableBody } from './schemas.js';
import type { SecretBox } from './secrets.js';
import { eventOf, globalWebhook, notify, type DeliveryOptions } from './webhooks.js';

export interface RunnerOptions {
  readonly db: ServiceDb;
  readonly box: SecretBox;
  /** Requests per second against the API (default: the engine's 4.8); above 5 only for a simulator here. */
  readonly requestsPerSecond?: number;
  readonly webhookDelivery?: DeliveryOptions;
  /** Lines for the process's own log (never the key: they pass through `redact`). */
  readonly log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const PROGRESS_EVERY_MS = 1000;

/** The queue's handler for the service's runs (jobs.ts `RunJobHandler`). */
export function runConnectorJob(options: RunnerOptions): RunJobHandler {
  return (job, signal) => runJob(options, job, signal);
}

async function runJob(options: RunnerOptions, job: RunJob, signal: AbortSignal): Promise<void> {
  const { db } = options;
  const { rows } = await db.query<ConnectorRow>('SELECT * FROM acsync_connectors WHERE id = $1', [job.connectorId]);
  const connector = rows[0];
  // A connector deleted while its run waited: its runs went with it, nothing to do.
  if (!connector) return;
  await db.query(
    `INSERT INTO acsync_runs (id, connector_id, kind, status, attempt, started_at)
     VALUES ($1, $2, $3, 'running', $4, now())
     ON CONFLICT (id) DO UPDATE SET status = 'running', attempt = EXCLUDED.attempt, ended_at = NULL, error = NULL,
       started_at = COALESCE(acsync_runs.started_at, now()), updated_at = now()`,
    [job.id, job.connectorId, job.kind, job.attempt],
  );
  const record = new RunRecorder(db, job.id);
  const say = (level: 'info' | 'warn' | 'error', message: string) => {
    record.log(level, message);
    options.log?.(level, `${connector.name} run ${job.id}: ${message}`);
  };

  let status: 'success' | 'partial' | 'failed' | 'interrupted' | 'cancelled';
  let error: string | null = null;
  let tables: RunTableBody[] = [];
  let outcome: RunOutcome | undefined;
  try {
    const secrets = openSecrets(options.box, connector);
    const modes = new Map<string, ReplicationMode>(connector.tables.map((t) => [t.name, t.mode]));
    const chosen = TABLES.filter((t) => modes.has(t.name));
    if (job.attempt > 0) say('info', `resuming (attempt ${job.attempt + 1}) from the destination's last committed batch`);
    say('info', `${job.kind === 'full_refresh' ? 'full refresh' : 'sync'} of ${chosen.length} tables from ${connector.base_url}`);
    outcome = await runSync({
      account: {
        baseUrl: connector.base_url,
        key: secrets.key,
        ...(options.requestsPerSecond !== undefined && { requestsPerSecond: options.requestsPerSecond }),
      },
      destination: await openDestination(secrets.destination),
      tables: chosen,
      modes,
      fullRefresh: job.kind === 'full_refresh' ? new Set(chosen.map((t) => t.name)) : new Set(),
      fullRefreshEveryDays: connector.full_refresh_every_days ?? undefined,
      refreshEveryHours: refreshEveryOf(connector.refresh_every_hours, connector.tables),
      timeZone: connector.time_zone,
      signal,
      onEvent: (event) => record.onEvent(event, say),
      onConnected: (account) => {
        record.requests = () => account.client.stats.requests;
      },
      onStart: (selection) => {
        // A table not due is not read: it has no progress to show.
        for (const s of selection) if (s.notDueUntil === undefined) record.start(s.table.name);
      },
    });
    tables = outcome.run.tables.map((t) => record.tableBody(t));
    status = outcome.run.status === 'running' ? 'failed' : outcome.run.status;
    if (outcome.retryAt !== undefined) {
      error = `the API asked to wait until ${new Date(outcome.retryAt).toISOString()}: the next run resumes`;
    } else if (status !== 'success') {
      error = tables.find((t) => t.error && t.notDueUntil === undefined)?.error ?? null;
    }
  } catch (thrown) {
    status = signal.aborted ? 'interrupted' : 'failed';
    error = redact((thrown as Error).message ?? String(thrown));
    tables = record.tablesSoFar();
  }
  if (status === 'interrupted' || signal.aborted) {
    const { rows: asked } = await db.query<{ cancel_requested: boolean }>('SELECT cancel_requested FROM acsync_runs WHERE id = $1', [job.id]);
    status = asked[0]?.cancel_requested ? 'cancelled' : 'interrupted';
  }
  if (status === 'interrupted') say('warn', 'stopped: every committed batch is kept, and the run resumes from there');
  else if (status === 'cancelled') say('warn', 'cancelled: every committed batch is kept; the next run resumes from there');
  else if (error) say(status === 'failed' ? 'error' : 'warn', error);
  const rowsTotal = tables.reduce((sum, t) => sum + t.rows, 0);
  say('info', `${status}: ${rowsTotal} rows, ${outcome?.requests ?? record.requests()} requests${outcome ? ` in ${outcome.seconds.toFixed(1)} s` : ''}`);
  await record.flushed();

  const { rows: previous } = await db.query<{ status: string }>(
    `SELECT status FROM acsync_runs WHERE connector_id = $1 AND id <> $2 AND status IN ('success', 'partial', 'failed')
     ORDER BY ended_at DESC NULLS LAST LIMIT 1`,
    [job.connectorId, job.id],
  );
  // Counted before the run is marked over: whoever sees it end finds the counts of its copy.
  if (outcome) await recordRowCounts(options, connector, say);
  await db.query(
    `UPDATE acsync_runs SET status = $2, ended_at = now(), rows = $3, requests = $4, error = $5, tables = $6, progress = NULL,
       updated_at = now() WHERE id = $1`,
    [job.id, status, rowsTotal, outcome?.requests ?? record.requests(), error, JSON.stringify(tables)],
  );

  const event = eventOf(status, previous[0]?.status ?? null);
  if (event) {
    const global = await globalWebhook(db);
    const urls = [connector.webhook_url, global].filter((u): u is string => !!u);
    const { rows: ended } = await db.query<{ started_at: Date | string | null; ended_at: Date | string | null }>(
      'SELECT started_at, ended_at FROM acsync_runs WHERE id = $1',
      [job.id],
    );
    const iso = (v: Date | string | null | undefined) => (v ? new Date(v).toISOString() : null);
    notify(
      urls,
      {
        event,
        at: new Date().toISOString(),
        connector: { id: connector.id, name: connector.name },
        run: {
          id: job.id,
          kind: job.kind,
          status,
          startedAt: iso(ended[0]?.started_at),
          endedAt: iso(ended[0]?.ended_at),
          rows: rowsTotal,
          error,
          failedTables: tables.filter((t) => t.status === 'failed').map((t) => ({ table: t.table, error: t.error ?? null })),
        },
      },
      { ...options.webhookDelivery, onFailure: (url, message) => options.log?.('warn', message) },
    );
  }
}

async function recordRowCounts(options: RunnerOptions, connector: ConnectorRow, say: (level: 'warn', message: string) => void): Promise<void> {
  try {
    const { destination } = openSecrets(options.box, connector);
    const facts = await readTableFacts(destination, connector.tables.map((t) => t.name));
    await options.db.transaction(async (tx) => {
      for (const [table, { rows, lastFullAt }] of facts) {
        await tx.query(
          `INSERT INTO acsync_row_counts (connector_id, table_name, rows, counted_at, last_full_at) VALUES ($1, $2, $3, now(), $4)
           ON CONFLICT (connector_id, table_name) DO UPDATE SET rows = EXCLUDED.rows, counted_at = EXCLUDED.counted_at,
             last_full_at = EXCLUDED.last_full_at`,
          [connector.id, table, rows, lastFullAt],
        );
      }
    });
  } catch (error) {
    say('warn', `could not count the rows at the destination: ${redact((error as Error).message)}`);
  }
}

/** A run's live record: log lines written in order, progress written at most once a second. */
class RunRecorder {
  requests: () => number = () => 0;
  private readonly progress = new Map<string, { rows: number; pages: number; total: number | null; done: boolean }>();
  private readonly warnings = new Map<string, string[]>();
  private readonly done = new Map<string, RunTableRecord>();
  private writes: Promise<unknown> = Promise.resolve();
  private lastProgress = 0;
  private progressTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: ServiceDb,
    private readonly runId: string,
  ) {}

  start(table: string): void {
    this.progress.set(table, { rows: 0, pages: 0, total: null, done: false });
  }

  log(level: 'info' | 'warn' | 'error', message: string): void {
    this.enqueue(() => this.db.query('INSERT INTO acsync_run_logs (run_id, level, message) VALUES ($1, $2, $3)', [this.runId, level, redact(message)]));
  }

  onEvent(event: SyncEvent, say: (level: 'info' | 'warn', message: string) => void): void {
    if (event.type === 'table-progress') {
      this.progress.set(event.table, { rows: event.rows, pages: event.pages, total: event.total ?? null, done: false });
      this.scheduleProgress();
    } else if (event.type === 'table-done') {
      const { record } = event;
      this.done.set(event.table, record);
      // Not due (refreshEveryHours) is expected, hourly: news for the run's own log only, and no progress row.
      if (record.notDueUntil !== undefined) {
        this.log('info', `${event.table}: ${record.error ?? `not due until ${record.notDueUntil}`}`);
        return;
      }
      const before = this.progress.get(event.table);
      this.progress.set(event.table, { rows: record.rows, pages: before?.pages ?? 0, total: before?.total ?? null, done: true });
      const converted = record.conversionErrors ? `, ${record.conversionErrors} values stored as NULL` : '';
      // A table that went well is news for the run's own log only, not for the service's.
      if (record.status === 'success') this.log('info', `${event.table}: ${record.rows} rows (${record.mode})${converted}`);
      else say('warn', `${event.table}: ${record.status}${record.error ? `: ${record.error}` : ''}${event.permission ? ` (grant ${event.permission})` : ''}`);
      this.scheduleProgress();
    } else if (event.type === 'warning') {
      if (event.table) this.warnings.set(event.table, [...(this.warnings.get(event.table) ?? []), event.message]);
      say('warn', event.table ? `${event.table}: ${event.message}` : event.message);
    } else if (event.type === 'waiting') {
      say('info', event.message);
    }
  }

  tableBody(record: RunTableRecord): RunTableBody {
    const { notDueUntil } = record;
    return {
      table: record.table,
      mode: record.mode,
      status: record.status,
      rows: record.rows,
      requests: record.requests,
      conversionErrors: record.conversionErrors,
      warnings: this.warnings.get(record.table) ?? [],
      // A table not due has no error, only the time it falls due (its reason went to the run's log).
      ...(notDueUntil !== undefined ? { notDueUntil } : record.error !== undefined && { error: redact(record.error) }),
    };
  }

  /** What a run that stopped with an error had finished. */
  tablesSoFar(): RunTableBody[] {
    return [...this.done.values()].map((r) => this.tableBody(r));
  }

  async flushed(): Promise<void> {
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    await this.writes;
  }

  private scheduleProgress(): void {
    if (this.progressTimer) return;
    const wait = Math.max(0, this.lastProgress + PROGRESS_EVERY_MS - Date.now());
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      this.lastProgress = Date.now();
      const body: RunProgressBody = {
        requests: this.requests(),
        rows: [...this.progress.values()].reduce((sum, t) => sum + t.rows, 0),
        tables: Object.fromEntries(this.progress),
        at: new Date().toISOString(),
      };
      this.enqueue(() =>
        this.db.query("UPDATE acsync_runs SET progress = $2, updated_at = now() WHERE id = $1 AND status = 'running'", [this.runId, JSON.stringify(body)]),
      );
    }, wait);
  }

  /** Writes run one after another, in the order they were asked for; a failed write does not stop the run. */
  private enqueue(write: () => Promise<unknown>): void {
    this.writes = this.writes.then(write).catch(() => undefined);
  }
}
