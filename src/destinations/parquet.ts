/**
 * The Parquet data lake: one folder per table holding immutable versions of the table as Parquet files,
 * written by an embedded in-memory DuckDB, on a local directory or (through ./s3.ts) an S3 bucket. Where each file lives:
 * ./lake-layout.ts; the table writer: ./parquet-writer.ts.
 *
 * Both modes stage their batches and build a new version in `finish` (full: the batches alone; incremental:
 * the previous version with the batches applied), so readers only ever see whole versions. Unlike the SQL
 * destinations, an incremental pass's rows thus appear at `finish`, not per commit (Parquet files cannot be
 * upserted in place); an interrupted incremental pass resumes from its staged batches. DuckDB merges
 * the files itself (read_parquet … COPY TO), one table at a time, within LAKE_DUCKDB_SETTINGS.memory_limit; a table
 * larger than DEFAULT_PART_ROWS one range of its first key column at a time, each range into its own file.
 * A batch counts once the state file naming it has been renamed into place; batch files beyond that number
 * are leftovers of a crash, ignored and removed when the pass resumes.
 *
 * Publishing order in `finish`, and what a crash at each step leaves behind:
 *   1. the new version's files are all written and fsynced under v<N+1>/, which nothing references yet. A crash
 *      leaves an unreferenced folder: the table still reads as version N, the state still names the staged
 *      batches, so the pass resumes and the next `finish` rewrites v<N+1>/.
 *   2. _current.json is replaced by an atomic rename (on S3: uploaded after the data files). This is the
 *      commit point. The manifest also carries the table's final state.
 *   3. the state file is replaced (no staging, version N+1). A crash between 2 and 3 leaves a state file that
 *      names version N and the finished pass's staging; since the manifest is newer, readState returns the
 *      manifest's state (the pass is complete, nothing to resume) and beginTable discards that staging. So the
 *      state readers get always matches the published version, whatever the moment of the crash.
 *   4. the staging folder, versions beyond the keep count and views.sql are cleaned up or rewritten: all
 *      idempotent, and redone by the next pass if a crash interrupts them.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ConfigError } from '../core/errors.js';
import { TABLES } from '../catalog/index.js';
import type { ReplicationMode, TableDef } from '../catalog/index.js';
import { quoteLiteral } from './sql.js';
import type { Destination, RunRecord, TableState, TableWriter } from '../core/contract.js';
import { fsyncPath, localPath, writeFileAtomic } from './lake-files.js';
import {
  PARQUET_TYPES, RUNS_FOLDER, SPILL_FOLDER, STAGED_FILE, STATE_FOLDER, VERSION_FOLDER, VIEWS_FILE, batchFile,
  manifestPath, manifestShape, partFile, publishedState, stagingFolder, stagingRoot, statePath, tableShape, versionFolder,
} from './lake-layout.js';
import type { Manifest, Staging, StoredState } from './lake-layout.js';
import type { LakeStore } from './lake-store.js';
import { declareLogicalTypes } from './parquet-footer.js';
import { LOAD_TABLE, PARQUET_OPTIONS, lakeViewSql, loadTableSql } from './parquet-sql.js';
import { ParquetTableWriter } from './parquet-writer.js';

/**
 * The embedded DuckDB's settings (reference: duckdb.org/docs/configuration/overview, duckdb_settings()).
 * - memory_limit: the buffer pool of the one merge that runs at a time (`exclusive`); beyond it a merge spills to
 *   the spill folder, though a merge's sort and window do not spill reliably, so the limit must hold one part
 *   (DEFAULT_PART_ROWS). A million contacts (generated, 100 batches) merged in parts of 25k rows fit in 96 MB, full and
 *   incremental (DuckDB then holds up to about 77 MB), and fail at 64 MB; merged whole, they fail even at 256 MB.
 * - allocator_*: this libduckdb uses glibc's malloc, which keeps what DuckDB frees; at these thresholds DuckDB
 *   returns it to the system (malloc_trim) after each task and each large release, so RSS follows what DuckDB
 *   holds now rather than the most it ever held.
 * - enable_external_file_cache: DuckDB would keep the Parquet files it reads, growing with the tables; a merge
 *   reads each file once, so the cache saves nothing.
 */
export const LAKE_DUCKDB_SETTINGS: Readonly<Record<string, string>> = {
  memory_limit: '96MB',
  allocator_flush_threshold: '1MB',
  allocator_bulk_deallocation_flush_threshold: '1MB',
  enable_external_file_cache: 'false',
};

/**
 * Rows per Parquet file of a version, about: a larger table is merged one range of its first key column at a time,
 * each range into its own file, so a merge's memory follows this rather than the table (see `publishVersion`).
 * Smaller parts need less memory but cost time: each part's merge scans the staged batches again (a million
 * contacts: 40k rows a part need 128 MB, 25k 96 MB, 10k take twice as long). ACSYNC_LAKE_PART_ROWS overrides it
 * (tests lower it to split small tables).
 */
export const DEFAULT_PART_ROWS = 25_000;

/** Versions kept per table unless the URI says otherwise (`?keep=`). */
export const DEFAULT_KEEP_VERSIONS = 3;

export interface ParquetDestinationOptions {
  readonly store: LakeStore;
  /** Versions kept per table, the current one included (at least 1). */
  readonly keep?: number;
  /** Rows per file of a version, about (DEFAULT_PART_ROWS unless ACSYNC_LAKE_PART_ROWS says otherwise). */
  readonly partRows?: number;
  readonly description?: string;
}

export class ParquetDestination implements Destination {
  readonly description: string;
  readonly store: LakeStore;
  readonly keep: number;
  readonly partRows: number;
  private instance: DuckDBInstance | null = null;
  /**
   * DuckDB spills here when a merge outgrows its memory: inside the lake's (or cache's) `_acsync`, on the
   * same disk as the data rather than a temp directory that may live in RAM. Emptied on open and close.
   */
  private spillDirectory: string | null = null;
  /** The published manifest of every table, loaded on open and kept current by this (the only) writer. */
  private manifests = new Map<string, Manifest>();
  /** Tail of the views.sql rewrites: tables finishing together write it one after the other. */
  private viewsQueue: Promise<unknown> = Promise.resolve();
  /** Tail of the DuckDB work of all tables: see `exclusive`. */
  private duckdbQueue: Promise<unknown> = Promise.resolve();

  constructor(options: ParquetDestinationOptions) {
    this.store = options.store;
    this.keep = options.keep ?? DEFAULT_KEEP_VERSIONS;
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new ConfigError(`keep must be a whole number of versions, at least 1 (got ${this.keep})`);
    this.partRows = options.partRows ?? (Number(process.env.ACSYNC_LAKE_PART_ROWS) || DEFAULT_PART_ROWS);
    if (!Number.isInteger(this.partRows) || this.partRows < 1) throw new ConfigError(`partRows must be a whole number of rows, at least 1 (got ${this.partRows})`);
    this.description = options.description ?? `Parquet lake ${this.store.location}`;
  }

  async open(): Promise<void> {
    if (this.instance) return;
    await this.store.open();
    try {
      this.manifests = new Map();
      const manifests = await Promise.all(TABLES.map((table) => this.readJson<Manifest>(manifestPath(table.name))));
      for (const manifest of manifests) if (manifest) this.manifests.set(manifest.table, manifest);
      this.spillDirectory = localPath(this.store.root, SPILL_FOLDER);
      rmSync(this.spillDirectory, { recursive: true, force: true });
      mkdirSync(this.spillDirectory, { recursive: true });
      this.instance = await DuckDBInstance.create(':memory:', { temp_directory: this.spillDirectory, ...LAKE_DUCKDB_SETTINGS });
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.viewsQueue.catch(() => undefined);
    this.instance?.closeSync();
    this.instance = null;
    if (this.spillDirectory) rmSync(this.spillDirectory, { recursive: true, force: true });
    this.spillDirectory = null;
    await this.store.close();
  }

  async readState(): Promise<Map<string, TableState>> {
    this.checkOpen();
    const names = new Set<string>();
    for (const name of await this.store.list(STATE_FOLDER)) if (name.endsWith('.json')) names.add(name.slice(0, -'.json'.length));
    for (const manifest of this.manifests.values()) if (manifest.state) names.add(manifest.table);
    const tables = TABLES.filter((table) => names.has(table.name));
    // In parallel: on S3 each is a request.
    const stored = await Promise.all(tables.map((table) => this.readStoredState(table.name)));
    const states = new Map<string, TableState>();
    tables.forEach((table, index) => {
      const state = this.currentState(table.name, stored[index] ?? null);
      if (state) states.set(table.name, state);
    });
    return states;
  }

  async recordRun(run: RunRecord): Promise<void> {
    this.checkOpen();
    if (!/^[\w.-]+$/.test(run.runId)) throw new Error(`run id ${JSON.stringify(run.runId)} cannot name a file`);
    const path = `${RUNS_FOLDER}/${run.runId}.json`;
    this.writeLocal(path, `${JSON.stringify({
      runId: run.runId, startedAt: run.startedAt, endedAt: run.endedAt, status: run.status, tables: run.tables,
    }, null, 2)}\n`);
    await this.store.publish([path]);
  }

  async beginTable(table: TableDef, mode: ReplicationMode, resume: boolean): Promise<TableWriter> {
    const instance = this.checkOpen();
    const stored = await this.readStoredState(table.name);
    let manifest = this.manifests.get(table.name);
    if (manifest && mode === 'incremental' && manifestShape(manifest) !== tableShape(table)) {
      throw new Error(`table ${table.name} in ${this.store.location} does not have the columns and key acsync writes; run it once in full mode to rebuild it`);
    }
    const connection = await instance.connect();
    try {
      await connection.run(loadTableSql(table));
      if (!manifest) {
        // The table exists from its first pass on, empty until a pass publishes rows.
        manifest = await this.publishVersion(table, connection, 1, [`SELECT * FROM ${LOAD_TABLE}`], undefined);
        await this.writeViews();
      }
      const version = manifest.version;
      const current = stored?.staging && stored.version === version ? stored.staging : null;
      let staging: Staging;
      if (resume && current && current.mode === mode && current.shape === tableShape(table)) {
        staging = current;
        await this.removeOtherStaging(table.name, staging.id);
        await this.removeLeftovers(table.name, staging);
        for (let n = 1; n <= staging.batches; n++) await this.store.fetch(batchFile(table.name, staging.id, n));
        for (const name of await this.store.list(stagingFolder(table.name, staging.id))) {
          if (name.startsWith('parents-')) await this.store.fetch(`${stagingFolder(table.name, staging.id)}/${name}`);
        }
      } else {
        await this.store.removeFolder(stagingRoot(table.name));
        if (stored && (stored.staging || stored.version !== version)) {
          // The stored state must not promise a staged pass that is gone (a later resume would skip its rows).
          const state = this.currentState(table.name, stored);
          if (state) await this.saveState(table.name, withoutProgress(state), version, null);
        }
        staging = { id: `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`, mode, shape: tableShape(table), batches: 0 };
      }
      return new ParquetTableWriter(this, table, mode, connection, staging, version);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  /** What the embedded DuckDB holds now, in bytes per tag of duckdb_memory() (in_memory_table, order_by, …). */
  async duckdbMemory(): Promise<Map<string, number>> {
    const connection = await this.checkOpen().connect();
    try {
      const reader = await connection.runAndReadAll('SELECT lower(tag), memory_usage_bytes FROM duckdb_memory()');
      return new Map(reader.getRows().map(([tag, bytes]) => [String(tag), Number(bytes)]));
    } finally {
      connection.closeSync();
    }
  }

  // ----- for the table writers ---------------------------------------------------------------------

  /**
   * Runs one table's merge while no other table's runs: what DuckDB holds at once, and so the process's memory,
   * is then one merge (and a few batches), however many tables finish together.
   */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.duckdbQueue.then(work);
    this.duckdbQueue = result.catch(() => undefined);
    return result;
  }

  /** Absolute local path of a lake path. */
  local(path: string): string {
    return localPath(this.store.root, path);
  }

  manifest(table: string): Manifest | undefined {
    return this.manifests.get(table);
  }

  /**
   * Writes a version of `table` into v<version>/, one file per query of `parts` (each sorted by key, the parts in
   * key order, no row in two), then publishes it with its manifest (steps 1 and 2 of the order at the top of this
   * file): the manifest names the files only once all of them are written and fsynced.
   */
  async publishVersion(table: TableDef, connection: DuckDBConnection, version: number, parts: readonly string[],
    state: TableState | undefined): Promise<Manifest> {
    const folder = versionFolder(table.name, version);
    // Whatever a crashed attempt left in this unpublished folder goes first.
    await this.store.removeFolder(folder);
    mkdirSync(this.local(folder), { recursive: true });
    const files = parts.map((_, index) => `${folder}/${partFile(index)}`);
    let rows = 0;
    // Part after part, each its own COPY: DuckDB holds one part's merge at a time.
    await this.exclusive(async () => {
      for (const [index, select] of parts.entries()) {
        const file = this.local(files[index]!);
        rows += (await connection.run(`COPY (${select}) TO ${quoteLiteral(file)} ${PARQUET_OPTIONS}`)).rowsChanged;
      }
    });
    for (const file of files) {
      declareLogicalTypes(this.local(file));
      fsyncPath(this.local(file));
    }
    fsyncPath(this.local(folder));
    await this.store.publish(files);
    const manifest: Manifest = {
      table: table.name,
      version,
      files: files.map((file) => file.slice(table.name.length + 1)),
      rows,
      schema: table.columns.map((c) => ({ name: c.name, type: c.type, parquet: PARQUET_TYPES[c.type] })),
      primaryKey: [...table.primaryKey],
      publishedAt: new Date().toISOString(),
      ...(state && { state }),
    };
    this.writeLocal(manifestPath(table.name), `${JSON.stringify(manifest, null, 2)}\n`);
    await this.store.publish([manifestPath(table.name)]);
    this.manifests.set(table.name, manifest);
    return manifest;
  }

  async saveState(table: string, state: TableState, version: number, staging: Staging | null): Promise<void> {
    const stored: StoredState = { table, state, updatedAt: new Date().toISOString(), version, staging };
    this.writeLocal(statePath(table), `${JSON.stringify(stored)}\n`);
    await this.store.publish([statePath(table)]);
  }

  /** Removes versions older than the keep count (and unpublished ones left by a crash). */
  async pruneVersions(table: string): Promise<void> {
    const current = this.manifests.get(table)?.version;
    if (current === undefined) return;
    for (const name of await this.store.list(table)) {
      const match = VERSION_FOLDER.exec(name);
      if (!match) continue;
      const version = Number(match[1]);
      if (version > current - this.keep && version <= current) continue;
      await this.store.removeFolder(`${table}/${name}`);
    }
  }

  /** Rewrites views.sql from the current manifests. */
  writeViews(): Promise<void> {
    const write = this.viewsQueue.then(async () => {
      const lines = [
        '-- acsync: one view per table over the files of its current version. In DuckDB: .read views.sql',
        '-- Rewritten after every publish; superseded versions are deleted after a few more, so re-read it.',
        '-- A table\'s folder also keeps its older versions (v000001/, …) for readers still on them: read a table',
        '-- through its view here, or the files its <table>/_current.json lists, never with a glob over the folder.',
      ];
      for (const table of TABLES) {
        const manifest = this.manifests.get(table.name);
        if (!manifest) continue;
        lines.push(lakeViewSql(table.name, manifest.files.map((file) => `${this.store.location}/${table.name}/${file}`)));
      }
      this.writeLocal(VIEWS_FILE, `${lines.join('\n')}\n`);
      await this.store.publish([VIEWS_FILE]);
    });
    this.viewsQueue = write.catch(() => undefined);
    return write;
  }

  writeLocal(path: string, content: string): void {
    writeFileAtomic(this.local(path), content);
  }

  // -------------------------------------------------------------------------------------------------

  private checkOpen(): DuckDBInstance {
    if (!this.instance) throw new Error(`the Parquet lake ${this.store.location} is not open`);
    return this.instance;
  }

  /** The table's state: the manifest's when it is newer than the state file (a crash between the two). */
  private currentState(table: string, stored: StoredState | null): TableState | undefined {
    return publishedState(this.manifests.get(table), stored);
  }

  private async readStoredState(table: string): Promise<StoredState | null> {
    return this.readJson<StoredState>(statePath(table));
  }

  private async readJson<T>(path: string): Promise<T | null> {
    const text = await this.store.readText(path);
    if (text === null) return null;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${path} in the Parquet lake ${this.store.location} is not valid JSON; delete it to start its table afresh`);
    }
  }

  private async removeOtherStaging(table: string, keepId: string): Promise<void> {
    for (const name of await this.store.list(stagingRoot(table))) {
      if (name !== keepId) await this.store.removeFolder(`${stagingRoot(table)}/${name}`);
    }
  }

  /** Staged files past the committed count: written by a pass that crashed before its state named them. */
  private async removeLeftovers(table: string, staging: Staging): Promise<void> {
    const folder = stagingFolder(table, staging.id);
    const leftovers: string[] = [];
    for (const name of await this.store.list(folder)) {
      const match = STAGED_FILE.exec(name);
      if (!match || Number(match[2]) > staging.batches) leftovers.push(`${folder}/${name}`);
    }
    await this.store.removeFiles(leftovers);
  }
}

function withoutProgress(state: TableState): TableState {
  const { inProgress: _inProgress, ...rest } = state;
  return rest;
}
