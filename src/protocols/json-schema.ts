/**
 * The catalog's tables as JSON Schema, and typed rows as JSON objects: what the Singer and Airbyte modes put in
 * their SCHEMA/CATALOG and RECORD messages. Both come from the catalog's logical types, so the messages say
 * exactly what the destination tables hold (docs/tables.md 1.2): float → number, text → string, timestamp →
 * RFC 3339 UTC string, date → `YYYY-MM-DD` string, boolean → boolean; every column nullable but the keys.
 */
import type { Column, LogicalType, TableDef } from '../catalog/index.js';
import type { TypedRow, TypedValue } from '../core/contract.js';

export type JsonValue = string | number | boolean | null;

/** Airbyte reads `airbyte_type` to tell a zoned timestamp from a naive one; Singer has no such keyword. */
export type SchemaDialect = 'singer' | 'airbyte';

const JSON_TYPES: Readonly<Record<LogicalType, 'number' | 'string' | 'boolean'>> = {
  float: 'number',
  text: 'string',
  timestamp: 'string',
  date: 'string',
  boolean: 'boolean',
};

export function columnSchema(column: Column, nullable: boolean, dialect: SchemaDialect): Record<string, unknown> {
  const type = JSON_TYPES[column.type];
  return {
    type: nullable ? ['null', type] : type,
    ...(column.type === 'timestamp' && { format: 'date-time' }),
    ...(column.type === 'timestamp' && dialect === 'airbyte' && { airbyte_type: 'timestamp_with_timezone' }),
    ...(column.type === 'date' && { format: 'date' }),
    ...(column.description && { description: column.description }),
  };
}

/** The JSON Schema of a table's records; `columns` (indexes into `table.columns`) narrows it to selected columns. */
export function tableSchema(table: TableDef, dialect: SchemaDialect, columns?: readonly number[]): Record<string, unknown> {
  const chosen = columns ? columns.map((i) => table.columns[i] as Column) : table.columns;
  const keys = new Set(table.primaryKey);
  return {
    ...(dialect === 'airbyte' && { $schema: 'http://json-schema.org/draft-07/schema#' }),
    type: 'object',
    additionalProperties: false,
    required: [...table.primaryKey],
    properties: Object.fromEntries(chosen.map((c) => [c.name, columnSchema(c, !keys.has(c.name), dialect)])),
  };
}

/**
 * The column indexes a stream emits: all of them, or those `wanted` names plus the keys (and the cursor column)
 * that must always be there.
 */
export function selectColumns(table: TableDef, wanted: ReadonlySet<string> | null): number[] {
  const always = requiredColumns(table);
  return table.columns.flatMap((c, i) => (wanted === null || wanted.has(c.name) || always.has(c.name) ? [i] : []));
}

/** Columns a consumer cannot deselect: the primary key and the replication key. */
export function requiredColumns(table: TableDef): Set<string> {
  const required = new Set(table.primaryKey);
  const cursor = replicationKey(table);
  if (cursor) required.add(cursor);
  return required;
}

/**
 * The column a table's incremental cursor is read from, when the table has one of its own. Child tables
 * (custom-field values, contact tags) follow their parent's update time, which is not one of their columns.
 */
export function replicationKey(table: TableDef): string | undefined {
  const incremental = table.incremental;
  if (!incremental || incremental.child || incremental.perChangedParent) return undefined;
  const column = table.columns.find((c) => c.source === incremental.cursor);
  return column?.name;
}

/** A typed row as a JSON object of the chosen columns. */
export function rowObject(table: TableDef, row: TypedRow, columns: readonly number[]): Record<string, JsonValue> {
  const record: Record<string, JsonValue> = {};
  for (const i of columns) {
    const column = table.columns[i] as Column;
    record[column.name] = jsonValue(column.type, row[i] ?? null);
  }
  return record;
}

export function jsonValue(type: LogicalType, value: TypedValue): JsonValue {
  if (value === null) return null;
  switch (type) {
    case 'timestamp':
      return typeof value === 'bigint' ? formatTimestamp(value) : null;
    case 'date':
      return typeof value === 'number' ? formatDate(value) : null;
    case 'float':
      // JSON has no Infinity or NaN.
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    default:
      return typeof value === 'bigint' ? value.toString() : value;
  }
}

const MICROS_PER_MS = 1000n;

/** Microseconds since the epoch as RFC 3339 UTC, keeping sub-millisecond digits only when there are some. */
export function formatTimestamp(micros: bigint): string {
  // Floor division, so instants before 1970 keep a non-negative sub-millisecond part.
  let ms = micros / MICROS_PER_MS;
  if (micros < 0n && ms * MICROS_PER_MS !== micros) ms -= 1n;
  const subMillisecond = Number(micros - ms * MICROS_PER_MS);
  const iso = new Date(Number(ms)).toISOString();
  if (subMillisecond !== 0) return `${iso.slice(0, -1)}${String(subMillisecond).padStart(3, '0')}Z`;
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** Days since 1970-01-01 as `YYYY-MM-DD`. */
export function formatDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}
