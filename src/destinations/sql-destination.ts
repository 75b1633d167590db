/**
 * What the two SQL destinations (./duckdb.ts and ./postgres.ts) share, written once: their bookkeeping
 * tables, one connection used by one statement sequence at a time, transactions that always end, preparing a
 * pass's live and staging tables, and the life of a table writer. The SQL of each dialect stays in its own
 * file and comes in here as callbacks.
 */
import type { LogicalType, ReplicationMode, TableDef } from '../catalog/index.js';
import type { Batch, JoinedRefresh, TableState, TableWriter, TypedRow } from '../core/contract.js';
import { latestPerKey, parentsToReplace } from './batches.js';
import { refreshPlan, refreshSql, type RefreshPlan } from './joined-refresh.js';
import { stagingName } from './sql.js';

export const STATE_TABLE = '_acsync_state';
export const RUNS_TABLE = '_acsync_runs';

/** The types the bookkeeping tables' columns have in a dialect. */
export interface BookkeepingTypes {
  readonly text: string;
  /** For the state and the run's tables: JSON text. */
  readonly json: string;
  readonly timestamp: string;
}

/** `CREATE TABLE IF NOT EXISTS` for `_acsync_state` and `_acsync_runs`; `name` quotes (and qualifies) a name. */
export function bookkeepingTablesSql(types: BookkeepingTypes, name: (table: string) => string): string[] {
  const { text, json, timestamp } = types;
  return [
    `CREATE TABLE IF NOT EXISTS ${name(STATE_TABLE)} (table_name ${text} PRIMARY KEY, state ${json}, updated_at ${timestamp})`,
    `CREATE TABLE IF NOT EXISTS ${name(RUNS_TABLE)} (run_id ${text} PRIMARY KEY, started_at ${timestamp}, ended_at ${timestamp}, status ${text}, tables ${json})`,
  ];
}

/** The states read from `_acsync_state` as (table name, JSON text) rows; rows without a state are skipped. */
export function parseStates(rows: Iterable<readonly unknown[]>, where: string): Map<string, TableState> {
  const states = new Map<string, TableState>();
  for (const [name, state] of rows) {
    if (typeof name !== 'string' || typeof state !== 'string') continue;
    try {
      states.set(name, JSON.parse(state) as TableState);
    } catch {
      throw new Error(`the state of table ${name} in ${where} is not valid JSON; delete its row from ${STATE_TABLE} to start the table afresh`);
    }
  }
  return states;
}

/** Milliseconds since the epoch of an ISO-8601 time (a run's start or end); throws if it is not one. */
export function isoMillis(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 timestamp: ${iso}`);
  return ms;
}

// ---------------------------------------------------------------------------------------------------
// One connection, one transaction at a time

/**
 * A transaction that failed and could not be rolled back either: the connection may still be inside it, so
 * nothing may use the connection again (ConnectionQueue refuses it from then on).
 */
export class RollbackFailedError extends Error {
  constructor(failure: unknown, rollbackFailure: unknown) {
    super(`${firstLine(failure)}; rolling the transaction back failed too (${firstLine(rollbackFailure)}), so the connection is no longer used: reopen the destination`,
      { cause: failure });
    this.name = 'RollbackFailedError';
  }
}

/**
 * The connection of a SQL destination, used by one statement sequence (one transaction) at a time: tables in
 * flight queue their work, which is also what DuckDB's single-writer file expects. Work only ever starts on
 * a connection outside any transaction: after a RollbackFailedError every later call fails with it.
 */
export class ConnectionQueue<C> {
  /** Tail of the queue; never rejects. */
  private tail: Promise<unknown> = Promise.resolve();
  private unusable: RollbackFailedError | null = null;

  /** `connection` returns the open connection, or throws saying why there is none. */
  constructor(private readonly connection: () => C) {}

  /** Runs `work` on the connection after all work queued before it; failures do not block later work. */
  run<T>(work: (connection: C) => Promise<T>): Promise<T> {
    const result = this.tail.then(() => {
      if (this.unusable) throw this.unusable;
      return work(this.connection());
    });
    this.tail = result.catch((error: unknown) => {
      if (error instanceof RollbackFailedError) this.unusable ??= error;
    });
    return result;
  }

  /** Resolves once the work queued so far has ended. */
  async idle(): Promise<void> {
    await this.tail;
  }
}

/** Runs SQL text on a connection; the result, if any, is not wanted. */
export type RunSql = (sql: string) => Promise<unknown>;

/**
 * Runs `work` inside BEGIN … COMMIT, rolling back if anything fails, so that the connection is never left
 * inside a failed (aborted) transaction: if the ROLLBACK fails as well, a RollbackFailedError retires the
 * connection. `finalSql` runs with the COMMIT, in the same call (with DuckDB every call is a round trip to
 * its worker thread).
 */
export async function transaction(run: RunSql, work: () => Promise<void>, finalSql?: string): Promise<void> {
  await run('BEGIN TRANSACTION');
  try {
    await work();
    await run(finalSql === undefined ? 'COMMIT' : `${finalSql}; COMMIT`);
  } catch (error) {
    try {
      await run('ROLLBACK');
    } catch (rollbackError) {
      // DuckDB's answer when a failed COMMIT has ended the transaction already (PostgreSQL only warns).
      if (!/no transaction is active/i.test(firstLine(rollbackError))) throw new RollbackFailedError(error, rollbackError);
    }
    throw error;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

// ---------------------------------------------------------------------------------------------------
// Tables of a pass

/** Name of the temporary table a batch passes through on its way to an upsert. */
export function loadName(table: TableDef): string {
  return `_acsync_load_${table.name}`;
}

/** Name of the temporary table a refresh's joined objects are staged in (core/contract.ts `JoinedRefresh`). */
export function refreshName(table: TableDef): string {
  return `_acsync_refresh_${table.name}`;
}

/** Columns with their types, and the key, as one comparable string. */
export function shapeOf(columns: readonly string[], key: readonly string[]): string {
  return `${columns.join(', ')} | key ${key.join(', ')}`;
}

/** The shape acsync writes `table` in, each logical type named as the dialect's catalog names it. */
export function expectedShape(table: TableDef, typeName: (type: LogicalType) => string): string {
  return shapeOf(table.columns.map((c) => `${c.name} ${typeName(c.type)}`), table.primaryKey);
}

/** What preparing a pass needs from a dialect; each runs within the open transaction. */
export interface PassTables {
  /** Where the tables are, for messages. */
  readonly where: string;
  /** The shape of `table` as acsync writes it, comparable with `shape`. */
  readonly expected: string;
  /** The shape of an existing table; null if there is no such table. */
  shape(name: string): Promise<string | null>;
  /** Creates a table with `table`'s columns, key and comments under `name`. */
  create(name: string): Promise<void>;
  drop(name: string): Promise<unknown>;
}

/**
 * Prepares a pass over `table`, in one transaction: creates the live table if missing, refuses an incremental
 * pass into a live table of another shape, and gives a full pass its staging copy, continued only if asked
 * (`resume`) and only if it has the right columns and key. Returns the name the pass's rows go to.
 */
export async function preparePass(run: RunSql, tables: PassTables, table: TableDef, mode: ReplicationMode,
  resume: boolean): Promise<string> {
  const target = mode === 'full' ? stagingName(table) : table.name;
  await transaction(run, async () => {
    const liveShape = await tables.shape(table.name);
    if (liveShape === null) await tables.create(table.name);
    else if (mode === 'incremental' && liveShape !== tables.expected) {
      throw new Error(`table ${table.name} in ${tables.where} does not have the columns and key acsync writes; run it once in full mode to rebuild it`);
    }
    if (mode !== 'full') return;
    const stagingShape = await tables.shape(target);
    if (!(resume && stagingShape === tables.expected)) {
      if (stagingShape !== null) await tables.drop(target);
      await tables.create(target);
    }
  });
  return target;
}

// ---------------------------------------------------------------------------------------------------
// Table writers

/** The parents whose children a batch replaces, as the writers get them. */
export interface ReplacedParents {
  readonly column: string;
  readonly ids: readonly number[];
}

/**
 * The life of a SQL destination's table writer: commits and finish queue on the destination's connection, a
 * finished or aborted writer refuses more work, and abort has nothing to undo (every commit is its own
 * transaction, and the live table is only touched by `finish` (full) or by committed batches (incremental),
 * so the staging copy stays for a resume). A dialect writes the rows and publishes the pass.
 *
 * `R` is a batch's rows as the dialect sends them. They and the state (as JSON text) are built before the work
 * queues: the caller may reuse its row arrays and its state as soon as `commit` returns.
 */
export abstract class SqlTableWriter<C, R> implements TableWriter {
  private closed = false;

  constructor(
    private readonly queue: ConnectionQueue<C>,
    protected readonly table: TableDef,
    protected readonly mode: ReplicationMode,
    /** Where rows go: the staging copy (full) or the live table (incremental). */
    protected readonly target: string,
  ) {}

  /** A batch's rows (one per key, none without a key) in the form `write` sends them; null if there are none. */
  protected abstract encode(rows: readonly TypedRow[]): R | null;

  /** Writes the batch and stores the state (JSON text), in one transaction. */
  protected abstract write(connection: C, rows: R | null, parents: ReplacedParents | null, state: string): Promise<void>;

  /**
   * Publishes the pass (full: the staging copy replaces the live table), refreshes the copied columns if asked
   * (`refreshLive`) and stores the state, in one transaction.
   */
  protected abstract publish(connection: C, state: string, refresh: RefreshPlan | null): Promise<void>;

  /**
   * Creates and fills the temporary table of a refresh's joined objects (`refresh.staged`), within the open
   * transaction; returns its quoted name.
   */
  protected abstract stageRefresh(connection: C, refresh: RefreshPlan): Promise<string>;

  /**
   * Refreshes the copied columns of every row of `live` (quoted, qualified) from the joined objects, within the
   * open transaction: an UPDATE … FROM the staged list, then NULL where the object is gone (./joined-refresh.ts).
   */
  protected async refreshLive(connection: C, run: RunSql, live: string, refresh: RefreshPlan): Promise<void> {
    const staged = await this.stageRefresh(connection, refresh);
    for (const sql of refreshSql(refresh, live, staged)) await run(sql);
    await run(`DROP TABLE ${staged}`);
  }

  async commit(batch: Batch, state: TableState): Promise<void> {
    this.checkOpen();
    const rows = this.encode(latestPerKey(this.table, batch.rows));
    const parents = batch.replaceChildrenOf ? parentsToReplace(this.table, batch.replaceChildrenOf) : null;
    const json = JSON.stringify(state);
    await this.queue.run((connection) => this.write(connection, rows, parents && parents.ids.length > 0 ? parents : null, json));
  }

  async finish(state: TableState, refresh?: JoinedRefresh): Promise<void> {
    this.checkOpen();
    this.closed = true;
    const json = JSON.stringify(state);
    // Checked before anything runs: a refresh that does not fit the table fails the finish as a whole.
    const plan = refresh ? refreshPlan(this.table, refresh, refreshName(this.table)) : null;
    await this.queue.run((connection) => this.publish(connection, json, plan));
  }

  async abort(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`the writer of table ${this.table.name} is already finished or aborted`);
  }
}
