/**
 * The API half's tables in the service database: connectors, their runs, each run's log lines, and the row
 * counts last seen at each connector's destination. Plain PostgreSQL, so the embedded database and a real one
 * (`--queue postgres://…`) hold the same thing. Every statement is idempotent: any process may run it at start.
 */
import type { ServiceDb } from '../jobs.js';

const STATEMENTS = [
  `CREATE TABLE IF NOT EXISTS acsync_connectors (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    base_url text NOT NULL,
    account text NOT NULL,
    key_sealed text NOT NULL,
    key_shown text NOT NULL,
    tables jsonb NOT NULL,
    destination_sealed text NOT NULL,
    destination_shown text NOT NULL,
    schedule jsonb,
    full_refresh_every_days integer,
    time_zone text,
    webhook_url text,
    paused boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS acsync_runs (
    id text PRIMARY KEY,
    connector_id text NOT NULL REFERENCES acsync_connectors(id) ON DELETE CASCADE,
    kind text NOT NULL,
    status text NOT NULL,
    cancel_requested boolean NOT NULL DEFAULT false,
    attempt integer NOT NULL DEFAULT 0,
    queued_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    ended_at timestamptz,
    rows integer NOT NULL DEFAULT 0,
    requests integer NOT NULL DEFAULT 0,
    error text,
    tables jsonb NOT NULL DEFAULT '[]'::jsonb,
    progress jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX IF NOT EXISTS acsync_runs_by_connector ON acsync_runs (connector_id, queued_at DESC)',
  `CREATE TABLE IF NOT EXISTS acsync_run_logs (
    seq bigserial PRIMARY KEY,
    run_id text NOT NULL REFERENCES acsync_runs(id) ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT now(),
    level text NOT NULL,
    message text NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS acsync_run_logs_by_run ON acsync_run_logs (run_id, seq)',
  `CREATE TABLE IF NOT EXISTS acsync_row_counts (
    connector_id text NOT NULL REFERENCES acsync_connectors(id) ON DELETE CASCADE,
    table_name text NOT NULL,
    rows bigint NOT NULL,
    counted_at timestamptz NOT NULL,
    PRIMARY KEY (connector_id, table_name)
  )`,
  `CREATE TABLE IF NOT EXISTS acsync_settings (
    name text PRIMARY KEY,
    value text
  )`,
  // Added later: databases made before it gain it here (hours, or an object of table → hours; NULL: every run).
  'ALTER TABLE acsync_connectors ADD COLUMN IF NOT EXISTS refresh_every_hours jsonb',
  // Each table's last full pass at the destination, read with its rows: when a refresh interval makes it due.
  'ALTER TABLE acsync_row_counts ADD COLUMN IF NOT EXISTS last_full_at timestamptz',
];

/** Creates the API half's tables where missing. */
export async function migrateApi(db: ServiceDb): Promise<void> {
  await db.transaction(async (tx) => {
    // Two processes starting at once would race on the catalog: one at a time.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('acsync_api_schema'))");
    for (const statement of STATEMENTS) await tx.query(statement);
  });
}
