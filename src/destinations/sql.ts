/**
 * SQL text shared by the SQL destinations: identifier and literal quoting, and the physical type of each
 * logical type (docs/tables.md 1.2). Every identifier is double-quoted: many column names are keywords.
 */
import type { LogicalType, TableDef } from '../catalog/index.js';

export type SqlDialect = 'duckdb' | 'postgres';

const PHYSICAL_TYPES: Readonly<Record<SqlDialect, Readonly<Record<LogicalType, string>>>> = {
  duckdb: { float: 'DOUBLE', text: 'VARCHAR', timestamp: 'TIMESTAMP', date: 'DATE', boolean: 'BOOLEAN' },
  postgres: { float: 'double precision', text: 'text', timestamp: 'timestamp', date: 'date', boolean: 'boolean' },
};

/** `name` as a double-quoted SQL identifier (embedded quotes doubled). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `value` as a single-quoted SQL string literal (embedded quotes doubled; no backslash escapes). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** `name` in `schema` as a quoted, qualified identifier; just the quoted name without a schema. */
export function qualifiedName(name: string, schema?: string): string {
  return schema === undefined ? quoteIdentifier(name) : `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/** The column type a logical type is stored as. */
export function sqlType(type: LogicalType, dialect: SqlDialect): string {
  return PHYSICAL_TYPES[dialect][type];
}

/** Comma-separated, quoted column list of a table, in catalog order. */
export function columnList(table: TableDef): string {
  return table.columns.map((c) => quoteIdentifier(c.name)).join(', ');
}

/**
 * `CREATE TABLE` for a table's columns (catalog order, physical types) and primary key, under `name`
 * (the live name, or a staging name). Foreign keys stay logical (docs/tables.md 1.7): no constraint.
 */
export function createTableSql(table: TableDef, name: string, dialect: SqlDialect,
  options: { ifNotExists?: boolean; temporary?: boolean; primaryKey?: boolean; schema?: string } = {}): string {
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${sqlType(c.type, dialect)}`);
  if (options.primaryKey ?? true) columns.push(`PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(', ')})`);
  const create = options.temporary ? 'CREATE TEMPORARY TABLE' : 'CREATE TABLE';
  return `${create}${options.ifNotExists ? ' IF NOT EXISTS' : ''} ${qualifiedName(name, options.schema)} (${columns.join(', ')})`;
}

/**
 * `COMMENT ON` statements for a table and its described columns (both DuckDB and PostgreSQL accept them),
 * the table named `name`, in `schema` if given.
 */
export function commentStatements(table: TableDef, name: string, schema?: string): string[] {
  const target = qualifiedName(name, schema);
  const statements = [`COMMENT ON TABLE ${target} IS ${quoteLiteral(table.description)}`];
  for (const column of table.columns) {
    if (column.description === undefined) continue;
    statements.push(`COMMENT ON COLUMN ${target}.${quoteIdentifier(column.name)} IS ${quoteLiteral(column.description)}`);
  }
  return statements;
}

/** `CREATE TABLE` for a table (columns, key) under `name`, then the `COMMENT ON` statements describing it. */
export function createTableStatements(table: TableDef, name: string, dialect: SqlDialect, schema?: string): string[] {
  return [createTableSql(table, name, dialect, schema === undefined ? {} : { schema }), ...commentStatements(table, name, schema)];
}

/** Name of the staging copy a full pass fills before it replaces the live table. */
export function stagingName(table: TableDef): string {
  return `_acsync_staging_${table.name}`;
}
