/**
 * The one contract every destination implements. The engine only ever talks to these interfaces: it does
 * not know whether it writes to DuckDB, PostgreSQL or a Parquet lake.
 *
 * Life of a table within a run:
 *   beginTable → commit(batch, state) … → finish(state[, refresh])   (or abort(): nothing of this run's staging is published)
 *
 * Guarantees a destination gives:
 * - `commit` is atomic: the batch's rows and the table's state are durable together, or neither is.
 * - `full` mode writes into a staging copy that survives a crash (so a resumed run continues filling it);
 *   `finish` replaces the live table with it in one transaction, so readers never see half a table and a
 *   failed run leaves the previous copy intact.
 * - `incremental` mode upserts straight into the live table by primary key.
 * - Writing the same row twice (a page re-read after a crash) never duplicates it: staging and live tables
 *   are keyed by the table's primary key and rows are upserted.
 */
import type { ReplicationMode, TableDef } from '../catalog/index.js';

/**
 * A value typed to its column's logical type (engine/typing.ts):
 * float → number, text → string, boolean → boolean, date → number (days since 1970-01-01),
 * timestamp → bigint (microseconds since 1970-01-01T00:00:00Z), and null for NULL.
 */
export type TypedValue = number | string | boolean | bigint | null;

/** One row: values in the catalog's column order. */
export type TypedRow = TypedValue[];

export interface Batch {
  readonly rows: readonly TypedRow[];
  /**
   * Incremental child tables only: the parents whose child rows this batch replaces. Existing rows whose
   * `column` is one of `ids` are deleted before the batch's rows are upserted, in the same transaction.
   */
  readonly replaceChildrenOf?: { readonly column: string; readonly ids: readonly number[] };
}

/**
 * What acsync remembers about a table between runs and between batches. Opaque to destinations: they
 * store it as JSON next to the rows, in `_acsync_state`, committed with them.
 */
export interface TableState {
  /** Mode of the last completed pass, or of the pass in progress. */
  mode: ReplicationMode;
  /** The account the copy belongs to (engine/run.ts `accountId`): a destination holds one account. */
  account?: string;
  /** Incremental cursor: largest cursor value committed, ISO-8601 UTC. */
  cursor?: string;
  /** When the last full pass completed (ISO-8601 UTC): drives the periodic full refresh. */
  lastFullAt?: string;
  /**
   * Tables read per changed parent: the parents the last pass listed whose date still falls inside the margin
   * before the cursor, by id, with that date as the API wrote it; the next pass skips one whose date is unchanged.
   */
  listedParents?: Record<string, string>;
  /** A pass in progress: where to resume. Absent when the table is at rest. */
  inProgress?: {
    runId: string;
    mode: ReplicationMode;
    /** The stream (endpoint and parameters) the position belongs to: a position is only valid in its stream. */
    stream: string;
    /** Stream position after the last committed batch (endpoint-specific: offset, last id, parent index). */
    position: StreamPosition;
    /** Incremental: the filter value the pass was started with, and the largest cursor seen so far. */
    since?: string;
    maxCursor?: string;
    /**
     * Tables read per changed parent: when the pass first began (ISO UTC), kept across resumes; its end makes it the
     * cursor, as parents changed after it may have been listed before they changed (engine/per-parent.ts).
     */
    passStartedAt?: string;
  };
}

export interface StreamPosition {
  /** Offset paging: rows already consumed. Keyset paging: the last id consumed. */
  readonly offset?: number;
  readonly lastId?: number;
  /** Per-parent streams: index of the parent being read, and the position inside it. */
  readonly parentIndex?: number;
  /** Rows of the stream consumed so far (for progress). */
  readonly rows?: number;
}

export interface RunRecord {
  readonly runId: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** `running`, `success`, `partial` (some tables skipped or failed), `failed`, `interrupted` (stopped; the next run resumes). */
  readonly status: 'running' | 'success' | 'partial' | 'failed' | 'interrupted';
  readonly tables: readonly RunTableRecord[];
}

export interface RunTableRecord {
  readonly table: string;
  readonly mode: ReplicationMode;
  /** `interrupted`: the run was stopped (Ctrl-C, SIGTERM); the table resumes from its last committed batch. */
  readonly status: 'success' | 'skipped' | 'failed' | 'interrupted';
  readonly rows: number;
  readonly requests: number;
  readonly conversionErrors: number;
  readonly error?: string;
  /** `skipped` because its refresh interval has not passed (not a problem): when it falls due, ISO UTC. */
  readonly notDueUntil?: string;
}

/**
 * Columns a table copies from a joined object (catalog `joined`: contacts_tags copies its tag), refreshed on
 * every row of the table, the rows this pass did not write included: an incremental pass re-reads only the
 * changed parents' rows, while the joined objects change on their own (a tag renamed, its subscriber count).
 */
export interface JoinedRefresh {
  /** The table's column holding the joined object's id (contacts_tags: `tag_id`). */
  readonly on: string;
  /** The copied columns, by name. */
  readonly columns: readonly string[];
  /**
   * Every joined object that exists: its id, then one value per `columns` entry, typed to those columns. A row
   * whose `on` value is none of these ids (the object was deleted) gets NULL in `columns`. The caller does not
   * reuse these arrays.
   */
  readonly rows: readonly TypedRow[];
}

export interface TableWriter {
  commit(batch: Batch, state: TableState): Promise<void>;
  /**
   * Publishes the pass (full: swap staging in) and stores the final state, in one transaction. With `refresh`,
   * the published table's copied columns are refreshed in that same transaction (or version), after the pass's
   * rows are in; if it cannot be applied, nothing of the finish is published. The message sinks of Singer and
   * Airbyte cannot express it and ignore it (docs/deviations.md).
   */
  finish(state: TableState, refresh?: JoinedRefresh): Promise<void>;
  /** Leaves the live table as it was; the staging copy is kept for a later resume. */
  abort(): Promise<void>;
}

export interface OpenOptions {
  readonly onWait?: (message: string) => void;
}

export interface Destination {
  /** A description safe to print (no password). */
  readonly description: string;
  /**
   * Connects, checks it can write, creates `_acsync_state` and `_acsync_runs` if missing. A destination that waits
   * (for another process to let go of a file, say) tells `onWait` why, and for how long at most.
   */
  open(options?: OpenOptions): Promise<void>;
  close(): Promise<void>;
  readState(): Promise<Map<string, TableState>>;
  /**
   * Starts a pass over `table`. `resume` true: continue the staging copy a crashed run left (full mode);
   * false: start a fresh staging copy. Creates the live table if missing.
   */
  beginTable(table: TableDef, mode: ReplicationMode, resume: boolean): Promise<TableWriter>;
  /** Inserts or updates the run's row in `_acsync_runs`. */
  recordRun(run: RunRecord): Promise<void>;
}
