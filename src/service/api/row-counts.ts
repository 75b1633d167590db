/**
 * Rows at a connector's destination, counted by the worker right after each run (the worker is where the
 * destination is reachable, and the API then never holds a DuckDB file a BI tool or the next run wants), by the
 * destination's own reader (../../destinations/readback.ts): DuckDB read-only, PostgreSQL `count(*)`, a lake's
 * manifests (on S3, one small object per table).
 */
import { withReader } from '../../destinations/readback.js';

/** table → rows, for the connector's tables that the destination has; absent tables are left out. */
export async function countRows(destination: string, tables: readonly string[]): Promise<Map<string, number>> {
  const counts = await withReader(destination, (reader) => reader.rowCounts());
  return new Map([...counts].filter(([table]) => tables.includes(table)));
}
