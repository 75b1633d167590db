/**
 * The default destination: one DuckDB file holding the 33 tables and acsync's bookkeeping.
 *
 * Writes go through a single connection, one transaction at a time (tables in flight queue their
 * commits), which is also what DuckDB's single-writer file lock expects. A batch travels as DuckDB data
 * chunks (one native copy per column instead of a call per value) through the Appender: straight into a
 * full pass's staging copy when none of its keys is there yet, otherwise into a temporary table and then
 * into its target with INSERT OR REPLACE … SELECT, since the Appender cannot upsert. Measured figures are
 * printed by bench/duckdb-load-bench.ts. The checks of the file itself are in ./duckdb-file.ts.
 */
import { resolve } from 'node:path';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ReplicationMode, TableDef } from '../catalog/index.js';
import { latestPerKey, parentsToReplace } from './batches.js';
import {
  columnList, commentStatements, createTableSql, quoteIdentifier, quoteLiteral, sqlType, stagingName,
} from './sql.js';
import type { Batch, Destination, RunRecord, TableState, TableWriter } from '../core/contract.js';
import { appendChunks, ChunkBuilder } from './duckdb-chunks.js';
import { checkDatabasePath, openError } from './duckdb-file.js';

const STATE_TABLE = '_acsync_state';
const RUNS_TABLE = '_acsync_runs';

/** DuckDB's buffer pool; spills beyond it go to a temporary directory beside the file. */
const DUCKDB_MEMORY_LIMIT = '128MB';

export class DuckDbDestination implements Destination {
  readonly description: string;
  /** Absolute path of the database file. */
  readonly path: string;
  private instance: DuckDBInstance | null = null;
  private connection: DuckDBConnection | null = null;
  /** Tail of the queue of database work: one statement sequence (one transaction) at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: { path: string }) {
    this.path = resolve(options.path);
    this.description = `DuckDB file ${options.path}`;
  }

  async open(): Promise<void> {
    if (this.connection) return;
    checkDatabasePath(this.path);
    let instance: DuckDBInstance;
    try {
      // A bounded buffer pool keeps a sync's memory flat however large the account: DuckDB's default
      // (80% of RAM) would cache every table it writes.
      instance = await DuckDBInstance.create(this.path, { memory_limit: DUCKDB_MEMORY_LIMIT });
    } catch (error) {
      throw openError(this.path, error);
    }
    try {
      const connection = await instance.connect();
      // IF NOT EXISTS leaves an existing file byte-for-byte unchanged when the tables are there.
      await connection.run(
        `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(STATE_TABLE)} (table_name VARCHAR PRIMARY KEY, state VARCHAR, updated_at TIMESTAMP)`,
      );
      await connection.run(
        `CREATE TABLE IF NOT EXISTS ${quoteIdentifier(RUNS_TABLE)} (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, ended_at TIMESTAMP, status VARCHAR, tables VARCHAR)`,
      );
      this.instance = instance;
      this.connection = connection;
    } catch (error) {
      instance.closeSync();
      throw openError(this.path, error);
    }
  }

  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = null;
    this.instance = null;
  }

  readState(): Promise<Map<string, TableState>> {
    return this.exclusive(async (connection) => {
      const reader = await connection.runAndReadAll(
        `SELECT table_name, state FROM ${quoteIdentifier(STATE_TABLE)} ORDER BY table_name`,
      );
      const states = new Map<string, TableState>();
      for (const [name, state] of reader.getRows()) {
        if (typeof name !== 'string' || typeof state !== 'string') continue;
        try {
          states.set(name, JSON.parse(state) as TableState);
        } catch {
          throw new Error(`the state of table ${name} in ${this.path} is not valid JSON; delete its row from ${STATE_TABLE} to start the table afresh`);
        }
      }
      return states;
    });
  }

  recordRun(run: RunRecord): Promise<void> {
    return this.exclusive(async (connection) => {
      await connection.run(
        `INSERT OR REPLACE INTO ${quoteIdentifier(RUNS_TABLE)} VALUES ($1, $2, $3, $4, $5)`,
        [run.runId, isoTimestamp(run.startedAt), run.endedAt === null ? null : isoTimestamp(run.endedAt), run.status,
          JSON.stringify(run.tables)],
      );
    });
  }

  beginTable(table: TableDef, mode: ReplicationMode, resume: boolean): Promise<TableWriter> {
    return this.exclusive(async (connection) => {
      const live = table.name;
      const staging = stagingName(table);
      await transaction(connection, async () => {
        const liveShape = await tableShape(connection, live);
        if (liveShape === null) await createTable(connection, table, live);
        else if (mode === 'incremental' && liveShape !== expectedShape(table)) {
          throw new Error(`table ${live} in ${this.path} does not have the columns and key acsync writes; run it once in full mode to rebuild it`);
        }
        if (mode === 'full') {
          const stagingShape = await tableShape(connection, staging);
          // A staging copy is continued only if asked and only if it has the right columns and key.
          const keep = resume && stagingShape === expectedShape(table);
          if (!keep) {
            if (stagingShape !== null) await connection.run(`DROP TABLE ${quoteIdentifier(staging)}`);
            await createTable(connection, table, staging);
          }
        }
      });
      const load = loadName(table);
      await connection.run(createTableSql(table, load, 'duckdb', { temporary: true, ifNotExists: true, primaryKey: false }));
      return new DuckDbTableWriter(this, table, mode, mode === 'full' ? staging : live, load);
    });
  }

  /**
   * Runs `work` on the connection after all work queued before it; failures do not block later work.
   * For this destination's table writers.
   */
  exclusive<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const result = this.queue.then(() => {
      if (!this.connection) throw new Error(`the DuckDB destination ${this.path} is not open`);
      return work(this.connection);
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}

class DuckDbTableWriter implements TableWriter {
  private closed = false;
  private readonly chunkBuilder: ChunkBuilder;
  /** The quoted column list, in catalog order. */
  private readonly columns: string;

  constructor(
    private readonly destination: DuckDbDestination,
    private readonly table: TableDef,
    private readonly mode: ReplicationMode,
    /** Where rows go: the staging copy (full) or the live table (incremental). */
    private readonly target: string,
    /** Temporary table a batch is appended to before it is upserted into `target`. */
    private readonly load: string,
  ) {
    this.chunkBuilder = new ChunkBuilder(table, 'TIMESTAMP');
    this.columns = columnList(table);
  }

  async commit(batch: Batch, state: TableState): Promise<void> {
    this.checkOpen();
    // Chunks are built before queueing: the caller may reuse its row arrays as soon as this returns.
    const chunks = this.chunkBuilder.chunks(latestPerKey(this.table, batch.rows));
    const deleteChildren = batch.replaceChildrenOf ? this.deleteChildrenSql(batch.replaceChildrenOf) : null;
    const saveState = stateSql(this.table.name, state);
    await this.destination.exclusive(async (connection) => {
      // A fresh staging copy rarely holds a batch's keys already, so the rows are first appended straight
      // into it, which is much cheaper than an upsert; a re-read page (after a resume) fails that on the
      // key, rolls back, and is written again as an upsert.
      if (this.mode === 'full' && chunks.length > 0) {
        try {
          await transaction(connection, async () => {
            if (deleteChildren) await connection.run(deleteChildren);
            await appendChunks(connection, this.target, chunks);
          }, saveState);
          return;
        } catch (error) {
          if (!isKeyViolation(error)) throw error;
        }
      }
      await transaction(connection, async () => {
        if (deleteChildren) await connection.run(deleteChildren);
        if (chunks.length === 0) return;
        // The Appender cannot upsert: the rows go through the temporary table.
        await appendChunks(connection, this.load, chunks);
        const load = quoteIdentifier(this.load);
        await connection.run(
          `INSERT OR REPLACE INTO ${quoteIdentifier(this.target)} (${this.columns}) SELECT ${this.columns} FROM ${load}; DELETE FROM ${load}`,
        );
      }, saveState);
    });
  }

  async finish(state: TableState): Promise<void> {
    this.checkOpen();
    this.closed = true;
    await this.destination.exclusive(async (connection) => {
      await transaction(connection, async () => {
        if (this.mode !== 'full') return;
        // DuckDB's DDL is transactional: readers see the old table until COMMIT, and a failure keeps it.
        await connection.run(
          `DROP TABLE IF EXISTS ${quoteIdentifier(this.table.name)}; ALTER TABLE ${quoteIdentifier(this.target)} RENAME TO ${quoteIdentifier(this.table.name)}`,
        );
      }, stateSql(this.table.name, state));
    });
  }

  async abort(): Promise<void> {
    // Every commit is its own transaction and the live table is only touched by `finish` (full) or by
    // committed batches (incremental), so there is nothing to undo; the staging copy stays for a resume.
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`the writer of table ${this.table.name} is already finished or aborted`);
  }

  private deleteChildrenSql(parents: NonNullable<Batch['replaceChildrenOf']>): string | null {
    const { column, ids } = parentsToReplace(this.table, parents);
    if (ids.length === 0) return null;
    // Ids are finite numbers, so they are written as numeric literals: no quoting question arises.
    return `DELETE FROM ${quoteIdentifier(this.target)} WHERE ${quoteIdentifier(column)} IN (${ids.join(', ')})`;
  }
}

// ---------------------------------------------------------------------------------------------------

/**
 * Runs `work` inside BEGIN … COMMIT, rolling back if anything fails. `finalSql` runs with the COMMIT, in
 * the same call: every statement costs a round trip to DuckDB's worker thread.
 */
async function transaction(connection: DuckDBConnection, work: () => Promise<void>, finalSql?: string): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await work();
    await connection.run(finalSql === undefined ? 'COMMIT' : `${finalSql}; COMMIT`);
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Stores a table's state. DELETE + INSERT rather than INSERT OR REPLACE: DuckDB's conflict handling costs
 * about a millisecond even for one row. The values are literals so this joins the COMMIT's call.
 */
function stateSql(table: string, state: TableState): string {
  const name = quoteLiteral(table);
  const now = Date.now() * 1000;
  return `DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE table_name = ${name}; `
    + `INSERT INTO ${quoteIdentifier(STATE_TABLE)} VALUES (${name}, ${quoteLiteral(JSON.stringify(state))}, make_timestamp(${now}::BIGINT))`;
}

async function createTable(connection: DuckDBConnection, table: TableDef, name: string): Promise<void> {
  await connection.run(createTableSql(table, name, 'duckdb'));
  for (const statement of commentStatements(table, name)) await connection.run(statement);
}

function loadName(table: TableDef): string {
  return `_acsync_load_${table.name}`;
}

/** A table's columns, types and key as one comparable string; null if the table does not exist. */
async function tableShape(connection: DuckDBConnection, name: string): Promise<string | null> {
  const columns = await connection.runAndReadAll(
    `SELECT column_name, data_type FROM information_schema.columns
     WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = $1
     ORDER BY ordinal_position`,
    [name],
  );
  const rows = columns.getRows();
  if (rows.length === 0) return null;
  const keys = await connection.runAndReadAll(
    `SELECT constraint_column_names FROM duckdb_constraints()
     WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1
       AND constraint_type = 'PRIMARY KEY'`,
    [name],
  );
  const key = keys.getRowsJson()[0]?.[0];
  return shapeOf(rows.map(([column, type]) => `${String(column)} ${String(type)}`), Array.isArray(key) ? key.map(String) : []);
}

function expectedShape(table: TableDef): string {
  return shapeOf(table.columns.map((c) => `${c.name} ${sqlType(c.type, 'duckdb')}`), [...table.primaryKey]);
}

function shapeOf(columns: readonly string[], key: readonly string[]): string {
  return `${columns.join(', ')} | key ${key.join(', ')}`;
}

function isKeyViolation(error: unknown): boolean {
  return error instanceof Error && /Duplicate key .* violates primary key constraint/.test(error.message);
}

function isoTimestamp(iso: string): DuckDBTimestampValue {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 timestamp: ${iso}`);
  return new DuckDBTimestampValue(BigInt(ms) * 1000n);
}
