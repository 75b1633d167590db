/**
 * Reading the SQL destinations back: a DuckDB file opened read-only, and a PostgreSQL schema through a session
 * whose every transaction is read-only (no writer's lock, no table created). Their bookkeeping tables are the
 * ones ./sql-destination.ts creates; times there are UTC without a zone.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type pg from 'pg';
import { TABLES } from '../catalog/index.js';
import type { RunRecord, TableState } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';
import { isLockError } from './duckdb-file.js';
import { connectPostgres } from './postgres.js';
import { serverAddress, type PostgresOptions } from './postgres-options.js';
import { newestFirst, queryError, runRecordOf, type DestinationReader, type QueryResult } from './readback-common.js';
import { RUNS_TABLE, STATE_TABLE, parseStates } from './sql-destination.js';
import { qualifiedName, quoteIdentifier, quoteLiteral } from './sql.js';

/** A bookkeeping row of `_acsync_runs`, times as text. */
type RunRow = readonly [runId: unknown, startedAt: unknown, endedAt: unknown, status: unknown, tables: unknown];

/** `2026-12-01 18:10:02.123` (a UTC timestamp without zone, as text) as ISO-8601; null stays null. */
function isoOfUtcText(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const ms = Date.parse(`${text.replace(' ', 'T')}Z`);
  return Number.isNaN(ms) ? text : new Date(ms).toISOString();
}

function runOfRow([runId, startedAt, endedAt, status, tables]: RunRow, where: string): RunRecord {
  let parsedTables: unknown;
  try {
    parsedTables = typeof tables === 'string' ? JSON.parse(tables) : tables;
  } catch {
    parsedTables = null;
  }
  return runRecordOf({ runId, startedAt: isoOfUtcText(startedAt), endedAt: isoOfUtcText(endedAt), status, tables: parsedTables }, where);
}

/** `SELECT … count(*)` of each named table in one statement; `name` quotes (and qualifies) a table name. */
function countSql(tables: readonly string[], name: (table: string) => string): string {
  return tables.map((table) => `SELECT ${quoteLiteral(table)} AS table_name, count(*) AS n FROM ${name(table)}`).join(' UNION ALL ');
}

const catalogNames = TABLES.map((table) => table.name);

export class DuckDbReader implements DestinationReader {
  readonly description: string;
  private readonly path: string;
  private instance: DuckDBInstance | null = null;
  private connection: DuckDBConnection | null = null;

  constructor(path: string) {
    if (!path) throw new ConfigError('the duckdb destination needs a file: --dest duckdb:<file>');
    this.path = resolve(path);
    this.description = `DuckDB file ${path}`;
  }

  async open(): Promise<void> {
    if (!existsSync(this.path)) throw new ConfigError(`no DuckDB file at ${this.path}: run acsync sync (or acsync demo) first`);
    try {
      this.instance = await DuckDBInstance.create(this.path, { access_mode: 'READ_ONLY' });
      this.connection = await this.instance.connect();
    } catch (error) {
      await this.close();
      const message = error instanceof Error ? error.message : String(error);
      // DuckDB lets one process write a file, and nobody read it meanwhile.
      if (isLockError(error) || /lock/i.test(message)) {
        const pid = /PID (\d+)/.exec(message)?.[1];
        throw new ConfigError(`${this.path} is in use by another process${pid ? ` (PID ${pid})` : ''}, such as a sync still running: query it when that ends`);
      }
      throw new ConfigError(`cannot open ${this.path}: ${message.split('\n')[0]}`);
    }
  }

  async close(): Promise<void> {
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = null;
    this.instance = null;
  }

  async query(sql: string): Promise<QueryResult> {
    const connection = this.connected();
    try {
      const reader = await connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
    } catch (error) {
      throw queryError(error);
    }
  }

  async *runs(): AsyncIterable<RunRecord> {
    await this.requireBookkeeping(RUNS_TABLE);
    const reader = await this.connected().runAndReadAll(
      `SELECT run_id, CAST(started_at AS VARCHAR), CAST(ended_at AS VARCHAR), status, tables FROM ${quoteIdentifier(RUNS_TABLE)}`);
    const runs = reader.getRows().map((row) => runOfRow(row as unknown as RunRow, this.path));
    yield* runs.sort(newestFirst);
  }

  async states(): Promise<Map<string, TableState>> {
    await this.requireBookkeeping(STATE_TABLE);
    const reader = await this.connected().runAndReadAll(`SELECT table_name, state FROM ${quoteIdentifier(STATE_TABLE)} ORDER BY table_name`);
    return parseStates(reader.getRows(), this.path);
  }

  async rowCounts(): Promise<Map<string, number>> {
    const connection = this.connected();
    const present = await connection.runAndReadAll(
      `SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name IN (${catalogNames.map(quoteLiteral).join(', ')})`);
    const names = present.getRows().map(([name]) => String(name));
    if (names.length === 0) return new Map();
    const counts = await connection.runAndReadAll(countSql(names, quoteIdentifier));
    return new Map(counts.getRows().map(([name, n]) => [String(name), Number(n)]));
  }

  private connected(): DuckDBConnection {
    if (!this.connection) throw new Error(`the DuckDB file ${this.path} is not open`);
    return this.connection;
  }

  private async requireBookkeeping(table: string): Promise<void> {
    const found = await this.connected().runAndReadAll(
      `SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ${quoteLiteral(table)}`);
    if (Number(found.getRows()[0]?.[0] ?? 0) === 0) {
      throw new ConfigError(`${this.path} has no ${table} table: it is not a copy acsync wrote; run acsync sync --dest duckdb:${this.path} first`);
    }
  }
}

/**
 * PostgreSQL types turned into JSON values as DuckDB's reader gives them: booleans, and numbers for the types
 * that fit a double exactly (int2, int4, float4, float8); everything else (int8, numeric, timestamps, dates,
 * text) as PostgreSQL prints it, and json/jsonb parsed.
 */
const PG_BOOL = 16;
const PG_NUMBERS = new Set([21, 23, 700, 701]);
const PG_JSON = new Set([114, 3802]);
const jsonTypes = {
  getTypeParser: (oid: number) => (text: string): unknown => {
    if (oid === PG_BOOL) return text === 't';
    if (PG_NUMBERS.has(oid)) {
      const n = Number(text);
      return Number.isFinite(n) ? n : text;
    }
    if (PG_JSON.has(oid)) return JSON.parse(text) as unknown;
    return text;
  },
};

export class PostgresReader implements DestinationReader {
  readonly description: string;
  private readonly options: PostgresOptions;
  private client: pg.Client | null = null;
  private lost: Error | null = null;

  constructor(options: PostgresOptions) {
    this.options = options;
    this.description = `PostgreSQL ${options.user}@${serverAddress(options)}/${options.database}, schema ${options.schema}`;
  }

  private get where(): string {
    return `schema "${this.options.schema}" of database "${this.options.database}" on ${serverAddress(this.options)}`;
  }

  async open(): Promise<void> {
    const client = await connectPostgres(this.options, (error) => {
      this.lost = error;
    });
    this.client = client;
    try {
      // Every transaction of this session is read-only: whatever the SQL given to query, it cannot write.
      await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
      const schema = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.options.schema]);
      if (schema.rowCount === 0) {
        throw new ConfigError(`there is no ${this.where}: nothing was synced there; run acsync sync with this --dest first`);
      }
      await client.query(`SET search_path TO ${quoteIdentifier(this.options.schema)}`);
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  async query(sql: string): Promise<QueryResult> {
    return this.readOnly(async (client) => {
      try {
        // The extended protocol runs exactly one statement: a COMMIT; … cannot end the read-only transaction.
        // (queryMode is the driver's, missing from its type declarations.)
        const config: pg.QueryArrayConfig & { queryMode: 'extended' } = { text: sql, rowMode: 'array', queryMode: 'extended', types: jsonTypes };
        const result = await client.query<unknown[]>(config);
        const columns = (result.fields ?? []).map((field) => field.name);
        const rows = result.rows.map((values) => Object.fromEntries(columns.map((column, i) => [column, values[i]])));
        return { columns, rows };
      } catch (error) {
        throw queryError(error);
      }
    });
  }

  async *runs(): AsyncIterable<RunRecord> {
    const rows = await this.readOnly(async (client) => {
      await this.requireBookkeeping(client, RUNS_TABLE);
      const result = await client.query<unknown[]>({
        text: `SELECT run_id, started_at::text, ended_at::text, status, tables::text FROM ${this.name(RUNS_TABLE)}`,
        rowMode: 'array',
      });
      return result.rows;
    });
    yield* rows.map((row) => runOfRow(row as unknown as RunRow, this.description)).sort(newestFirst);
  }

  async states(): Promise<Map<string, TableState>> {
    return this.readOnly(async (client) => {
      await this.requireBookkeeping(client, STATE_TABLE);
      const result = await client.query<{ table_name: string; state: string | null }>(
        `SELECT table_name, state::text AS state FROM ${this.name(STATE_TABLE)} ORDER BY table_name`);
      return parseStates(result.rows.map((row) => [row.table_name, row.state]), this.description);
    });
  }

  async rowCounts(): Promise<Map<string, number>> {
    return this.readOnly(async (client) => {
      const present = await client.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname = ANY($2::text[])`,
        [this.options.schema, catalogNames]);
      const names = present.rows.map((row) => row.name);
      if (names.length === 0) return new Map<string, number>();
      const counts = await client.query<{ table_name: string; n: string }>(countSql(names, (name) => this.name(name)));
      return new Map(counts.rows.map((row) => [row.table_name, Number(row.n)]));
    });
  }

  private name(table: string): string {
    return qualifiedName(table, this.options.schema);
  }

  /** Runs `work` in a read-only transaction, always rolled back. */
  private async readOnly<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    if (this.lost) throw new ConfigError(`the connection to ${this.description} was lost: ${this.lost.message}`);
    const client = this.client;
    if (!client) throw new Error(`the PostgreSQL destination ${this.description} is not open`);
    await client.query('BEGIN TRANSACTION READ ONLY');
    try {
      return await work(client);
    } finally {
      // Nothing to keep; a failed ROLLBACK (a lost connection) leaves the error of `work` to be reported.
      await client.query('ROLLBACK').catch(() => undefined);
    }
  }

  private async requireBookkeeping(client: pg.Client, table: string): Promise<void> {
    const found = await client.query('SELECT to_regclass($1) IS NOT NULL AS present', [this.name(table)]);
    if (!(found.rows[0] as { present: boolean } | undefined)?.present) {
      throw new ConfigError(`the ${this.where} has no ${table} table: it holds no copy acsync wrote; run acsync sync with this --dest first`);
    }
  }
}
