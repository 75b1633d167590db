/**
 * The Parquet lake's layout: where each file lives and what the bookkeeping files hold.
 *
 *   <lake>/<table>/_current.json                        the published version (manifest; replaced by rename)
 *   <lake>/<table>/v000007/part-0000.parquet             a version: the table sorted by primary key, in one file
 *                          part-0001.parquet, …          or, larger, in files of consecutive ranges of the key
 *   <lake>/<table>/_staging/<id>/batch-000012.parquet    a committed batch of the pass in progress
 *   <lake>/<table>/_staging/<id>/parents-000012.parquet  the parents whose children that batch replaces
 *   <lake>/_acsync/state/<table>.json                    the table's state and how many staged batches count
 *   <lake>/_acsync/runs/<runId>.json                     run history
 *   <lake>/_acsync/views.sql                             CREATE VIEW per table over its current files
 *   <lake>/_acsync/lock, <lake>/_acsync/spill/           the writer's lock and DuckDB's spill space (local only)
 *
 * Lake paths are relative and use `/`; ./lake-files.ts maps them under a local root.
 */
import type { LogicalType, ReplicationMode, TableDef } from '../catalog/index.js';
import type { TableState } from '../core/contract.js';

/** The Parquet type of each logical type, as the manifest states it for readers. */
export const PARQUET_TYPES: Readonly<Record<LogicalType, string>> = {
  float: 'DOUBLE', text: 'STRING', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMP(MICROS,isAdjustedToUTC=true)',
};

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
  /** The table's state as of this version (see the publishing order in ./parquet.ts). */
  readonly state?: TableState;
}

/** `_acsync/state/<table>.json`: the DuckDB destination's `_acsync_state` row plus the lake's bookkeeping. */
export interface StoredState {
  readonly table: string;
  readonly state: TableState;
  readonly updatedAt: string;
  /** The published version this state was written against. */
  readonly version: number;
  /** The pass in progress: its staging folder and how many of its batch files are committed. */
  readonly staging: Staging | null;
}

export interface Staging {
  readonly id: string;
  readonly mode: ReplicationMode;
  /** The table's columns and key when the pass began: staged files are only reused for the same shape. */
  readonly shape: string;
  readonly batches: number;
  /** Column the batches' `replaceChildrenOf` parents refer to, once a batch has had some. */
  readonly replaceColumn?: string;
}

const ACSYNC_FOLDER = '_acsync';
export const VIEWS_FILE = `${ACSYNC_FOLDER}/views.sql`;
export const STATE_FOLDER = `${ACSYNC_FOLDER}/state`;
export const RUNS_FOLDER = `${ACSYNC_FOLDER}/runs`;
export const SPILL_FOLDER = `${ACSYNC_FOLDER}/spill`;
export const VERSION_FOLDER = /^v(\d{6,})$/;
export const STAGED_FILE = /^(batch|parents)-(\d{6,})\.parquet$/;

const pad6 = (n: number) => String(n).padStart(6, '0');
export const manifestPath = (table: string) => `${table}/_current.json`;
export const versionFolder = (table: string, version: number) => `${table}/v${pad6(version)}`;
/** The name of a version's file number `index` (from 0), in its folder. */
export const partFile = (index: number) => `part-${String(index).padStart(4, '0')}.parquet`;
export const stagingRoot = (table: string) => `${table}/_staging`;
export const stagingFolder = (table: string, id: string) => `${stagingRoot(table)}/${id}`;
export const batchFile = (table: string, id: string, n: number) => `${stagingFolder(table, id)}/batch-${pad6(n)}.parquet`;
export const parentsFile = (table: string, id: string, n: number) => `${stagingFolder(table, id)}/parents-${pad6(n)}.parquet`;
export const statePath = (table: string) => `${STATE_FOLDER}/${table}.json`;

/** A table's columns, logical types and key as one comparable string. */
export function tableShape(table: TableDef): string {
  return shapeOf(table.columns, table.primaryKey);
}

/** The shape of the table a manifest describes, comparable with `tableShape`. */
export function manifestShape(manifest: Manifest): string {
  return shapeOf(manifest.schema, manifest.primaryKey);
}

function shapeOf(columns: readonly { readonly name: string; readonly type: LogicalType }[], key: readonly string[]): string {
  return `${columns.map((c) => `${c.name} ${c.type}`).join(', ')} | key ${key.join(', ')}`;
}

/**
 * A table's state: the manifest's when it is newer than the state file (a crash between publishing the two,
 * see the publishing order in ./parquet.ts), else the state file's.
 */
export function publishedState(manifest: Manifest | undefined, stored: StoredState | null): TableState | undefined {
  if (manifest?.state && manifest.version > (stored?.version ?? 0)) return manifest.state;
  return stored?.state;
}
