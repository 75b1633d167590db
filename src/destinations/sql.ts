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
 * the table named `name`, in `schema` if given. `declareKey` appends the key to the table's comment, for a
 * table created without its PRIMARY KEY constraint (DuckDB: see `createTableStatements`).
 */
export function commentStatements(table: TableDef, name: string, schema?: string, declareKey = false): string[] {
  const target = qualifiedName(name, schema);
  const comment = declareKey ? `${table.description} ${keyDeclaration(table)}` : table.description;
  const statements = [`COMMENT ON TABLE ${target} IS ${quoteLiteral(comment)}`];
  for (const column of table.columns) {
    if (column.description === undefined) continue;
    statements.push(`COMMENT ON COLUMN ${target}.${quoteIdentifier(column.name)} IS ${quoteLiteral(column.description)}`);
  }
  return statements;
}

/**
 * `CREATE TABLE` for a table (columns, key) under `name`, then the `COMMENT ON` statements describing it.
 *
 * DuckDB's tables have no PRIMARY KEY constraint: its index (an ART) lives in memory while the table is written
 * and grows with every row, which made it most of a large sync's memory and slowed loading (dlt's DuckDB
 * destination leaves indexes off by default for the same reason). acsync keeps one row per key itself (a batch
 * is de-duplicated, then its keys deleted and its rows inserted), and the table's comment declares the key.
 * PostgreSQL keeps its constraint: its indexes live on disk.
 */
export function createTableStatements(table: TableDef, name: string, dialect: SqlDialect, schema?: string): string[] {
  const keyConstraint = dialect !== 'duckdb';
  return [
    createTableSql(table, name, dialect, { primaryKey: keyConstraint, ...(schema === undefined ? {} : { schema }) }),
    ...commentStatements(table, name, schema, !keyConstraint),
  ];
}

/** The sentence a table comment ends with when it declares the table's key instead of a constraint. */
export function keyDeclaration(table: TableDef): string {
  return `Key: ${table.primaryKey.join(', ')} (one row per key, kept by acsync; no constraint).`;
}

/** The key a table comment declares (`keyDeclaration`); null if it declares none. */
export function declaredKey(comment: string | null): string[] | null {
  const match = /(?:^|\s)Key: ([^()]+) \(one row per key, kept by acsync; no constraint\)\.$/.exec(comment ?? '');
  return match ? match[1]!.split(', ') : null;
}

/** Name of the staging copy a full pass fills before it replaces the live table. */
export function stagingName(table: TableDef): string {
  return `_acsync_staging_${table.name}`;
}
