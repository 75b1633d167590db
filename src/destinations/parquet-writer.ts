/**
 * The Parquet lake's table writer: each committed batch becomes a staged Parquet file, and `finish` merges the
 * staged batches (and, incremental, the previous version) into a new version, in the publishing order of
 * ./parquet.ts.
 */
import { mkdirSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ReplicationMode, TableDef } from '../catalog/index.js';
import type { Batch, JoinedRefresh, TableState, TableWriter } from '../core/contract.js';
import { latestPerKey, parentsToReplace } from './batches.js';
import { appendChunks, ChunkBuilder } from './duckdb-chunks.js';
import { refreshPlan, refreshedSelect, staleCondition, type RefreshPlan } from './joined-refresh.js';
import { fsyncPath } from './lake-files.js';
import { batchFile, parentsFile, stagingFolder, stagingRoot } from './lake-layout.js';
import type { Manifest, Staging } from './lake-layout.js';
import type { LakeStore } from './lake-store.js';
import { LOAD_TABLE, LOAD_TABLE_NAME, PARQUET_OPTIONS, loadTableSql, temporaryTableSql, typedLiteral } from './parquet-sql.js';
import { quoteIdentifier, quoteLiteral } from './sql.js';

/** What a table writer needs of its lake; the Parquet destination (./parquet.ts) provides it. */
export interface WriterLake {
  readonly store: LakeStore;
  /** The local path of a lake path. */
  local(path: string): string;
  manifest(table: string): Manifest | undefined;
  /** Rows per file of a version, about. */
  readonly partRows: number;
  /** Writes and publishes a version, one file per query of `parts` (its DuckDB work inside `exclusive`). */
  publishVersion(table: TableDef, connection: DuckDBConnection, version: number, parts: readonly string[], state: TableState | undefined): Promise<Manifest>;
  /** Runs a merge while no other table's runs. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  saveState(table: string, state: TableState, version: number, staging: Staging | null): Promise<void>;
  pruneVersions(table: string): Promise<void>;
  writeViews(): Promise<void>;
}

/**
 * A range of the first key column, one part of a version: its condition (`true` for the whole table) and, for a
 * numeric key, its bounds (lower inclusive, upper exclusive; absent where the range is open).
 */
interface KeyRange {
  readonly condition: string;
  readonly lower?: number;
  readonly upper?: number;
}

/** A version's rows restricted to a range of the first key column. */
type RangedSelect = (range: KeyRange) => string;

/** The least and greatest first-key value of a Parquet file, from its footer's statistics. */
interface KeyBounds {
  readonly min: number;
  readonly max: number;
}

/** A query of a version's rows and, for splitting it, one of the first key column's values over all its sources. */
interface Merge {
  readonly select: RangedSelect;
  readonly firstKeys: string;
}

/** How many first-key values the split into parts samples: plenty for even parts, few enough to hold. */
const RANGE_SAMPLE_ROWS = 20_000;

/** The temporary table a refresh's joined objects are staged in (one per writer's connection). */
const REFRESH_TABLE_NAME = '_acsync_refresh';

export class ParquetTableWriter implements TableWriter {
  private closed = false;
  private readonly chunkBuilder: ChunkBuilder;
  /** Tail of this writer's work: commits and finish run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly destination: WriterLake,
    private readonly table: TableDef,
    private readonly mode: ReplicationMode,
    /** This writer's own connection, holding its load table. */
    private readonly connection: DuckDBConnection,
    private staging: Staging,
    /** The published version the pass started from. */
    private readonly version: number,
  ) {
    this.chunkBuilder = new ChunkBuilder(table, 'TIMESTAMPTZ');
  }

  async commit(batch: Batch, state: TableState): Promise<void> {
    this.checkOpen();
    // Chunks are built before queueing: the caller may reuse its row arrays as soon as this returns.
    const chunks = this.chunkBuilder.chunks(latestPerKey(this.table, batch.rows));
    const parents = this.replacedParents(batch.replaceChildrenOf);
    return this.serial(async () => {
      const { table, staging, destination } = this;
      if (chunks.length === 0 && parents === null) {
        // Nothing to stage: only the stream position moves on.
        await destination.saveState(table.name, state, this.version, staging);
        return;
      }
      const n = staging.batches + 1;
      mkdirSync(destination.local(stagingFolder(table.name, staging.id)), { recursive: true });
      const files = [batchFile(table.name, staging.id, n)];
      if (parents) files.push(parentsFile(table.name, staging.id, n));
      // Not `exclusive`: a batch is small, and other tables' streams keep committing while one table merges.
      await appendChunks(this.connection, LOAD_TABLE_NAME, chunks);
      try {
        await this.connection.run(`COPY ${LOAD_TABLE} TO ${quoteLiteral(destination.local(files[0]!))} ${PARQUET_OPTIONS}`);
      } finally {
        // Replaced, not emptied: DuckDB keeps a table's deleted rows (and their memory) until it is dropped.
        await this.connection.run(loadTableSql(table));
      }
      if (parents) {
        // Ids are finite numbers, so they are written as numeric literals: no quoting question arises.
        await this.connection.run(
          `COPY (SELECT unnest([${parents.ids.join(', ')}]::DOUBLE[]) AS parent) TO ${quoteLiteral(destination.local(files[1]!))} ${PARQUET_OPTIONS}`,
        );
      }
      for (const file of files) fsyncPath(destination.local(file));
      fsyncPath(destination.local(stagingFolder(table.name, staging.id)));
      await destination.store.publish(files);
      const next: Staging = { ...staging, batches: n, ...(parents && { replaceColumn: parents.column }) };
      // The batch counts from here on: the state file naming it is the commit.
      await destination.saveState(table.name, state, this.version, next);
      this.staging = next;
    });
  }

  async finish(state: TableState, refresh?: JoinedRefresh): Promise<void> {
    this.checkOpen();
    this.closed = true;
    // Checked before anything runs: a refresh that does not fit the table fails the finish as a whole.
    const plan = refresh ? refreshPlan(this.table, refresh, REFRESH_TABLE_NAME) : null;
    return this.serial(async () => {
      try {
        await this.publish(state, plan);
      } finally {
        this.connection.closeSync();
      }
    });
  }

  async abort(): Promise<void> {
    // Nothing of this pass is published before `finish`; the staged batches stay for a resume.
    if (this.closed) return;
    this.closed = true;
    await this.serial(async () => this.connection.closeSync()).catch(() => undefined);
  }

  private async publish(state: TableState, refresh: RefreshPlan | null): Promise<void> {
    const { table, staging, destination } = this;
    const previous = destination.manifest(table.name);
    if (!previous) throw new Error(`table ${table.name} has no published version in ${destination.store.location}`);
    let version = previous.version;
    // An incremental pass that staged nothing leaves the rows as they are, unless a refresh changes some.
    let merge = this.mode === 'full' || staging.batches > 0 ? await this.mergeSql(previous) : null;
    if (refresh) {
      const staged = await this.stageRefresh(refresh);
      if (merge === null) {
        const files = await this.previousFiles(previous);
        const bounds = await this.firstKeyBounds(files);
        const current = this.filesSql(files);
        if (await this.anyStale(refresh, current, staged)) {
          merge = {
            select: (range) => `SELECT * FROM (${this.filesSql(overlapping(files, bounds, range))}) WHERE ${range.condition}`,
            firstKeys: `SELECT ${this.firstKey} FROM (${current})`,
          };
        }
      }
      // The new version takes the refreshed values: the batches' rows and those it keeps alike.
      if (merge !== null) {
        const { select } = merge;
        merge = { ...merge, select: (range) => refreshedSelect(refresh, table, select(range), staged) };
      }
    }
    if (merge !== null) {
      version = previous.version + 1;
      const ranges = await this.keyRanges(merge.firstKeys);
      await destination.publishVersion(table, this.connection, version, ranges.map(merge.select), state);
    }
    await destination.saveState(table.name, state, version, null);
    await destination.store.removeFolder(stagingRoot(table.name));
    await destination.pruneVersions(table.name);
    await destination.writeViews();
  }

  /** The first key column, quoted: a version's parts are ranges of it. */
  private get firstKey(): string {
    return quoteIdentifier(this.table.primaryKey[0]!);
  }

  /**
   * Ranges of the first key column that split the rows `firstKeys` lists into parts of about `partRows` rows:
   * half-open ranges between boundaries taken from a sample, together covering every value once (keys are never
   * NULL: rows without one are dropped before staging). All rows of one first-key value fall in one range.
   */
  private async keyRanges(firstKeys: string): Promise<KeyRange[]> {
    const { destination, table, firstKey } = this;
    const boundaries = await destination.exclusive(async () => {
      // Counted with the superseded rows of keys that several sources hold: the parts only come out smaller.
      const counted = await this.connection.runAndReadAll(`SELECT count(*) FROM (${firstKeys})`);
      const parts = Math.ceil(Number(counted.getRows()[0]?.[0] ?? 0) / destination.partRows);
      if (parts <= 1) return [];
      const fractions = Array.from({ length: parts - 1 }, (_, i) => (i + 1) / parts);
      const reader = await this.connection.runAndReadAll(`SELECT CAST(b AS VARCHAR) FROM (
        SELECT DISTINCT b FROM (SELECT unnest(quantile_disc(k, [${fractions.join(', ')}])) AS b
          FROM (SELECT ${firstKey} AS k FROM (${firstKeys}) USING SAMPLE reservoir(${RANGE_SAMPLE_ROWS} ROWS) REPEATABLE (1)))
      ) ORDER BY b`);
      return reader.getRows().map(([value]) => ({
        literal: typedLiteral(table, table.primaryKey[0]!, String(value)),
        value: this.numericKey ? Number(value) : undefined,
      }));
    });
    if (boundaries.length === 0) return [{ condition: 'true' }];
    const last = boundaries[boundaries.length - 1]!;
    return [
      { condition: `${firstKey} < ${boundaries[0]!.literal}`, ...bound('upper', boundaries[0]!.value) },
      ...boundaries.slice(1).map((upper, i) => ({
        condition: `${firstKey} >= ${boundaries[i]!.literal} AND ${firstKey} < ${upper.literal}`,
        ...bound('lower', boundaries[i]!.value), ...bound('upper', upper.value),
      })),
      { condition: `${firstKey} >= ${last.literal}`, ...bound('lower', last.value) },
    ];
  }

  /** Whether the first key column is numeric: only then are files left out of a part by their key statistics. */
  private get numericKey(): boolean {
    return this.table.columns.find((c) => c.name === this.table.primaryKey[0])?.type === 'float';
  }

  /**
   * The least and greatest first-key value of each of `files` (local paths) that has them, read from the Parquet
   * footers in one query, so that a part reads only the files its range overlaps. A part that read every staged
   * batch held memory outside DuckDB's pool (so beyond memory_limit) and took time, both growing with the number of
   * files: a million contacts staged in 2,000 files, merged in 40 parts, peaked at 281 MB in 70 s, and now at 227 MB
   * in 29 s (`node --import tsx bench/parquet-merge-memory.ts 1000000 500`).
   */
  private async firstKeyBounds(files: readonly string[]): Promise<Map<string, KeyBounds>> {
    const bounds = new Map<string, KeyBounds>();
    if (!this.numericKey || files.length === 0) return bounds;
    const column = quoteLiteral(this.table.primaryKey[0]!);
    const reader = await this.destination.exclusive(() => this.connection.runAndReadAll(
      `SELECT file_name, min(TRY_CAST(stats_min_value AS DOUBLE)), max(TRY_CAST(stats_max_value AS DOUBLE))
       FROM parquet_metadata(${pathList(files)}) WHERE path_in_schema = ${column} GROUP BY file_name`));
    for (const [file, min, max] of reader.getRows()) {
      // A file without statistics (an empty batch) stays in every part.
      if (typeof min === 'number' && typeof max === 'number') bounds.set(String(file), { min, max });
    }
    return bounds;
  }

  /**
   * The new version as one query over files, for any range of the first key column. Each row carries the number
   * of the batch it came from (0: the previous version, incremental only); the latest row of each key wins; a row
   * is then dropped if a later batch replaced its parent's children. That is what applying the batches one after
   * the other would give. A range keeps every row of its keys, so it merges alone.
   */
  private async mergeSql(previous: Manifest): Promise<Merge> {
    const { table, staging, destination, firstKey } = this;
    const columns = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const key = table.primaryKey.map(quoteIdentifier).join(', ');
    // The file name column gets a name no catalog column (an API key) can have.
    const numberOf = (prefix: string) => `CAST(regexp_extract(_acsync_file, '${prefix}-(\\d+)\\.parquet$', 1) AS INTEGER)`;

    // Each source as (columns to select, its files (local paths), FROM clause over some of them); filtered by the
    // range inside, where DuckDB reads the files. A part reads only the files its range overlaps (`firstKeyBounds`).
    type Source = [string, readonly string[], (files: readonly string[]) => string];
    const sources: Source[] = [[`${columns}, 0 AS _acsync_batch`, [], () => `${LOAD_TABLE} WHERE false AND`]];
    if (this.mode === 'incremental') {
      sources.push(['*, 0 AS _acsync_batch', await this.previousFiles(previous), (files) => `(${this.filesSql(files)}) WHERE`]);
    }
    const batches = Array.from({ length: staging.batches }, (_, i) => destination.local(batchFile(table.name, staging.id, i + 1)));
    if (batches.length > 0) {
      sources.push([`${columns}, ${numberOf('batch')} AS _acsync_batch`, batches,
        (files) => `read_parquet(${pathList(files)}, filename = '_acsync_file') WHERE`]);
    }
    const bounds = await this.firstKeyBounds(sources.flatMap(([, files]) => files));
    const firstKeys = sources.map(([, files, from]) => `SELECT ${firstKey} FROM ${from(files)} true`).join(' UNION ALL ');
    const latest = (range: KeyRange) => {
      const parts = sources.flatMap(([select, files, from]) => {
        const read = overlapping(files, bounds, range);
        // The load table's empty source has no files and always stays: the union is never empty.
        return files.length > 0 && read.length === 0 ? [] : [`SELECT ${select} FROM ${from(read)} ${range.condition}`];
      });
      return `SELECT * FROM (${parts.join(' UNION ALL ')})
      QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY _acsync_batch DESC) = 1`;
    };

    const stagedNames = new Set(await destination.store.list(stagingFolder(table.name, staging.id)));
    const parents: string[] = [];
    for (let n = 1; n <= staging.batches; n++) {
      const file = parentsFile(table.name, staging.id, n);
      if (stagedNames.has(file.slice(file.lastIndexOf('/') + 1))) parents.push(destination.local(file));
    }
    if (parents.length === 0 || !staging.replaceColumn) {
      return { firstKeys, select: (range) => `SELECT ${columns} FROM (${latest(range)}) ORDER BY ${key}` };
    }
    const qualified = table.columns.map((c) => `latest.${quoteIdentifier(c.name)}`).join(', ');
    const replaceColumn = quoteIdentifier(staging.replaceColumn);
    // Only the parents of this part's rows are grouped: grouping every listed parent (a million contacts) for each
    // part held a hash table of all of them, the largest thing a merge held at a million contacts.
    const replaced = `SELECT parent, max(${numberOf('parents')}) AS replaced_in FROM read_parquet(${pathList(parents)}, filename = '_acsync_file')
      WHERE parent IN (SELECT ${replaceColumn} FROM latest) GROUP BY parent`;
    return {
      firstKeys,
      select: (range) => `WITH latest AS MATERIALIZED (${latest(range)})
        SELECT ${qualified} FROM latest LEFT JOIN (${replaced}) AS replaced
        ON latest.${replaceColumn} = replaced.parent
        WHERE replaced.replaced_in IS NULL OR replaced.replaced_in <= latest._acsync_batch
        ORDER BY ${table.primaryKey.map((k) => `latest.${quoteIdentifier(k)}`).join(', ')}`,
    };
  }

  /** The local paths of the published version `previous`'s files, fetched first. */
  private async previousFiles(previous: Manifest): Promise<string[]> {
    const { table, destination } = this;
    const files = previous.files.map((file) => `${table.name}/${file}`);
    for (const file of files) await destination.store.fetch(file);
    return files.map((file) => destination.local(file));
  }

  /** The rows of some files of a published version (local paths), in catalog column order. */
  private filesSql(files: readonly string[]): string {
    const columns = this.table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    // No file at all: the version's columns, without rows.
    if (files.length === 0) return `SELECT ${columns} FROM ${LOAD_TABLE} WHERE false`;
    return `SELECT ${columns} FROM read_parquet(${pathList(files)})`;
  }

  /** Stages a refresh's joined objects in a temporary table of this writer's connection; returns its quoted name. */
  private async stageRefresh(refresh: RefreshPlan): Promise<string> {
    const { staged } = refresh;
    const chunks = new ChunkBuilder(staged, 'TIMESTAMPTZ').chunks(refresh.rows);
    await this.destination.exclusive(async () => {
      await this.connection.run(temporaryTableSql(staged, staged.name));
      await appendChunks(this.connection, staged.name, chunks);
    });
    return quoteIdentifier(staged.name);
  }

  /** Whether a row of `source` has copied columns other than the refresh says: only then is a version written. */
  private async anyStale(refresh: RefreshPlan, source: string, staged: string): Promise<boolean> {
    const on = quoteIdentifier(refresh.on);
    const reader = await this.destination.exclusive(() => this.connection.runAndReadAll(
      `SELECT EXISTS (SELECT 1 FROM (${source}) AS t LEFT JOIN ${staged} AS r ON t.${on} = r.${on} WHERE ${staleCondition(refresh, 't', 'r')})`));
    return reader.getRows()[0]?.[0] === true;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`the writer of table ${this.table.name} is already finished or aborted`);
  }

  private replacedParents(parents: Batch['replaceChildrenOf']): { column: string; ids: number[] } | null {
    if (!parents) return null;
    const replaced = parentsToReplace(this.table, parents);
    const replaceColumn = this.staging.replaceColumn;
    if (replaceColumn !== undefined && replaceColumn !== parents.column) {
      throw new Error(`table ${this.table.name}: a pass replaces children by one column, not by both ${replaceColumn} and ${parents.column}`);
    }
    return replaced.ids.length === 0 ? null : replaced;
  }
}

/** `value` as the `side` bound of a range, or nothing when it is not known. */
function bound(side: 'lower' | 'upper', value: number | undefined): { lower?: number; upper?: number } {
  return value === undefined ? {} : { [side]: value };
}

/** Those of `files` that may hold a first-key value in `range`: all but those whose statistics say they hold none. */
function overlapping(files: readonly string[], bounds: ReadonlyMap<string, KeyBounds>, range: KeyRange): readonly string[] {
  return files.filter((file) => {
    const known = bounds.get(file);
    if (!known) return true;
    return (range.lower === undefined || known.max >= range.lower) && (range.upper === undefined || known.min < range.upper);
  });
}

/** Local file paths as a DuckDB list literal, for read_parquet and parquet_metadata. */
function pathList(paths: readonly string[]): string {
  return `[${paths.map(quoteLiteral).join(', ')}]`;
}
