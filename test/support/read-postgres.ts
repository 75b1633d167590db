/**
 * Reads what the PostgreSQL destination wrote, with plain SQL on a connection of its own: tables typed
 * like `TypedRow` (timestamps as bigint µs, dates as day numbers), the staging copy's size, the runs.
 */
import pg from 'pg';
import type { TableDef } from '../../src/catalog/index.js';
import { qualifiedName, quoteIdentifier } from '../../src/destinations/sql.js';
import type { RunRecord, TypedRow } from '../../src/core/contract.js';

/** Runs `work` on a new connection to `url`, closed afterwards. */
export async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The rows of `name` (default: the table's own name) in `schema`, ordered by primary key; [] if it does not exist. */
export function readPostgresTable(url: string, table: TableDef, schema = 'public', name = table.name): Promise<TypedRow[]> {
  return withPostgres(url, async (client) => {
    const target = qualifiedName(name, schema);
    const exists = await client.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [target]);
    if (exists.rows[0]?.r === null) return [];
    // Timestamps and dates as exact numbers: epoch µs (numeric arithmetic, then bigint as text) and days.
    const select = table.columns.map((c) => {
      const column = quoteIdentifier(c.name);
      if (c.type === 'timestamp') return `(extract(epoch FROM ${column}) * 1000000)::bigint::text`;
      if (c.type === 'date') return `${column} - DATE '1970-01-01'`;
      return column;
    });
    const result = await client.query({
      text: `SELECT ${select.join(', ')} FROM ${target} ORDER BY ${table.primaryKey.map(quoteIdentifier).join(', ')}`,
      rowMode: 'array',
    });
    return (result.rows as unknown[][]).map((row) => row.map((value, index) => {
      if (value === null) return null;
      const type = table.columns[index]!.type;
      if (type === 'timestamp') return BigInt(value as string);
      if (type === 'date') return Number(value);
      if (type === 'float') return Number(value);
      return value as string | boolean;
    }));
  });
}

/** Rows in `name`, or null when there is no such table. */
export function readPostgresRowCount(url: string, name: string, schema = 'public'): Promise<number | null> {
  return withPostgres(url, async (client) => {
    const target = qualifiedName(name, schema);
    const exists = await client.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [target]);
    if (exists.rows[0]?.r === null) return null;
    const count = await client.query<{ n: number }>(`SELECT count(*)::integer AS n FROM ${target}`);
    return count.rows[0]!.n;
  });
}

/** The rows of `_acsync_runs`, ordered by run id. */
export function readPostgresRuns(url: string, schema = 'public'): Promise<RunRecord[]> {
  return withPostgres(url, async (client) => {
    const result = await client.query<{ run_id: string; started: string; ended: string | null; status: RunRecord['status']; tables: string }>(
      `SELECT run_id, to_char(started_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started,
              to_char(ended_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ended, status, tables::text AS tables
         FROM ${qualifiedName('_acsync_runs', schema)} ORDER BY run_id`);
    return result.rows.map((row) => ({
      runId: row.run_id, startedAt: row.started, endedAt: row.ended, status: row.status,
      tables: JSON.parse(row.tables) as RunRecord['tables'],
    }));
  });
}
