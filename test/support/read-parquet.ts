/**
 * Reads a table of a local Parquet lake the way a reader should: through its manifest (`_current.json`), with
 * DuckDB's read_parquet, typed like the engine's rows (timestamps as µs bigints, dates as day numbers) and
 * ordered by primary key. Also small helpers to look at the lake's files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { getTable } from '../../src/catalog/index.js';
import type { TableDef } from '../../src/catalog/index.js';
import type { Manifest } from '../../src/destinations/lake-layout.js';
import type { TypedRow } from '../../src/core/contract.js';
import { readTypedWithDuckDb } from './oracle.js';

function tableDef(table: TableDef | string): TableDef {
  if (typeof table !== 'string') return table;
  const found = getTable(table);
  if (!found) throw new Error(`the catalog has no table ${table}`);
  return found;
}

/** The table's published manifest, or null when the table has none yet. */
export function readManifest(dir: string, table: TableDef | string): Manifest | null {
  try {
    return JSON.parse(readFileSync(join(dir, tableDef(table).name, '_current.json'), 'utf8')) as Manifest;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Absolute paths of the current version's files. */
export function currentFiles(dir: string, table: TableDef | string): string[] {
  const def = tableDef(table);
  const manifest = readManifest(dir, def);
  if (!manifest) throw new Error(`${dir} has no manifest for ${def.name}`);
  return manifest.files.map((file) => join(dir, def.name, ...file.split('/')));
}

/** Runs `sql` in a fresh in-memory DuckDB and returns its rows as JSON-friendly objects. */
export async function queryParquet(sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson();
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The rows of a table's current version, typed as TypedRow and ordered by primary key ([] without a manifest). */
export async function readParquetTable(dir: string, table: TableDef | string): Promise<TypedRow[]> {
  const def = tableDef(table);
  if (!readManifest(dir, def)) return [];
  const files = currentFiles(dir, def).map((file) => `'${file.replaceAll("'", "''")}'`).join(', ');
  return readTypedWithDuckDb(':memory:', `read_parquet([${files}])`, def);
}
