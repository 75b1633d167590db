/**
 * Run records in the service database: one row per run (its id is the queue job's id), its per-table figures,
 * its live progress, and its log lines. The worker writes them, possibly from another process; the API reads
 * them, so live progress reaches a browser through the database.
 */
import type { JobQueue, RunKind, ServiceDb } from '../jobs.js';
import { HttpError, notFound } from './errors.js';
import type { RunBody, RunProgressBody, RunTableBody } from './schemas.js';

export type RunStatus = RunBody['status'];

/** Statuses after which nothing about the run changes any more. */
export const FINISHED: readonly RunStatus[] = ['success', 'partial', 'failed', 'interrupted', 'cancelled'];

interface RunRow {
  id: string;
  connector_id: string;
  kind: RunKind;
  status: RunStatus;
  attempt: number;
  queued_at: Date | string;
  started_at: Date | string | null;
  ended_at: Date | string | null;
  rows: number | string;
  requests: number | string;
  error: string | null;
  tables: RunTableBody[];
  progress: RunProgressBody | null;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

function toBody(row: RunRow): RunBody {
  const started = row.started_at === null ? null : new Date(row.started_at).getTime();
  const ended = row.ended_at === null ? null : new Date(row.ended_at).getTime();
  return {
    id: row.id,
    connectorId: row.connector_id,
    kind: row.kind,
    status: row.status,
    attempt: row.attempt,
    queuedAt: iso(row.queued_at) as string,
    startedAt: iso(row.started_at),
    endedAt: iso(row.ended_at),
    durationSeconds: started === null ? null : ((ended ?? Date.now()) - started) / 1000,
    rows: Number(row.rows),
    requests: Number(row.requests),
    error: row.error,
    tables: row.tables,
    progress: row.status === 'running' ? row.progress : null,
  };
}

/** Records a run the API queued; a worker quick enough to have started it already keeps its own record. */
export async function recordQueued(db: ServiceDb, id: string, connectorId: string, kind: RunKind): Promise<RunBody> {
  await db.query(
    "INSERT INTO acsync_runs (id, connector_id, kind, status) VALUES ($1, $2, $3, 'queued') ON CONFLICT (id) DO NOTHING",
    [id, connectorId, kind],
  );
  return getRun(db, connectorId, id);
}

/**
 * Queues a run of the connector, or answers the one already queued or running. A job whose run has just been
 * recorded as over is still the queue's for a moment (its worker is returning): asked again until it is gone,
 * so "run now" never answers with a run that already ended.
 */
export async function queueRun(db: ServiceDb, queue: Pick<JobQueue, 'enqueue'>, connectorId: string, account: string, kind: RunKind): Promise<RunBody> {
  for (let tries = 1; ; tries++) {
    const run = await recordQueued(db, await queue.enqueue(connectorId, account, kind), connectorId, kind);
    if (!FINISHED.includes(run.status)) return run;
    if (tries >= 100) throw new HttpError(503, 'the previous run is still being closed by its worker; try again in a moment');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function getRun(db: ServiceDb, connectorId: string, id: string): Promise<RunBody> {
  const { rows } = await db.query<RunRow>('SELECT * FROM acsync_runs WHERE id = $1 AND connector_id = $2', [id, connectorId]);
  const row = rows[0];
  if (!row) throw notFound('run', id);
  return toBody(row);
}

export async function listRuns(db: ServiceDb, connectorId: string, limit: number): Promise<RunBody[]> {
  const { rows } = await db.query<RunRow>(
    'SELECT * FROM acsync_runs WHERE connector_id = $1 ORDER BY queued_at DESC, id DESC LIMIT $2',
    [connectorId, limit],
  );
  return rows.map(toBody);
}

/** Each connector's latest run. */
export async function latestRuns(db: ServiceDb, connectorIds: readonly string[]): Promise<Map<string, RunBody>> {
  if (connectorIds.length === 0) return new Map();
  const { rows } = await db.query<RunRow>(
    `SELECT DISTINCT ON (connector_id) * FROM acsync_runs WHERE connector_id = ANY($1::text[])
     ORDER BY connector_id, queued_at DESC, id DESC`,
    [connectorIds],
  );
  return new Map(rows.map((row) => [row.connector_id, toBody(row)]));
}

export interface LogLineRow {
  seq: number;
  at: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export async function readLogs(db: ServiceDb, runId: string, afterSeq = 0, limit = 1000): Promise<LogLineRow[]> {
  const { rows } = await db.query<{ seq: number | string; at: Date | string; level: LogLineRow['level']; message: string }>(
    'SELECT seq, at, level, message FROM acsync_run_logs WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [runId, afterSeq, limit],
  );
  return rows.map((r) => ({ seq: Number(r.seq), at: iso(r.at) as string, level: r.level, message: r.message }));
}

/**
 * Marks a queued or running run as asked to stop, then has the queue cancel it: a queued run ends here, a
 * running one when its worker sees the signal (it then records `cancelled`, not `interrupted`).
 */
export async function requestCancel(db: ServiceDb, cancel: (id: string) => Promise<boolean>, connectorId: string, id: string): Promise<RunBody> {
  const run = await getRun(db, connectorId, id);
  if (FINISHED.includes(run.status)) throw new HttpError(409, `run ${id} has already ended (${run.status})`);
  await db.query('UPDATE acsync_runs SET cancel_requested = true, updated_at = now() WHERE id = $1', [id]);
  const cancelled = await cancel(id);
  // A run still queued when it is cancelled never reaches a worker: it ends here.
  await db.query(
    "UPDATE acsync_runs SET status = 'cancelled', ended_at = now(), updated_at = now() WHERE id = $1 AND status = 'queued'",
    [id],
  );
  if (!cancelled) {
    const now = await getRun(db, connectorId, id);
    if (!FINISHED.includes(now.status)) throw new HttpError(409, `run ${id} could not be cancelled: the queue no longer holds it`);
  }
  return getRun(db, connectorId, id);
}
