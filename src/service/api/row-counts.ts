/**
 * Rows at a connector's destination (and each table's last full pass, for when it is next due), counted by the worker right after each run (the worker is where the
 * destination is reachable, and the API then never holds a DuckDB file a BI tool or the next run wants), by the
 * destination's own reader (../../destinations/readback.ts): DuckDB read-only, PostgreSQL `count(*)`, a lake's
 * manifests (on S3, one small object per table).
 */
import { withReader } from '../../destinations/readback.js';

/** A table at the destination: its rows, and when the full pass the next run counts from ended (null: none). */
export interface TableFacts {
  readonly rows: number;
  readonly lastFullAt: string | null;
}

/**
 * table → its facts, for the connector's tables that the destination has; absent tables are left out. A table
 * whose pass is still in progress (a run stopped) has no last full pass here: the next run reads it, as
 * engine/cursor.ts `refreshNotDue` decides.
 */
export async function readTableFacts(destination: string, tables: readonly string[]): Promise<Map<string, TableFacts>> {
  return withReader(destination, async (reader) => {
    const counts = await reader.rowCounts();
    const states = await reader.states();
    return new Map([...counts].filter(([table]) => tables.includes(table)).map(([table, rows]) => {
      const state = states.get(table);
      return [table, { rows, lastFullAt: state && !state.inProgress ? state.lastFullAt ?? null : null }];
    }));
  });
}
