/**
 * The PostgreSQL destination: the 33 tables and acsync's bookkeeping in one schema of a database.
 *
 * One connection, one transaction at a time (tables in flight queue their commits, as in the DuckDB
 * destination). A batch travels as one COPY … FROM STDIN in text format (./postgres-copy.ts). A full pass
 * copies straight into its staging table under a savepoint; when a key of the batch is already there (a page
 * re-read after a resume, or shifted by offset paging) the savepoint is rolled back and the batch goes through
 * a temporary table and `INSERT … ON CONFLICT DO UPDATE`, which is also how incremental batches reach the
 * live table. The table's state is upserted in the same transaction. A session advisory lock keeps two
 * acsync processes from writing the same schema at once. Measured figures: bench/postgres-load-bench.ts.
 * Options and URIs: ./postgres-options.ts; what this shares with the DuckDB destination: ./sql-destination.ts.
 */
import pg from 'pg';
import { ConfigError } from '../core/errors.js';
import type { LogicalType, ReplicationMode, TableDef } from '../catalog/index.js';
import type { Destination, RunRecord, TableState, TableWriter, TypedRow, TypedValue } from '../core/contract.js';
import { copy, copyFormatter, copyText } from './postgres-copy.js';
import {
  DEPENDENT_OBJECTS_STILL_EXIST, INSUFFICIENT_PRIVILEGE, UNIQUE_VIOLATION, connectionError, sqlState,
} from './postgres-errors.js';
import { MAX_IDENTIFIER_BYTES, serverAddress, type PostgresOptions } from './postgres-options.js';
import {
  ConnectionQueue, RUNS_TABLE, STATE_TABLE, SqlTableWriter, bookkeepingTablesSql, expectedShape,
  isoMillis, loadName, parseStates, preparePass, transaction, type ReplacedParents, type RunSql,
} from './sql-destination.js';
import { columnList, createTableSql, createTableStatements, qualifiedName, quoteIdentifier, stagingName } from './sql.js';
import type { RefreshPlan } from './joined-refresh.js';

/** How long `open` waits for another process's lock on the schema (a killed process's session lingers briefly). */
const LOCK_WAIT_MS = 5000;

/** How each logical type is named by `format_type`, to compare an existing table with the catalog. */
const CATALOG_TYPE_NAMES: Readonly<Record<LogicalType, string>> = {
  float: 'double precision', text: 'text', timestamp: 'timestamp without time zone', date: 'date', boolean: 'boolean',
};

export class PostgresDestination implements Destination {
  readonly description: string;
  readonly options: PostgresOptions;
  private client: pg.Client | null = null;
  /** The connection failed after opening: every later call reports it. */
  private lost: Error | null = null;
  private readonly queue = new ConnectionQueue(() => {
    if (this.lost) throw new Error(`the connection to ${this.description} was lost: ${this.lost.message}`);
    if (!this.client) throw new Error(`the PostgreSQL destination ${this.description} is not open`);
    return this.client;
  });

  constructor(options: PostgresOptions) {
    this.options = options;
    this.description = `PostgreSQL ${options.user}@${serverAddress(options)}/${options.database}, schema ${options.schema}`;
  }

  /** Qualified, quoted name of a table in the destination's schema. */
  name(table: string): string {
    return qualifiedName(table, this.options.schema);
  }

  async open(): Promise<void> {
    if (this.client) return;
    // Without a listener a dropped connection would crash the process; the next call reports it instead.
    const client = await connectPostgres(this.options, (error) => {
      this.lost = error;
    });
    try {
      await this.prepareSchema(client);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.lost = null;
    this.client = client;
  }

  /** Creates the schema if missing, takes its writer lock and creates the bookkeeping tables if missing. */
  private async prepareSchema(client: pg.Client): Promise<void> {
    const { schema, user, database } = this.options;
    const where = `schema "${schema}" of database "${database}" on ${serverAddress(this.options)}`;
    try {
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even when
      // the schema exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
    } catch (error) {
      if (sqlState(error) === INSUFFICIENT_PRIVILEGE) {
        throw new ConfigError(`user "${user}" may not create the ${where}: create it (CREATE SCHEMA "${schema}"), grant CREATE on the database, or choose an existing schema with ?schema=`);
      }
      throw error;
    }

    const deadline = Date.now() + (this.options.lockWaitMs ?? LOCK_WAIT_MS);
    for (;;) {
      const locked = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [`acsync:${schema}`]);
      if (locked.rows[0]?.locked) break;
      if (Date.now() >= deadline) {
        throw new ConfigError(`another acsync process is writing to the ${where}; wait for it to finish, or choose another schema with ?schema=`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }

    try {
      for (const sql of bookkeepingTablesSql({ text: 'text', json: 'jsonb', timestamp: 'timestamp' }, (name) => this.name(name))) {
        await client.query(sql);
      }
    } catch (error) {
      if (sqlState(error) === INSUFFICIENT_PRIVILEGE) {
        throw new ConfigError(`user "${user}" may not create tables in the ${where}: GRANT CREATE ON SCHEMA "${schema}" TO "${user}", or choose another schema with ?schema=`);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.queue.idle();
    const client = this.client;
    this.client = null;
    // Ending the session releases the advisory lock and drops the temporary tables.
    await client?.end().catch(() => undefined);
  }

  readState(): Promise<Map<string, TableState>> {
    return this.queue.run(async (client) => {
      const result = await client.query<{ table_name: string; state: string | null }>(
        `SELECT table_name, state::text AS state FROM ${this.name(STATE_TABLE)} ORDER BY table_name`);
      return parseStates(result.rows.map((row) => [row.table_name, row.state]), this.description);
    });
  }

  recordRun(run: RunRecord): Promise<void> {
    return this.queue.run(async (client) => {
      isoMillis(run.startedAt);
      if (run.endedAt !== null) isoMillis(run.endedAt);
      await client.query(
        `INSERT INTO ${this.name(RUNS_TABLE)} (run_id, started_at, ended_at, status, tables)
         VALUES ($1, $2::timestamptz AT TIME ZONE 'UTC', $3::timestamptz AT TIME ZONE 'UTC', $4, $5::jsonb)
         ON CONFLICT (run_id) DO UPDATE SET started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at,
           status = EXCLUDED.status, tables = EXCLUDED.tables`,
        [run.runId, run.startedAt, run.endedAt, run.status, JSON.stringify(run.tables)],
      );
    });
  }

  beginTable(table: TableDef, mode: ReplicationMode, resume: boolean): Promise<TableWriter> {
    return this.queue.run(async (client) => {
      const staging = stagingName(table);
      for (const name of [staging, `${staging}_pkey`, loadName(table)]) {
        if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) {
          throw new Error(`table ${table.name}: the name ${name} is longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES} bytes`);
        }
      }
      const run: RunSql = (sql) => client.query(sql);
      const target = await preparePass(run, {
        where: this.description,
        expected: expectedShape(table, (type) => CATALOG_TYPE_NAMES[type]),
        shape: (name) => this.tableShape(client, name),
        create: async (name) => {
          for (const sql of createTableStatements(table, name, 'postgres', this.options.schema)) await run(sql);
        },
        drop: (name) => run(`DROP TABLE ${this.name(name)}`),
      }, table, mode, resume);
      // The batch's rows pass through it on their way to an upsert; emptied by every COMMIT.
      await run(`${createTableSql(table, loadName(table), 'postgres', { temporary: true, ifNotExists: true, primaryKey: false })} ON COMMIT DELETE ROWS`);
      return new PostgresTableWriter(this, this.queue, table, mode, target);
    });
  }

  /** Upserts a table's state (JSON text) within the open transaction. */
  async saveState(client: pg.Client, table: string, state: string): Promise<void> {
    await client.query(
      `INSERT INTO ${this.name(STATE_TABLE)} (table_name, state, updated_at) VALUES ($1, $2::jsonb, now() AT TIME ZONE 'UTC')
       ON CONFLICT (table_name) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
      [table, state],
    );
  }

  /** A table's columns, types and key as one comparable string; null if the table does not exist. */
  async tableShape(client: pg.Client, name: string): Promise<string | null> {
    const result = await client.query<{ columns: string | null; key: string | null }>(
      `SELECT (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                 FROM pg_attribute WHERE attrelid = r AND attnum > 0 AND NOT attisdropped) AS columns,
              (SELECT string_agg(a.attname, ', ' ORDER BY k.ord)
                 FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                WHERE i.indrelid = r AND i.indisprimary) AS key
         FROM (SELECT to_regclass($1) AS r) AS target WHERE r IS NOT NULL`,
      [this.name(name)],
    );
    const row = result.rows[0];
    return row ? `${row.columns ?? ''} | key ${row.key ?? ''}` : null;
  }
}

/**
 * A client connected as `options` say, trying TLS first where the sslmode allows a plain fallback (libpq's
 * `prefer` and `allow`); a failure is a one-line ConfigError. `onError` hears of errors after connecting.
 */
export async function connectPostgres(options: PostgresOptions, onError: (error: Error) => void): Promise<pg.Client> {
  const tryTls = options.sslMode !== 'disable';
  let client = await connectOnce(options, tryTls, onError);
  if (client instanceof Error && tryTls && (options.sslMode === 'prefer' || options.sslMode === 'allow')
    && /does not support SSL/i.test(client.message)) {
    client = await connectOnce(options, false, onError);
  }
  if (client instanceof Error) throw connectionError(options, client);
  return client;
}

/** A connected client, with or without TLS, or the error connecting failed with. */
async function connectOnce(options: PostgresOptions, tls: boolean, onError: (error: Error) => void): Promise<pg.Client | Error> {
  const client = new pg.Client({
    host: options.host,
    port: options.port,
    user: options.user,
    database: options.database,
    ...(options.password !== undefined && { password: options.password }),
    ssl: tls ? { rejectUnauthorized: options.sslMode === 'verify-ca' || options.sslMode === 'verify-full' } : false,
    connectionTimeoutMillis: options.connectTimeoutSeconds * 1000,
    application_name: 'acsync',
    keepAlive: true,
  });
  client.on('error', onError);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    return error instanceof Error ? error : new Error(String(error));
  }
}

class PostgresTableWriter extends SqlTableWriter<pg.Client, string> {
  private readonly formatters: readonly ((value: TypedValue) => string)[];
  /** The quoted column list, in catalog order. */
  private readonly columns: string;
  private readonly upsertSql: string;
  private readonly copyTargetSql: string;
  private readonly copyLoadSql: string;

  constructor(
    private readonly destination: PostgresDestination,
    queue: ConnectionQueue<pg.Client>,
    table: TableDef,
    mode: ReplicationMode,
    target: string,
  ) {
    super(queue, table, mode, target);
    this.formatters = table.columns.map((column) => copyFormatter(table, column.name, column.type));
    this.columns = columnList(table);
    const key = table.primaryKey.map(quoteIdentifier).join(', ');
    const updates = table.columns.filter((c) => !table.primaryKey.includes(c.name))
      .map((c) => `${quoteIdentifier(c.name)} = EXCLUDED.${quoteIdentifier(c.name)}`);
    const load = quoteIdentifier(loadName(table));
    this.upsertSql = `INSERT INTO ${destination.name(target)} (${this.columns}) SELECT ${this.columns} FROM ${load} `
      + `ON CONFLICT (${key}) ${updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`;
    this.copyTargetSql = `COPY ${destination.name(target)} (${this.columns}) FROM STDIN`;
    this.copyLoadSql = `COPY ${load} (${this.columns}) FROM STDIN`;
  }

  protected encode(rows: readonly TypedRow[]): string | null {
    return rows.length === 0 ? null : copyText(rows, this.formatters);
  }

  protected async write(client: pg.Client, text: string | null, parents: ReplacedParents | null, state: string): Promise<void> {
    await transaction((sql) => client.query(sql), async () => {
      if (parents) {
        await client.query(
          `DELETE FROM ${this.destination.name(this.target)} WHERE ${quoteIdentifier(parents.column)} = ANY($1::double precision[])`,
          [parents.ids]);
      }
      if (text !== null) await this.writeRows(client, text);
      await this.destination.saveState(client, this.table.name, state);
    });
  }

  /**
   * Writes the rows within the open transaction: a full pass's staging copy first takes them with a plain
   * COPY, much cheaper than the upsert since a fresh staging copy rarely holds a batch's keys already; a key
   * that is there fails the COPY, which the savepoint takes back, and the rows are upserted instead, which is
   * also how incremental batches reach the live table.
   */
  private async writeRows(client: pg.Client, text: string): Promise<void> {
    if (this.mode === 'full') {
      await client.query('SAVEPOINT acsync_copy');
      try {
        await copy(client, this.copyTargetSql, text);
        await client.query('RELEASE SAVEPOINT acsync_copy');
        return;
      } catch (error) {
        if (sqlState(error) !== UNIQUE_VIOLATION) throw error;
        await client.query('ROLLBACK TO SAVEPOINT acsync_copy');
      }
    }
    // The load table is emptied by the COMMIT (ON COMMIT DELETE ROWS) or the ROLLBACK that ends this transaction.
    await copy(client, this.copyLoadSql, text);
    await client.query(this.upsertSql);
  }

  protected async publish(client: pg.Client, state: string, refresh: RefreshPlan | null): Promise<void> {
    const run: RunSql = (sql) => client.query(sql);
    await transaction(run, async () => {
      if (this.mode === 'full') await this.publishStaging(client);
      if (refresh) await this.refreshLive(client, run, this.destination.name(this.table.name), refresh);
      await this.destination.saveState(client, this.table.name, state);
    });
  }

  protected async stageRefresh(client: pg.Client, refresh: RefreshPlan): Promise<string> {
    const { staged } = refresh;
    // Temporary, so unqualified: it lives in the session's own schema and goes with the transaction's DROP.
    await client.query(createTableSql(staged, staged.name, 'postgres', { temporary: true, primaryKey: false }));
    if (refresh.rows.length > 0) {
      const formatters = staged.columns.map((column) => copyFormatter(staged, column.name, column.type));
      await copy(client, `COPY ${quoteIdentifier(staged.name)} (${columnList(staged)}) FROM STDIN`, copyText(refresh.rows, formatters));
    }
    return quoteIdentifier(staged.name);
  }

  /**
   * Replaces the live table by the staging copy within the open transaction: readers see the old table
   * until COMMIT, and a failure keeps it. The staging table is renamed (its primary key and comments
   * travel with it, and the grants of the old table are copied over); if views depend on the live table,
   * dropping it fails, so its rows are replaced in place instead, keeping the views.
   */
  private async publishStaging(client: pg.Client): Promise<void> {
    const live = this.destination.name(this.table.name);
    const staging = this.destination.name(this.target);
    await client.query('SAVEPOINT acsync_swap');
    try {
      await this.copyGrants(client);
      await client.query(`DROP TABLE IF EXISTS ${live}`);
      await client.query(`ALTER TABLE ${staging} RENAME TO ${quoteIdentifier(this.table.name)}`);
      const key = await client.query<{ conname: string }>(
        `SELECT conname FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'p'`, [live]);
      const keyName = key.rows[0]?.conname;
      const wanted = `${this.table.name}_pkey`;
      if (keyName !== undefined && keyName !== wanted) {
        await client.query(`ALTER TABLE ${live} RENAME CONSTRAINT ${quoteIdentifier(keyName)} TO ${quoteIdentifier(wanted)}`);
      }
      await client.query('RELEASE SAVEPOINT acsync_swap');
    } catch (error) {
      if (sqlState(error) !== DEPENDENT_OBJECTS_STILL_EXIST) throw error;
      await client.query('ROLLBACK TO SAVEPOINT acsync_swap');
      if (await this.destination.tableShape(client, this.table.name) !== expectedShape(this.table, (type) => CATALOG_TYPE_NAMES[type])) {
        throw new Error(`table ${this.table.name} in ${this.destination.description} does not have the columns and key acsync writes, and views or other objects depend on it so it cannot be replaced; drop them, then rerun`);
      }
      await client.query(`TRUNCATE ${live}`);
      await client.query(`INSERT INTO ${live} (${this.columns}) SELECT ${this.columns} FROM ${staging}`);
      await client.query(`DROP TABLE ${staging}`);
    }
  }

  /** Grants other roles hold on the live table, given on the staging copy that replaces it. */
  private async copyGrants(client: pg.Client): Promise<void> {
    const grants = await client.query<{ privilege: string; grantee: string | null; grantable: boolean }>(
      `SELECT a.privilege_type AS privilege, CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END AS grantee,
              a.is_grantable AS grantable
         FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) AS a
        WHERE c.oid = to_regclass($1) AND a.grantee <> c.relowner`,
      [this.destination.name(this.table.name)],
    );
    const staging = this.destination.name(this.target);
    for (const { privilege, grantee, grantable } of grants.rows) {
      await client.query(`GRANT ${privilege} ON ${staging} TO ${grantee === null ? 'PUBLIC' : quoteIdentifier(grantee)}${grantable ? ' WITH GRANT OPTION' : ''}`);
    }
  }
}
