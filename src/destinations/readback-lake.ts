/**
 * Reading a Parquet lake back, on a local directory or on S3, from its bookkeeping files (./lake-layout.ts):
 * each table's `_current.json` manifest, its state file, and one JSON file per run. Nothing is written to the
 * lake and no writer's lock is taken, so a reader may run beside a sync; it reads only published versions.
 *
 * A query over a local lake runs on an in-memory DuckDB through the lake's own views.sql. DuckDB here has no S3
 * access (no httpfs), so a query over an S3 lake first downloads the current version's files of the tables its
 * SQL names (nothing else) into a temporary folder, creates the same views over them, and removes the folder
 * when the reader closes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { TABLES } from '../catalog/index.js';
import type { RunRecord, TableState } from '../core/contract.js';
import { ConfigError } from '../core/errors.js';
import { localPath } from './lake-files.js';
import { RUNS_FOLDER, STATE_FOLDER, VIEWS_FILE, manifestPath, publishedState, statePath } from './lake-layout.js';
import type { Manifest, StoredState } from './lake-layout.js';
import { LocalLakeStore } from './lake-store.js';
import type { LakeStore } from './lake-store.js';
import { parseS3Uri } from './lake-uri.js';
import { lakeViewSql } from './parquet-sql.js';
import { newestFirst, queryError, runRecordOf, type DestinationReader, type QueryResult } from './readback-common.js';
import { S3LakeStore } from './s3.js';

/** Run files read at once (on S3, each is a request). */
const RUNS_AT_ONCE = 8;

export class LakeReader implements DestinationReader {
  readonly description: string;
  private store: LakeStore | null = null;
  /** The temporary folder an S3 lake's files are fetched into; removed on close. */
  private fetchFolder: string | null = null;
  private manifests: Map<string, Manifest> | null = null;

  private constructor(
    /** Makes the store (S3: connected, files fetched under `folder`). */
    private readonly connect: (folder: string | null) => Promise<LakeStore>,
    private readonly remote: boolean,
    private readonly location: string,
    /** The --dest as the user gave it, for messages. */
    private readonly uri: string,
  ) {
    this.description = `Parquet lake ${location}`;
  }

  static local(directory: string, uri: string): LakeReader {
    const store = new LocalLakeStore(directory);
    // Not opened: opening takes the writer's lock, and reading a local lake needs nothing more.
    return new LakeReader(async () => store, false, store.location, uri);
  }

  static s3(uri: string): LakeReader {
    const { bucket, prefix } = parseS3Uri(uri);
    const location = `s3://${bucket}${prefix ? `/${prefix.replace(/^\/+|\/+$/g, '')}` : ''}`;
    return new LakeReader(async (folder) => {
      const store = new S3LakeStore({ bucket, prefix, ...(folder !== null && { cacheDir: folder }) });
      await store.openForReading();
      return store;
    }, true, location, uri);
  }

  async open(): Promise<void> {
    if (this.remote) this.fetchFolder = mkdtempSync(join(tmpdir(), 'acsync-read-'));
    try {
      this.store = await this.connect(this.fetchFolder);
      if (await this.store.readText(VIEWS_FILE) === null) {
        throw new ConfigError(`no Parquet lake at ${this.location} (no ${VIEWS_FILE}): run acsync sync --dest ${this.uri} first`);
      }
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    // A local store was never opened: only an S3 store has a client to let go of.
    if (this.remote) await this.store?.close();
    this.store = null;
    if (this.fetchFolder) rmSync(this.fetchFolder, { recursive: true, force: true });
    this.fetchFolder = null;
  }

  async query(sql: string): Promise<QueryResult> {
    const store = this.opened();
    const views = this.remote ? await this.fetchViews(sql) : (await store.readText(VIEWS_FILE)) ?? '';
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      if (views.trim() !== '') await connection.run(views);
      try {
        const reader = await connection.runAndReadAll(sql);
        return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
      } catch (error) {
        throw queryError(error);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  async *runs(): AsyncIterable<RunRecord> {
    const store = this.opened();
    // Run ids begin with their start time, so the newest files come first by name.
    const names = (await store.list(RUNS_FOLDER)).filter((name) => name.endsWith('.json')).sort().reverse();
    for (let start = 0; start < names.length; start += RUNS_AT_ONCE) {
      const chunk = await Promise.all(names.slice(start, start + RUNS_AT_ONCE).map((name) => this.readJson<unknown>(`${RUNS_FOLDER}/${name}`)));
      const runs = chunk.flatMap((run, index) => (run === null ? [] : [runRecordOf(run, `${this.location}/${RUNS_FOLDER}/${names[start + index] ?? ''}`)]));
      yield* runs.sort(newestFirst);
    }
  }

  async states(): Promise<Map<string, TableState>> {
    const store = this.opened();
    const manifests = await this.currentManifests();
    const stateFiles = new Set((await store.list(STATE_FOLDER)).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length)));
    const tables = TABLES.filter((table) => stateFiles.has(table.name) || manifests.get(table.name)?.state);
    const stored = await Promise.all(tables.map((table) => (stateFiles.has(table.name) ? this.readJson<StoredState>(statePath(table.name)) : null)));
    const states = new Map<string, TableState>();
    tables.forEach((table, index) => {
      const state = publishedState(manifests.get(table.name), stored[index] ?? null);
      if (state) states.set(table.name, state);
    });
    return states;
  }

  async rowCounts(): Promise<Map<string, number>> {
    const manifests = await this.currentManifests();
    return new Map([...manifests].map(([table, manifest]) => [table, manifest.rows]));
  }

  // -------------------------------------------------------------------------------------------------

  private opened(): LakeStore {
    if (!this.store) throw new Error(`the Parquet lake ${this.location} is not open`);
    return this.store;
  }

  /** Every table's published manifest, read once. */
  private async currentManifests(): Promise<Map<string, Manifest>> {
    if (!this.manifests) {
      const manifests = await Promise.all(TABLES.map((table) => this.readJson<Manifest>(manifestPath(table.name))));
      this.manifests = new Map(manifests.flatMap((manifest) => (manifest ? [[manifest.table, manifest] as const] : [])));
    }
    return this.manifests;
  }

  /** Fetches the current files of the tables `sql` names, and returns the views over the fetched copies. */
  private async fetchViews(sql: string): Promise<string> {
    const store = this.opened();
    const lines: string[] = [];
    for (const table of tablesNamedIn(sql)) {
      const manifest = await this.readJson<Manifest>(manifestPath(table));
      if (!manifest) continue;
      const files = manifest.files.map((file) => `${table}/${file}`);
      for (const file of files) await store.fetch(file);
      lines.push(lakeViewSql(table, files.map((file) => localPath(store.root, file))));
    }
    return lines.join('\n');
  }

  private async readJson<T>(path: string): Promise<T | null> {
    const text = await this.opened().readText(path);
    if (text === null) return null;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${path} in the Parquet lake ${this.location} is not valid JSON`);
    }
  }
}

/**
 * The catalog tables a SQL text names: every identifier outside string literals and comments that is a table's
 * name (DuckDB folds identifiers' case). A column that shares a table's name costs one needless download, no more.
 */
export function tablesNamedIn(sql: string): string[] {
  const code = sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, ' ');
  const words = new Set<string>();
  for (const match of code.matchAll(/"((?:[^"]|"")+)"|([A-Za-z_][\w$]*)/g)) {
    words.add((match[1]?.replaceAll('""', '"') ?? match[2] ?? '').toLowerCase());
  }
  return TABLES.map((table) => table.name).filter((name) => words.has(name));
}
