/**
 * The Parquet data lake: one folder per table holding immutable versions of the table as Parquet files,
 * written by an embedded in-memory DuckDB, on a local directory or (through ./s3.ts) an S3 bucket.
 *
 *   <lake>/<table>/_current.json                        the published version (manifest; replaced by rename)
 *   <lake>/<table>/v000007/part-0000.parquet             a version: the whole table, sorted by primary key
 *   <lake>/<table>/_staging/<id>/batch-000012.parquet    a committed batch of the pass in progress
 *   <lake>/<table>/_staging/<id>/parents-000012.parquet  the parents whose children that batch replaces
 *   <lake>/_acsync/state/<table>.json                    the table's state and how many staged batches count
 *   <lake>/_acsync/runs/<runId>.json                     run history
 *   <lake>/_acsync/views.sql                             CREATE VIEW per table over its current files
 *   <lake>/_acsync/lock, <lake>/_acsync/spill/           the writer's lock and DuckDB's spill space (local only)
 *
 * Both modes stage their batches and build a new version in `finish` (full: the batches alone; incremental:
 * the previous version with the batches applied), so readers only ever see whole versions. Unlike the SQL
 * destinations, an incremental pass's rows thus appear at `finish`, not per commit (Parquet files cannot be
 * upserted in place); an interrupted incremental pass resumes from its staged batches. DuckDB merges
 * the files itself (read_parquet … COPY TO), so memory does not grow with the table. A batch counts once the
 * state file naming it has been renamed into place; batch files beyond that number are leftovers of a crash,
 * ignored and removed when the pass resumes.
 *
 * Publishing order in `finish`, and what a crash at each step leaves behind:
 *   1. the new version's file is written and fsynced under v<N+1>/, which nothing references yet. A crash
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
import {
  closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync,
  statSync, writeFileSync, accessSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';
import { ConfigError } from '../core/errors.js';
import { TABLES } from '../catalog/index.js';
import type { LogicalType, ReplicationMode, TableDef } from '../catalog/index.js';
import { latestPerKey, quoteIdentifier, quoteLiteral } from './sql.js';
import type { Batch, Destination, RunRecord, TableState, TableWriter } from '../core/contract.js';
import { ChunkBuilder } from './duckdb-chunks.js';

/** Versions kept per table unless the URI says otherwise (`?keep=`). */
export const DEFAULT_KEEP_VERSIONS = 3;

/** Column types in DuckDB; TIMESTAMPTZ so that the files say isAdjustedToUTC=true (tables.md 1.2). */
const DUCKDB_TYPES: Readonly<Record<LogicalType, string>> = {
  float: 'DOUBLE', text: 'VARCHAR', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMPTZ',
};

/** The Parquet type of each logical type, as the manifest states it for readers. */
const PARQUET_TYPES: Readonly<Record<LogicalType, string>> = {
  float: 'DOUBLE', text: 'STRING', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP(MICROS,isAdjustedToUTC=true)',
};

const PARQUET_OPTIONS = '(FORMAT parquet, COMPRESSION zstd)';

// ---------------------------------------------------------------------------------------------------
// Storage

/**
 * Where the lake's files live. Files are always written into the local `root` first (the lake itself, or a
 * cache), fsynced, and then made part of the lake with `publish`; lake paths are relative and use `/`.
 */
export interface LakeStore {
  /** Where readers find the lake: a directory or an s3:// URL (views.sql and messages). */
  readonly location: string;
  /** The local directory files are written in. */
  readonly root: string;
  /** Checks the lake can be written, creates `root`, and takes the writer's lock. */
  open(): Promise<void>;
  close(): Promise<void>;
  /** Text of a lake file, or null when it does not exist. */
  readText(path: string): Promise<string | null>;
  /** Names of the files and folders directly inside a lake folder (none if it does not exist). */
  list(folder: string): Promise<string[]>;
  /** Makes local files (written and fsynced under `root`) part of the lake, all of them before returning. */
  publish(paths: readonly string[]): Promise<void>;
  /** Makes sure the local copy of a lake file is the lake's own (downloading it if needed). */
  fetch(path: string): Promise<void>;
  removeFiles(paths: readonly string[]): Promise<void>;
  /** Removes a folder and everything in it. */
  removeFolder(path: string): Promise<void>;
}

/** A lake on a local directory: publishing is the fsync and rename the writer has already done. */
export class LocalLakeStore implements LakeStore {
  readonly location: string;
  readonly root: string;
  private lock: LakeLock | null = null;

  constructor(directory: string) {
    this.root = resolve(directory);
    this.location = this.root;
  }

  async open(): Promise<void> {
    prepareLakeDirectory(this.root, 'parquet:<dir>');
    this.lock = LakeLock.take(this.root, this.root);
  }

  async close(): Promise<void> {
    this.lock?.release();
    this.lock = null;
  }

  async readText(path: string): Promise<string | null> {
    return readLocalText(localPath(this.root, path));
  }

  async list(folder: string): Promise<string[]> {
    return listLocal(localPath(this.root, folder));
  }

  async publish(): Promise<void> {
    // The writer fsyncs and renames into place: the local files are the lake.
  }

  async fetch(path: string): Promise<void> {
    if (!existsSync(localPath(this.root, path))) {
      throw new Error(`the Parquet lake ${this.root} lacks ${path}, which its manifest lists; run the table in full mode to rebuild it`);
    }
  }

  async removeFiles(paths: readonly string[]): Promise<void> {
    for (const path of paths) rmSync(localPath(this.root, path), { force: true });
  }

  async removeFolder(path: string): Promise<void> {
    rmSync(localPath(this.root, path), { recursive: true, force: true });
  }
}

/**
 * The single-writer lock of a local directory (the lake, or an S3 cache): `_acsync/lock` created with
 * O_EXCL. A lock left by a process that no longer runs on this host is taken over.
 */
export class LakeLock {
  private constructor(private readonly path: string) {}

  static take(root: string, location: string): LakeLock {
    const path = join(root, '_acsync', 'lock');
    mkdirSync(dirname(path), { recursive: true });
    const content = JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, content, { flag: 'wx' });
        return new LakeLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readLock(path);
      if (holder && holder.host === hostname() && processRuns(holder.pid)) {
        throw new ConfigError(`another acsync process (pid ${holder.pid}) is writing the Parquet lake ${location}; wait for it to finish, then retry`);
      }
      if (holder && holder.host !== hostname()) {
        throw new ConfigError(`the Parquet lake ${location} is locked by acsync on host ${holder.host}; if no sync runs there any more, delete ${path}`);
      }
      // The holder is gone (killed or crashed): its lock is stale.
      rmSync(path, { force: true });
    }
    throw new ConfigError(`cannot lock the Parquet lake ${location}: ${path} keeps reappearing; is another acsync starting?`);
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

function readLock(path: string): { pid: number; host: string } | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; host?: unknown };
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string') return { pid: parsed.pid, host: parsed.host };
  } catch {
    // Unreadable or half-written: treated as stale.
  }
  return null;
}

function processRuns(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates the lake (or cache) directory if missing and checks it can be written; a one-line ConfigError
 * otherwise. The parent must exist: a mistyped path does not silently grow a directory tree.
 */
export function prepareLakeDirectory(root: string, uriHint: string): void {
  const parent = dirname(root);
  let stat;
  try {
    stat = statSync(root);
  } catch {
    if (!existsSync(parent)) {
      throw new ConfigError(`cannot create the Parquet lake ${root}: the directory ${parent} does not exist; create it or choose another directory with --dest ${uriHint}`);
    }
    try {
      mkdirSync(root);
    } catch (error) {
      throw new ConfigError(`cannot create the Parquet lake ${root}: ${errorText(error)}; choose another directory with --dest ${uriHint}`);
    }
    stat = statSync(root);
  }
  if (!stat.isDirectory()) {
    throw new ConfigError(`${root} is not a directory; choose a directory for the Parquet lake with --dest ${uriHint}`);
  }
  try {
    accessSync(root, constants.W_OK | constants.X_OK);
  } catch {
    throw new ConfigError(`cannot write the Parquet lake ${root}: permission denied; fix its permissions or choose another directory with --dest ${uriHint}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Lake layout and bookkeeping files

/** A published version of a table: `<table>/_current.json`. */
export interface Manifest {
  readonly table: string;
  readonly version: number;
  /** The version's Parquet files, relative to the table's folder. */
  readonly files: readonly string[];
  readonly rows: number;
  readonly schema: readonly { readonly name: string; readonly type: LogicalType; readonly parquet: string }[];
  readonly primaryKey: readonly string[];
  readonly publishedAt: string;
  /** The table's state as of this version (see the publishing order above). */
  readonly state?: TableState;
}

/** `_acsync/state/<table>.json`: the DuckDB destination's `_acsync_state` row plus the lake's bookkeeping. */
interface StoredState {
  readonly table: string;
  readonly state: TableState;
  readonly updatedAt: string;
  /** The published version this state was written against. */
  readonly version: number;
  /** The pass in progress: its staging folder and how many of its batch files are committed. */
  readonly staging: Staging | null;
}

interface Staging {
  readonly id: string;
  readonly mode: ReplicationMode;
  /** The table's columns and key when the pass began: staged files are only reused for the same shape. */
  readonly shape: string;
  readonly batches: number;
  /** Column the batches' `replaceChildrenOf` parents refer to, once a batch has had some. */
  readonly replaceColumn?: string;
}

const ACSYNC_FOLDER = '_acsync';
const VIEWS_FILE = `${ACSYNC_FOLDER}/views.sql`;
const STATE_FOLDER = `${ACSYNC_FOLDER}/state`;
const RUNS_FOLDER = `${ACSYNC_FOLDER}/runs`;
const SPILL_FOLDER = `${ACSYNC_FOLDER}/spill`;
const VERSION_FOLDER = /^v(\d{6,})$/;
const STAGED_FILE = /^(batch|parents)-(\d{6,})\.parquet$/;

const pad6 = (n: number) => String(n).padStart(6, '0');
const manifestPath = (table: string) => `${table}/_current.json`;
const versionFolder = (table: string, version: number) => `${table}/v${pad6(version)}`;
const stagingRoot = (table: string) => `${table}/_staging`;
const stagingFolder = (table: string, id: string) => `${stagingRoot(table)}/${id}`;
const batchFile = (table: string, id: string, n: number) => `${stagingFolder(table, id)}/batch-${pad6(n)}.parquet`;
const parentsFile = (table: string, id: string, n: number) => `${stagingFolder(table, id)}/parents-${pad6(n)}.parquet`;
const statePath = (table: string) => `${STATE_FOLDER}/${table}.json`;

/** A lake path (relative, `/`-separated) under a local root. */
export function localPath(root: string, path: string): string {
  return join(root, ...path.split('/'));
}

function readLocalText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function listLocal(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes a file so that it is either absent/old or complete and durable: temp file, fsync, rename, fsync dir. */
function writeFileAtomic(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  fsyncPath(temporary);
  renameSync(temporary, path);
  fsyncPath(dirname(path));
}

/** A table's columns, types and key as one comparable string. */
function shapeOf(table: TableDef): string {
  return `${table.columns.map((c) => `${c.name} ${c.type}`).join(', ')} | key ${table.primaryKey.join(', ')}`;
}

function manifestShape(manifest: Manifest): string {
  return `${manifest.schema.map((c) => `${c.name} ${c.type}`).join(', ')} | key ${manifest.primaryKey.join(', ')}`;
}

function withoutProgress(state: TableState): TableState {
  const { inProgress: _inProgress, ...rest } = state;
  return rest;
}

// ---------------------------------------------------------------------------------------------------

export interface ParquetDestinationOptions {
  readonly store: LakeStore;
  /** Versions kept per table, the current one included (at least 1). */
  readonly keep?: number;
  readonly description?: string;
}

export class ParquetDestination implements Destination {
  readonly description: string;
  readonly store: LakeStore;
  readonly keep: number;
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

  constructor(options: ParquetDestinationOptions) {
    this.store = options.store;
    this.keep = options.keep ?? DEFAULT_KEEP_VERSIONS;
    if (!Number.isInteger(this.keep) || this.keep < 1) throw new ConfigError(`keep must be a whole number of versions, at least 1 (got ${this.keep})`);
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
      // A bounded buffer pool keeps memory flat however large the table: merges beyond it spill to disk.
      this.instance = await DuckDBInstance.create(':memory:', { temp_directory: this.spillDirectory, memory_limit: '256MB' });
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
    if (manifest && mode === 'incremental' && manifestShape(manifest) !== shapeOf(table)) {
      throw new Error(`table ${table.name} in ${this.store.location} does not have the columns and key acsync writes; run it once in full mode to rebuild it`);
    }
    const connection = await instance.connect();
    try {
      await connection.run(loadTableSql(table));
      if (!manifest) {
        // The table exists from its first pass on, empty until a pass publishes rows.
        manifest = await this.publishVersion(table, connection, 1, `SELECT * FROM ${LOAD_TABLE}`, undefined);
        await this.writeViews();
      }
      const version = manifest.version;
      const current = stored?.staging && stored.version === version ? stored.staging : null;
      let staging: Staging;
      if (resume && current && current.mode === mode && current.shape === shapeOf(table)) {
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
        staging = { id: `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`, mode, shape: shapeOf(table), batches: 0 };
      }
      return new ParquetTableWriter(this, table, mode, connection, staging, version);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  // ----- for the table writers ---------------------------------------------------------------------

  /** Absolute local path of a lake path. */
  local(path: string): string {
    return localPath(this.store.root, path);
  }

  manifest(table: string): Manifest | undefined {
    return this.manifests.get(table);
  }

  /**
   * Writes a version of `table` from `select` (columns in catalog order) into v<version>/, then publishes it
   * with its manifest (steps 1 and 2 of the order at the top of this file).
   */
  async publishVersion(table: TableDef, connection: DuckDBConnection, version: number, select: string,
    state: TableState | undefined): Promise<Manifest> {
    const folder = versionFolder(table.name, version);
    // Whatever a crashed attempt left in this unpublished folder goes first.
    await this.store.removeFolder(folder);
    mkdirSync(this.local(folder), { recursive: true });
    const file = `${folder}/part-0000.parquet`;
    const result = await connection.run(`COPY (${select}) TO ${quoteLiteral(this.local(file))} ${PARQUET_OPTIONS}`);
    fsyncPath(this.local(file));
    fsyncPath(this.local(folder));
    await this.store.publish([file]);
    const manifest: Manifest = {
      table: table.name,
      version,
      files: [file.slice(table.name.length + 1)],
      rows: result.rowsChanged,
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
      ];
      for (const table of TABLES) {
        const manifest = this.manifests.get(table.name);
        if (!manifest) continue;
        const files = manifest.files.map((file) => quoteLiteral(`${this.store.location}/${table.name}/${file}`));
        lines.push(`CREATE OR REPLACE VIEW ${quoteIdentifier(table.name)} AS SELECT * FROM read_parquet([${files.join(', ')}]);`);
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
    const manifest = this.manifests.get(table);
    if (manifest?.state && manifest.version > (stored?.version ?? 0)) return manifest.state;
    return stored?.state;
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

const LOAD_TABLE = quoteIdentifier('_acsync_load');

/** The temporary table a batch is appended to before it is copied into its Parquet file (one per connection). */
function loadTableSql(table: TableDef): string {
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${DUCKDB_TYPES[c.type]}`);
  return `CREATE OR REPLACE TEMPORARY TABLE ${LOAD_TABLE} (${columns.join(', ')})`;
}

class ParquetTableWriter implements TableWriter {
  private closed = false;
  private readonly chunkBuilder: ChunkBuilder;
  /** Tail of this writer's work: commits and finish run one at a time, in call order. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly destination: ParquetDestination,
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
      await appendChunks(this.connection, chunks);
      try {
        await this.connection.run(`COPY ${LOAD_TABLE} TO ${quoteLiteral(destination.local(files[0]!))} ${PARQUET_OPTIONS}`);
      } finally {
        await this.connection.run(`DELETE FROM ${LOAD_TABLE}`);
      }
      if (parents) {
        files.push(parentsFile(table.name, staging.id, n));
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

  async finish(state: TableState): Promise<void> {
    this.checkOpen();
    this.closed = true;
    return this.serial(async () => {
      try {
        await this.publish(state);
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

  private async publish(state: TableState): Promise<void> {
    const { table, staging, destination } = this;
    const previous = destination.manifest(table.name);
    if (!previous) throw new Error(`table ${table.name} has no published version in ${destination.store.location}`);
    let version = previous.version;
    if (this.mode === 'full' || staging.batches > 0) {
      version = previous.version + 1;
      const select = await this.mergeSql(previous);
      await destination.publishVersion(table, this.connection, version, select, state);
    } else {
      // An incremental pass that staged nothing leaves the rows as they are: only the state moves on.
    }
    await destination.saveState(table.name, state, version, null);
    await destination.store.removeFolder(stagingRoot(table.name));
    await destination.pruneVersions(table.name);
    await destination.writeViews();
  }

  /**
   * The new version as one query over files. Each row carries the number of the batch it came from (0: the
   * previous version, incremental only); the latest row of each key wins; a row is then dropped if a later
   * batch replaced its parent's children. That is what applying the batches one after the other would give.
   */
  private async mergeSql(previous: Manifest): Promise<string> {
    const { table, staging, destination } = this;
    const columns = table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
    const key = table.primaryKey.map(quoteIdentifier).join(', ');
    const list = (paths: readonly string[]) => `[${paths.map((p) => quoteLiteral(destination.local(p))).join(', ')}]`;
    // The file name column gets a name no catalog column (an API key) can have.
    const numberOf = (prefix: string) => `CAST(regexp_extract(_acsync_file, '${prefix}-(\\d+)\\.parquet$', 1) AS INTEGER)`;

    const sources = [`SELECT ${columns}, 0 AS _acsync_batch FROM ${LOAD_TABLE} WHERE false`];
    if (this.mode === 'incremental') {
      const files = previous.files.map((file) => `${table.name}/${file}`);
      for (const file of files) await destination.store.fetch(file);
      sources.push(`SELECT ${columns}, 0 AS _acsync_batch FROM read_parquet(${list(files)})`);
    }
    const batches = Array.from({ length: staging.batches }, (_, i) => batchFile(table.name, staging.id, i + 1));
    if (batches.length > 0) {
      sources.push(`SELECT ${columns}, ${numberOf('batch')} AS _acsync_batch FROM read_parquet(${list(batches)}, filename = '_acsync_file')`);
    }
    const latest = `SELECT * FROM (${sources.join(' UNION ALL ')}) QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY _acsync_batch DESC) = 1`;

    const stagedNames = new Set(await destination.store.list(stagingFolder(table.name, staging.id)));
    const parents: string[] = [];
    for (let n = 1; n <= staging.batches; n++) {
      const file = parentsFile(table.name, staging.id, n);
      if (stagedNames.has(file.slice(file.lastIndexOf('/') + 1))) parents.push(file);
    }
    if (parents.length === 0 || !staging.replaceColumn) return `SELECT ${columns} FROM (${latest}) ORDER BY ${key}`;
    const replaced = `SELECT parent, max(${numberOf('parents')}) AS replaced_in FROM read_parquet(${list(parents)}, filename = '_acsync_file') GROUP BY parent`;
    const qualified = table.columns.map((c) => `latest.${quoteIdentifier(c.name)}`).join(', ');
    return `SELECT ${qualified} FROM (${latest}) AS latest LEFT JOIN (${replaced}) AS replaced
      ON latest.${quoteIdentifier(staging.replaceColumn)} = replaced.parent
      WHERE replaced.replaced_in IS NULL OR replaced.replaced_in <= latest._acsync_batch
      ORDER BY ${table.primaryKey.map((k) => `latest.${quoteIdentifier(k)}`).join(', ')}`;
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
    if (!this.table.columns.some((c) => c.name === parents.column)) {
      throw new Error(`table ${this.table.name} has no column ${parents.column} to replace children by`);
    }
    const replaceColumn = this.staging.replaceColumn;
    if (replaceColumn !== undefined && replaceColumn !== parents.column) {
      throw new Error(`table ${this.table.name}: a pass replaces children by one column, not by both ${replaceColumn} and ${parents.column}`);
    }
    const ids = [...new Set(parents.ids.filter((id) => Number.isFinite(id)))];
    return ids.length === 0 ? null : { column: parents.column, ids };
  }

}

async function appendChunks(connection: DuckDBConnection, chunks: readonly DuckDBDataChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  const appender = await connection.createAppender('_acsync_load');
  try {
    for (const chunk of chunks) appender.appendDataChunk(chunk);
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}

// ---------------------------------------------------------------------------------------------------
// URIs

/**
 * Splits `<location>?a=1&b=2` into the location and its options, refusing options not in `allowed`.
 * `uriHint` is the URI's form for messages.
 */
export function splitLakeUri(value: string, allowed: readonly string[], uriHint: string): { location: string; options: Map<string, string> } {
  const question = value.indexOf('?');
  const location = question < 0 ? value : value.slice(0, question);
  const options = new Map<string, string>();
  if (question >= 0) {
    for (const [name, option] of new URLSearchParams(value.slice(question + 1))) {
      if (!allowed.includes(name)) {
        throw new ConfigError(`unknown option "${name}" in --dest ${uriHint}; the options are ${allowed.join(', ')}`);
      }
      options.set(name, option);
    }
  }
  return { location, options };
}

/** The `keep` option: versions kept per table. */
export function keepOption(options: Map<string, string>, uriHint: string): number {
  const raw = options.get('keep');
  if (raw === undefined) return DEFAULT_KEEP_VERSIONS;
  const keep = Number(raw);
  if (!/^\d+$/.test(raw) || keep < 1) {
    throw new ConfigError(`keep=${raw} in --dest ${uriHint}: give the number of versions to keep per table, at least 1 (default ${DEFAULT_KEEP_VERSIONS})`);
  }
  return keep;
}

/** `parquet:<dir>[?keep=N]` (what follows `parquet:`). */
export function parquetDestinationFromUri(rest: string): ParquetDestination {
  const hint = 'parquet:<dir>';
  const { location, options } = splitLakeUri(rest, ['keep'], hint);
  if (!location) throw new ConfigError(`the parquet destination needs a directory: --dest ${hint}, e.g. --dest parquet:./lake`);
  const store = new LocalLakeStore(location);
  return new ParquetDestination({ store, keep: keepOption(options, hint), description: `Parquet lake ${location.endsWith(sep) ? location.slice(0, -1) : location}` });
}
