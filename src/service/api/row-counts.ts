/**
 * Rows at a connector's destination, counted by the worker right after each run (the worker is where the
 * destination is reachable, and the API then never holds a DuckDB file a BI tool or the next run wants).
 * DuckDB: a read-only open; PostgreSQL: count(*) per table; a local Parquet lake: each table's published
 * manifest. An S3 lake is not counted (null), to spare a download per table.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { parsePostgresUri, postgresOptionsFromEnv } from '../../destinations/postgres-options.js';
import { qualifiedName, quoteIdentifier } from '../../destinations/sql.js';

/** table → rows, for the tables the destination has; absent tables are left out. */
export async function countRows(destination: string, tables: readonly string[]): Promise<Map<string, number> | null> {
  const uri = destination.trim();
  if (uri.startsWith('duckdb:')) return countDuckDb(uri.slice('duckdb:'.length), tables);
  if (uri.startsWith('parquet:')) return countLake(uri.slice('parquet:'.length).replace(/\?.*$/, ''), tables);
  if (/^postgres(ql)?:\/\//i.test(uri) || uri === 'postgres' || uri === 'postgresql') return countPostgres(uri, tables);
  return null;
}

async function countDuckDb(path: string, tables: readonly string[]): Promise<Map<string, number>> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    const present = await connection.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'");
    const names = new Set(present.getRowObjectsJson().map((r) => String(r.table_name)));
    const counts = new Map<string, number>();
    for (const table of tables.filter((t) => names.has(t))) {
      const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${quoteIdentifier(table)}`);
      counts.set(table, Number(reader.getRowObjectsJson()[0]?.n ?? 0));
    }
    return counts;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

async function countLake(root: string, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of tables) {
    try {
      const manifest = JSON.parse(await readFile(join(root, table, '_current.json'), 'utf8')) as { rows?: number };
      if (typeof manifest.rows === 'number') counts.set(table, manifest.rows);
    } catch {
      // Not published yet.
    }
  }
  return counts;
}

async function countPostgres(uri: string, tables: readonly string[]): Promise<Map<string, number>> {
  const options = uri.includes('://') ? parsePostgresUri(uri) : postgresOptionsFromEnv();
  const client = new pg.Client({
    host: options.host,
    port: options.port,
    user: options.user,
    database: options.database,
    ...(options.password !== undefined && { password: options.password }),
    ssl: options.sslMode === 'disable' || options.sslMode === 'prefer' || options.sslMode === 'allow'
      ? false
      : { rejectUnauthorized: options.sslMode !== 'require' },
    connectionTimeoutMillis: options.connectTimeoutSeconds * 1000,
    application_name: 'acsync service',
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const present = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1',
      [options.schema],
    );
    const names = new Set(present.rows.map((r) => r.table_name));
    const counts = new Map<string, number>();
    for (const table of tables.filter((t) => names.has(t))) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(table, options.schema)}`);
      counts.set(table, Number(rows[0]?.n ?? 0));
    }
    return counts;
  } finally {
    await client.end().catch(() => undefined);
  }
}
