/**
 * What the lake's embedded DuckDB writes with: the temporary load table a batch is appended to (one per
 * connection, so one per table writer), and the options every Parquet file is written with.
 */
import type { LogicalType, TableDef } from '../catalog/index.js';
import { quoteIdentifier, quoteLiteral } from './sql.js';

/** Column types in DuckDB; TIMESTAMPTZ so that the files say isAdjustedToUTC=true (docs/tables.md 1.2). */
const DUCKDB_TYPES: Readonly<Record<LogicalType, string>> = {
  float: 'DOUBLE', text: 'VARCHAR', boolean: 'BOOLEAN', date: 'DATE', timestamp: 'TIMESTAMPTZ',
};

export const PARQUET_OPTIONS = '(FORMAT parquet, COMPRESSION zstd)';

/** The load table's name, and that name quoted. */
export const LOAD_TABLE_NAME = '_acsync_load';
export const LOAD_TABLE = quoteIdentifier(LOAD_TABLE_NAME);

/** The temporary table a batch is appended to before it is copied into its Parquet file (one per connection). */
export function loadTableSql(table: TableDef): string {
  return temporaryTableSql(table, LOAD_TABLE_NAME);
}

/** A temporary table of `table`'s columns under `name` (replacing one of that name), without a key. */
export function temporaryTableSql(table: TableDef, name: string): string {
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${DUCKDB_TYPES[c.type]}`);
  return `CREATE OR REPLACE TEMPORARY TABLE ${quoteIdentifier(name)} (${columns.join(', ')})`;
}

/** `value` (a DuckDB value cast to VARCHAR) as a constant of `column`'s DuckDB type: casting back is exact. */
export function typedLiteral(table: TableDef, column: string, value: string): string {
  const def = table.columns.find((c) => c.name === column);
  if (!def) throw new Error(`table ${table.name} has no column ${column}`);
  return `CAST(${quoteLiteral(value)} AS ${DUCKDB_TYPES[def.type]})`;
}

/** The view over a table's current files: what views.sql holds per table, and what `acsync query` creates. */
export function lakeViewSql(table: string, files: readonly string[]): string {
  return `CREATE OR REPLACE VIEW ${quoteIdentifier(table)} AS SELECT * FROM read_parquet([${files.map(quoteLiteral).join(', ')}]);`;
}
