/**
 * Typed rows → DuckDB data chunks, and chunks → a table through the Appender. Shared by the DuckDB destination
 * and the Parquet lake (which writes its files with an embedded DuckDB): they differ only in the timestamp type.
 */
import {
  BOOLEAN, DATE, DOUBLE, DuckDBDataChunk, DuckDBDateValue, DuckDBTimestampTZValue, DuckDBTimestampValue,
  TIMESTAMP, TIMESTAMPTZ, VARCHAR, type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import type { LogicalType, TableDef } from '../catalog/index.js';
import type { TypedRow } from '../core/contract.js';
import { JS_TYPES, wrongType } from './batches.js';

/** Rows per data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

export type TimestampKind = 'TIMESTAMP' | 'TIMESTAMPTZ';

export class ChunkBuilder {
  private readonly types: readonly LogicalType[];
  private readonly chunkTypes: readonly DuckDBType[];

  constructor(
    private readonly table: TableDef,
    private readonly timestamp: TimestampKind,
  ) {
    this.types = table.columns.map((c) => c.type);
    const chunkTypes: Readonly<Record<LogicalType, DuckDBType>> = {
      float: DOUBLE, text: VARCHAR, boolean: BOOLEAN, date: DATE, timestamp: timestamp === 'TIMESTAMPTZ' ? TIMESTAMPTZ : TIMESTAMP,
    };
    this.chunkTypes = this.types.map((type) => chunkTypes[type]);
  }

  /** Data chunks of at most CHUNK_ROWS rows, column by column, in the DuckDB value classes. */
  chunks(rows: readonly TypedRow[]): DuckDBDataChunk[] {
    const chunks: DuckDBDataChunk[] = [];
    for (let start = 0; start < rows.length; start += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, rows.length - start);
      const chunk = DuckDBDataChunk.create(this.chunkTypes, count);
      for (let column = 0; column < this.types.length; column++) {
        chunk.setColumnValues(column, this.columnValues(rows, start, count, column));
      }
      chunks.push(chunk);
    }
    return chunks;
  }

  private columnValues(rows: readonly TypedRow[], start: number, count: number, column: number): DuckDBValue[] {
    const type = this.types[column]!;
    const jsType = JS_TYPES[type];
    const values = new Array<DuckDBValue>(count);
    for (let i = 0; i < count; i++) {
      const value = rows[start + i]![column]!;
      if (value === null) {
        values[i] = null;
        continue;
      }
      if (typeof value !== jsType) {
        throw wrongType(this.table, this.table.columns[column]!.name, type, value);
      }
      if (type === 'timestamp') {
        values[i] = this.timestamp === 'TIMESTAMPTZ' ? new DuckDBTimestampTZValue(value as bigint) : new DuckDBTimestampValue(value as bigint);
      } else if (type === 'date') values[i] = new DuckDBDateValue(value as number);
      else values[i] = value as DuckDBValue;
    }
    return values;
  }
}

/**
 * Appends chunks to `table` (within the open transaction, if any: a rollback takes the appended rows away too).
 * The Appender is closed before this returns, whatever happens. A failed flush leaves its rows buffered in
 * the native Appender, and closing it then fails too (the transaction is aborted), so it is cleared first:
 * otherwise the native Appender would outlive this call with those rows, and its finalizer would flush them
 * whenever the garbage collector runs, into whatever transaction the connection has open at that moment,
 * which a duplicate key then aborts ("Current transaction is aborted" at an unrelated COMMIT).
 */
export async function appendChunks(connection: DuckDBConnection, table: string, chunks: readonly DuckDBDataChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  const appender = await connection.createAppender(table);
  try {
    for (const chunk of chunks) appender.appendDataChunk(chunk);
    appender.flushSync();
  } catch (error) {
    appender.clear();
    appender.closeSync();
    throw error;
  }
  appender.closeSync();
}
