/**
 * The default destination: one DuckDB file holding the 33 tables and acsync's bookkeeping.
 *
 * Writes go through a single connection, one transaction at a time (tables in flight queue their
 * commits), which is also what DuckDB's single-writer file lock expects. A batch travels as DuckDB data
 * chunks (one native copy per column instead of a call per value) through the Appender into a temporary
 * load table, and from there into its target (a full pass's staging copy, or the live table): the target's
 * rows with the batch's keys are deleted and the batch inserted, together with the table's state, in one
 * transaction per batch.
 *
 * The tables have no PRIMARY KEY constraint (why: sql.ts `createTableStatements`); their comment declares the
 * key, and acsync keeps one row per key: a batch holds one row per key (`latestPerKey`) and replaces the rows
 * of its keys. Why not append straight into a full pass's staging copy? A key may come twice in one pass (a
 * page re-read after a resume, or a record that moved between pages), and only the delete finds the earlier
 * row. Either way a batch is written far faster than the API delivers one (at most 5 requests of 100 rows a
 * second). Measured figures are printed by bench/duckdb-load-bench.ts. What this shares with the PostgreSQL
 * destination is in ./sql-destination.ts; the file checks are in ./duckdb-file.ts.
 */
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import type { ReplicationMode, TableDef } from '../catalog/index.js';
import type { Destination, OpenOptions, RunRecord, TableState, TableWriter, TypedRow } from '../core/contract.js';
import { appendChunks, ChunkBuilder } from './duckdb-chunks.js';
import { checkDatabasePath, isLockError, openError } from './duckdb-file.js';
import {
  ConnectionQueue, RUNS_TABLE, STATE_TABLE, SqlTableWriter, bookkeepingTablesSql, expectedShape,
  isoMillis, loadName, parseStates, preparePass, shapeOf, transaction, type ReplacedParents, type RunSql,
} from './sql-destination.js';
import type { RefreshPlan } from './joined-refresh.js';
import {
  columnList, createTableSql, createTableStatements, declaredKey, quoteIdentifier, quoteLiteral, sqlType,
} from './sql.js';

/**
 * DuckDB's buffer pool; spills beyond it go to a temporary directory beside the file. A sync's own need is far
 * below it (about 15 MB that cannot spill, for the tables being written); the rest caches rows and blocks.
 * Not lower: at 32 MB a 100k-contact sync ran out of memory (30.3 of 30.5 MiB pinned), and a failed checkpoint
 * invalidated the database.
 */
const DUCKDB_MEMORY_LIMIT = '64MB';
/*
 * What else was measured and left at DuckDB's defaults (100k contacts unthrottled, peak RSS 249-252 MB with these
 * settings): 16 kB blocks 277, row groups of 16,384 rows 253, write_buffer_row_group_count 1 254, checkpoints at
 * 1/4/8 MB of WAL 258/264/269, glibc's mmap and trim thresholds at 128 kB 245-260. The peak does not follow what
 * DuckDB accounts for: its not-yet-checkpointed rows (duckdb_memory() IN_MEMORY_TABLE) swing between 0 and 59 MB
 * with each checkpoint while RSS stays at 210-249 MB.
 */
/**
 * The pool for a file whose tables still have PRIMARY KEY constraints (written by an earlier version, until each
 * table's next full pass): their indexes cannot spill, and a 1M-row key's did not fit in 64 MB.
 */
const KEYED_FILE_MEMORY_LIMIT = '128MB';
/**
 * This libduckdb uses glibc's malloc, which keeps what DuckDB frees; at these thresholds DuckDB returns it to the
 * system (malloc_trim) after each task and each large release (reference: duckdb.org/docs/configuration/overview).
 * Peak anonymous RSS at 10k contacts unthrottled 169-173 -> 153-155 MB; at 100k no change (211-217 vs 209-215),
 * where the peak is memory in use (this pool at its cap, V8's heap, DuckDB's own bookkeeping); wall time within
 * the runs' noise (bench/sync-bench.ts).
 */
const ALLOCATOR_SETTINGS = { allocator_flush_threshold: '1MB', allocator_bulk_deallocation_flush_threshold: '1MB' };
/** How long a sync waits for another process to release the file before it gives up. */
const LOCK_WAIT_MS = 60_000;

export class DuckDbDestination implements Destination {
  readonly description: string;
  /** Absolute path of the database file. */
  readonly path: string;
  private instance: DuckDBInstance | null = null;
  private connection: DuckDBConnection | null = null;
  private readonly queue = new ConnectionQueue(() => {
    if (!this.connection) throw new Error(`the DuckDB destination ${this.path} is not open`);
    return this.connection;
  });

  /** How long `open` waits for another process to release the file. */
  private readonly lockWaitMs: number;

  constructor(options: { path: string; lockWaitMs?: number }) {
    this.path = resolve(options.path);
    this.lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
    this.description = `DuckDB file ${options.path}`;
  }

  async open(options: OpenOptions = {}): Promise<void> {
    if (this.connection) return;
    checkDatabasePath(this.path);
    let instance: DuckDBInstance;
    const waitUntil = Date.now() + this.lockWaitMs;
    for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
      try {
        // A bounded buffer pool keeps a sync's memory flat however large the account: DuckDB's default
        // (80% of RAM) would cache every table it writes.
        instance = await DuckDBInstance.create(this.path, { memory_limit: DUCKDB_MEMORY_LIMIT, ...ALLOCATOR_SETTINGS });
        break;
      } catch (error) {
        // Another process holds the file (a reader such as a BI tool, or another sync): wait a while, visibly.
        if (!isLockError(error) || Date.now() + delay > waitUntil) throw openError(this.path, error);
        if (delay === 500) {
          const pid = /PID (\d+)/.exec(String((error as Error).message))?.[1];
          options.onWait?.(`${this.path} is open in another process${pid ? ` (PID ${pid})` : ''}: waiting up to ${Math.round(this.lockWaitMs / 1000)} s for it to let go`);
        }
        await sleep(delay);
      }
    }
    try {
      const connection = await instance.connect();
      // IF NOT EXISTS leaves an existing file byte-for-byte unchanged when the tables are there.
      for (const sql of bookkeepingTablesSql({ text: 'VARCHAR', json: 'VARCHAR', timestamp: 'TIMESTAMP' }, quoteIdentifier)) {
        await connection.run(sql);
      }
      if (await hasKeyedTables(connection)) await connection.run(`SET memory_limit = '${KEYED_FILE_MEMORY_LIMIT}'`);
      this.instance = instance;
      this.connection = connection;
    } catch (error) {
      instance.closeSync();
      throw openError(this.path, error);
    }
  }

  async close(): Promise<void> {
    await this.queue.idle();
    this.connection?.closeSync();
    this.instance?.closeSync();
    this.connection = null;
    this.instance = null;
  }

  readState(): Promise<Map<string, TableState>> {
    return this.queue.run(async (connection) => {
      const reader = await connection.runAndReadAll(
        `SELECT table_name, state FROM ${quoteIdentifier(STATE_TABLE)} ORDER BY table_name`,
      );
      return parseStates(reader.getRows(), this.path);
    });
  }

  recordRun(run: RunRecord): Promise<void> {
    return this.queue.run(async (connection) => {
      await connection.run(
        `INSERT OR REPLACE INTO ${quoteIdentifier(RUNS_TABLE)} VALUES ($1, $2, $3, $4, $5)`,
        [run.runId, timestampValue(run.startedAt), run.endedAt === null ? null : timestampValue(run.endedAt), run.status,
          JSON.stringify(run.tables)],
      );
    });
  }

  beginTable(table: TableDef, mode: ReplicationMode, resume: boolean): Promise<TableWriter> {
    return this.queue.run(async (connection) => {
      const run: RunSql = (sql) => connection.run(sql);
      const target = await preparePass(run, {
        where: this.path,
        expected: expectedShape(table, (type) => sqlType(type, 'duckdb')),
        shape: (name) => tableShape(connection, name),
        create: async (name) => {
          for (const sql of createTableStatements(table, name, 'duckdb')) await run(sql);
        },
        drop: (name) => run(`DROP TABLE ${quoteIdentifier(name)}`),
      }, table, mode, resume);
      const load = loadName(table);
      await run(createTableSql(table, load, 'duckdb', { temporary: true, ifNotExists: true, primaryKey: false }));
      return new DuckDbTableWriter(this.queue, table, mode, target, load);
    });
  }
}

class DuckDbTableWriter extends SqlTableWriter<DuckDBConnection, DuckDBDataChunk[]> {
  private readonly chunkBuilder: ChunkBuilder;
  /**
   * Moves the load table's rows into the target and empties it: the target's rows with a key of the batch are
   * deleted, then the batch inserted (the target has no key constraint to replace on: see sql.ts
   * `createTableStatements`; a batch holds one row per key). A live table written by an earlier version still
   * has its PRIMARY KEY, and this works there too.
   */
  private readonly upsertSql: string;

  constructor(
    queue: ConnectionQueue<DuckDBConnection>,
    table: TableDef,
    mode: ReplicationMode,
    target: string,
    /** Temporary table a batch is appended to before it is upserted into `target`. */
    private readonly load: string,
  ) {
    super(queue, table, mode, target);
    this.chunkBuilder = new ChunkBuilder(table, 'TIMESTAMP');
    const into = quoteIdentifier(target);
    const loaded = quoteIdentifier(load);
    const sameKey = table.primaryKey.map((c) => `${into}.${quoteIdentifier(c)} = ${loaded}.${quoteIdentifier(c)}`).join(' AND ');
    const columns = columnList(table);
    this.upsertSql = `DELETE FROM ${into} USING ${loaded} WHERE ${sameKey}; `
      + `INSERT INTO ${into} (${columns}) SELECT ${columns} FROM ${loaded}; DELETE FROM ${loaded}`;
  }

  protected encode(rows: readonly TypedRow[]): DuckDBDataChunk[] | null {
    return rows.length === 0 ? null : this.chunkBuilder.chunks(rows);
  }

  protected async write(connection: DuckDBConnection, chunks: DuckDBDataChunk[] | null, parents: ReplacedParents | null,
    state: string): Promise<void> {
    const run: RunSql = (sql) => connection.run(sql);
    await transaction(run, async () => {
      // Ids are finite numbers, so they are written as numeric literals: no quoting question arises.
      if (parents) await run(`DELETE FROM ${quoteIdentifier(this.target)} WHERE ${quoteIdentifier(parents.column)} IN (${parents.ids.join(', ')})`);
      if (chunks === null) return;
      // The Appender only ever writes the load table: an append cannot fail on a key of the target, so a page
      // re-read into a resumed staging copy takes the same path as any other batch.
      await appendChunks(connection, this.load, chunks);
      await run(this.upsertSql);
    }, stateSql(this.table.name, state));
  }

  protected async publish(connection: DuckDBConnection, state: string, refresh: RefreshPlan | null): Promise<void> {
    const run: RunSql = (sql) => connection.run(sql);
    await transaction(run, async () => {
      if (this.mode === 'full') {
        // DuckDB's DDL is transactional: readers see the old table until COMMIT, and a failure keeps it.
        await connection.run(
          `DROP TABLE IF EXISTS ${quoteIdentifier(this.table.name)}; ALTER TABLE ${quoteIdentifier(this.target)} RENAME TO ${quoteIdentifier(this.table.name)}`,
        );
      }
      if (refresh) await this.refreshLive(connection, run, quoteIdentifier(this.table.name), refresh);
    }, stateSql(this.table.name, state));
  }

  protected async stageRefresh(connection: DuckDBConnection, refresh: RefreshPlan): Promise<string> {
    const { staged } = refresh;
    await connection.run(createTableSql(staged, staged.name, 'duckdb', { temporary: true, primaryKey: false }));
    await appendChunks(connection, staged.name, new ChunkBuilder(staged, 'TIMESTAMP').chunks(refresh.rows));
    return quoteIdentifier(staged.name);
  }
}

// ---------------------------------------------------------------------------------------------------

/**
 * Stores a table's state (JSON text). DELETE + INSERT rather than INSERT OR REPLACE: DuckDB's conflict
 * handling costs about a millisecond even for one row. The values are literals so this joins the COMMIT's call.
 */
function stateSql(table: string, state: string): string {
  const name = quoteLiteral(table);
  const now = Date.now() * 1000;
  return `DELETE FROM ${quoteIdentifier(STATE_TABLE)} WHERE table_name = ${name}; `
    + `INSERT INTO ${quoteIdentifier(STATE_TABLE)} VALUES (${name}, ${quoteLiteral(state)}, make_timestamp(${now}::BIGINT))`;
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
  return shapeOf(rows.map(([column, type]) => `${String(column)} ${String(type)}`), await tableKey(connection, name));
}

/**
 * The key of a table: the one its comment declares (tables written by acsync have no constraint), else its
 * PRIMARY KEY constraint (a file written by an earlier version; its next full pass replaces the table with
 * the declared form); [] if neither.
 */
async function tableKey(connection: DuckDBConnection, name: string): Promise<string[]> {
  const where = `WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1`;
  const comments = await connection.runAndReadAll(`SELECT comment FROM duckdb_tables() ${where}`, [name]);
  const comment = comments.getRows()[0]?.[0];
  const declared = declaredKey(typeof comment === 'string' ? comment : null);
  if (declared) return declared;
  const keys = await connection.runAndReadAll(
    `SELECT constraint_column_names FROM duckdb_constraints() ${where} AND constraint_type = 'PRIMARY KEY'`, [name]);
  const key = keys.getRowsJson()[0]?.[0];
  return Array.isArray(key) ? key.map(String) : [];
}

/** Whether a table besides the bookkeeping ones has a PRIMARY KEY constraint (a file of an earlier version). */
async function hasKeyedTables(connection: DuckDBConnection): Promise<boolean> {
  const keyed = await connection.runAndReadAll(
    `SELECT count(*) FROM duckdb_constraints()
     WHERE database_name = current_database() AND constraint_type = 'PRIMARY KEY' AND table_name NOT IN ($1, $2)`,
    [STATE_TABLE, RUNS_TABLE]);
  return Number(keyed.getRows()[0]?.[0]) > 0;
}

function timestampValue(iso: string): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(isoMillis(iso)) * 1000n);
}
