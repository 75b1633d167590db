/**
 * A run handler for queue tests, loaded by real `acsync worker --handler` processes: it syncs a simulated account
 * into a DuckDB file with the engine's `runSync`, as the service's runner does, and records each start and end
 * (worker pid, attempt, outcome) in the service database, so that a test can check who ran what, when.
 *
 * Connectors live in `queue_test_connectors` (id, url, key, DuckDB path, tables); runs go to `queue_test_runs`,
 * with the database's clock (`clock_timestamp()`), one clock for every worker.
 */
import { getTable, type TableDef } from '../../src/catalog/index.js';
import { DuckDbDestination } from '../../src/destinations/duckdb.js';
import { runSync } from '../../src/engine/run.js';
import type { RunJobHandler, ServiceDb } from '../../src/service/jobs.js';

export const QUEUE_TEST_DDL = `
  CREATE TABLE IF NOT EXISTS queue_test_connectors (
    connector_id text PRIMARY KEY, url text NOT NULL, key text NOT NULL, path text NOT NULL, tables text NOT NULL,
    batch_rows integer
  );
  CREATE TABLE IF NOT EXISTS queue_test_runs (
    job_id text NOT NULL, connector_id text NOT NULL, account text NOT NULL, pid integer NOT NULL,
    attempt integer NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz, outcome text
  );
`;

interface ConnectorRow {
  url: string;
  key: string;
  path: string;
  tables: string;
  batch_rows: number | null;
}

/** The account a connector's runs lock: its URL's host and port. */
export function accountOf(url: string): string {
  return new URL(url).host;
}

export function createRunJobHandler(context: { db: ServiceDb }): RunJobHandler {
  const { db } = context;
  return async (job, signal) => {
    const { rows } = await db.query<ConnectorRow>(`SELECT url, key, path, tables, batch_rows FROM queue_test_connectors WHERE connector_id = $1`, [job.connectorId]);
    const connector = rows[0];
    if (!connector) throw new Error(`no connector ${job.connectorId}`);
    await db.query(
      `INSERT INTO queue_test_runs (job_id, connector_id, account, pid, attempt, started_at) VALUES ($1, $2, $3, $4, $5, clock_timestamp())`,
      [job.id, job.connectorId, accountOf(connector.url), process.pid, job.attempt],
    );
    let outcome = 'failed';
    try {
      const outcomeOfRun = await runSync({
        account: { baseUrl: connector.url, key: connector.key, requestsPerSecond: 1000 },
        destination: new DuckDbDestination({ path: connector.path }),
        tables: connector.tables.split(',').map((name): TableDef => {
          const table = getTable(name);
          if (!table) throw new Error(`no table ${name}`);
          return table;
        }),
        timeZone: null,
        ...(connector.batch_rows !== null && { batchRows: connector.batch_rows }),
        signal,
      });
      outcome = outcomeOfRun.run.status;
      if (outcome !== 'success' && outcome !== 'interrupted') throw new Error(`the run ended ${outcome}`);
    } finally {
      await db.query(`UPDATE queue_test_runs SET ended_at = clock_timestamp(), outcome = $3 WHERE job_id = $1 AND pid = $2 AND ended_at IS NULL`, [
        job.id, process.pid, outcome,
      ]);
    }
  };
}
