/**
 * What every destination does with a batch before writing it: one row per primary key, values checked against
 * their column's logical type, and the parents whose children the batch replaces.
 */
import type { LogicalType, TableDef } from '../catalog/index.js';
import type { Batch, TypedRow, TypedValue } from '../core/contract.js';

/** The JS type a typed value of each logical type has (core/contract.ts `TypedValue`). */
export const JS_TYPES: Readonly<Record<LogicalType, string>> = {
  float: 'number', text: 'string', boolean: 'boolean', date: 'number', timestamp: 'bigint',
};

/** The error for a value that does not have its column's JS type. */
export function wrongType(table: TableDef, column: string, type: LogicalType, value: TypedValue): Error {
  return new Error(`table ${table.name}, column ${column}: expected a ${JS_TYPES[type]} for a ${type} value, got ${typeof value}`);
}

/** Indexes of a table's primary-key columns in its column order. */
export function keyIndexes(table: TableDef): number[] {
  return table.primaryKey.map((key) => table.columns.findIndex((c) => c.name === key));
}

/**
 * A batch's rows with one row per primary key, the last one of a repeated key (an upsert statement cannot
 * touch a key twice); rows with a NULL key part are dropped: a key column is NOT NULL, and the typing step
 * has already counted the unconvertible value. Throws if a row does not have one value per column.
 */
export function latestPerKey(table: TableDef, rows: readonly TypedRow[]): TypedRow[] {
  const indexes = keyIndexes(table);
  const single = indexes.length === 1 ? indexes[0]! : -1;
  const width = table.columns.length;
  const positions = new Map<TypedValue | string, number>();
  const kept: TypedRow[] = [];
  for (const row of rows) {
    if (row.length !== width) {
      throw new Error(`a row for table ${table.name} has ${row.length} values; the table has ${width} columns`);
    }
    let key: TypedValue | string;
    if (single >= 0) {
      key = row[single]!;
      if (key === null) continue;
    } else {
      let composite = '';
      let complete = true;
      for (const index of indexes) {
        const part = row[index];
        if (part === null || part === undefined) complete = false;
        composite += `${typeof part}:${String(part)}\u0000`;
      }
      if (!complete) continue;
      key = composite;
    }
    const previous = positions.get(key);
    if (previous === undefined) {
      positions.set(key, kept.length);
      kept.push(row);
    } else {
      kept[previous] = row;
    }
  }
  return kept;
}

/**
 * The parents whose children a batch replaces: the column (which must be one of the table's) and the distinct
 * finite ids, possibly none.
 */
export function parentsToReplace(table: TableDef, parents: NonNullable<Batch['replaceChildrenOf']>): { column: string; ids: number[] } {
  if (!table.columns.some((c) => c.name === parents.column)) {
    throw new Error(`table ${table.name} has no column ${parents.column} to replace children by`);
  }
  return { column: parents.column, ids: [...new Set(parents.ids.filter((id) => Number.isFinite(id)))] };
}
