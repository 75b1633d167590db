/**
 * A refresh of the columns a table copies from a joined object (core/contract.ts `JoinedRefresh`), as every
 * destination applies it: the staged list of joined objects is a small table of its own (the `on` column and the
 * copied columns, typed as in the target table), and each row of the target takes the values of its object, or
 * NULL where the object no longer exists. The SQL here is plain enough for DuckDB and PostgreSQL alike.
 */
import type { TableDef } from '../catalog/index.js';
import type { JoinedRefresh, TypedRow } from '../core/contract.js';
import { latestPerKey } from './batches.js';
import { quoteIdentifier } from './sql.js';

export interface RefreshPlan {
  /** The staged list as a table: `on` first (its key), then the copied columns, in the target's types. */
  readonly staged: TableDef;
  readonly on: string;
  readonly columns: readonly string[];
  /** One row per joined object, in `staged`'s columns. */
  readonly rows: readonly TypedRow[];
}

/** Checks a refresh against the table it refreshes; the staged table is named `name`. */
export function refreshPlan(table: TableDef, refresh: JoinedRefresh, name: string): RefreshPlan {
  const column = (wanted: string) => {
    const found = table.columns.find((c) => c.name === wanted);
    if (!found) throw new Error(`table ${table.name} has no column ${wanted} to refresh`);
    return found;
  };
  const on = column(refresh.on);
  if (refresh.columns.length === 0) throw new Error(`table ${table.name}: a refresh needs at least one column`);
  const columns = refresh.columns.map(column);
  if (new Set([refresh.on, ...refresh.columns]).size !== refresh.columns.length + 1) {
    throw new Error(`table ${table.name}: a refresh names a column twice`);
  }
  if (columns.some((c) => table.primaryKey.includes(c.name))) {
    throw new Error(`table ${table.name}: a refresh may not change the primary key`);
  }
  const staged: TableDef = { ...table, name, primaryKey: [on.name], columns: [on, ...columns], foreignKeys: [] };
  // One row per id (the list may repeat one across pages); latestPerKey also checks each row's width.
  return { staged, on: on.name, columns: refresh.columns, rows: latestPerKey(staged, refresh.rows) };
}

/**
 * The condition, over a target row `t` and its staged object `r` (LEFT JOINed on `on`), under which the row's
 * copied columns are not what the refresh says: an object whose values differ, or a deleted object whose values
 * are still there. Only those rows are rewritten.
 */
export function staleCondition(plan: RefreshPlan, t: string, r: string): string {
  const on = quoteIdentifier(plan.on);
  const differs = plan.columns.map((c) => `${t}.${quoteIdentifier(c)} IS DISTINCT FROM ${r}.${quoteIdentifier(c)}`);
  const present = plan.columns.map((c) => `${t}.${quoteIdentifier(c)} IS NOT NULL`);
  return `((${r}.${on} IS NOT NULL AND (${differs.join(' OR ')})) OR (${r}.${on} IS NULL AND (${present.join(' OR ')})))`;
}

/**
 * The two statements refreshing `target` from the staged list `staged` (both quoted, qualified names): rows of
 * existing objects take their values, rows of deleted ones (or of none) get NULL; unchanged rows are not touched.
 */
export function refreshSql(plan: RefreshPlan, target: string, staged: string): string[] {
  const on = quoteIdentifier(plan.on);
  const set = (value: (column: string) => string) => plan.columns.map((c) => `${quoteIdentifier(c)} = ${value(c)}`).join(', ');
  const differs = plan.columns.map((c) => `t.${quoteIdentifier(c)} IS DISTINCT FROM r.${quoteIdentifier(c)}`).join(' OR ');
  const present = plan.columns.map((c) => `${quoteIdentifier(c)} IS NOT NULL`).join(' OR ');
  return [
    `UPDATE ${target} AS t SET ${set((c) => `r.${quoteIdentifier(c)}`)} FROM ${staged} AS r WHERE t.${on} = r.${on} AND (${differs})`,
    `UPDATE ${target} SET ${set(() => 'NULL')} WHERE (${present}) AND NOT EXISTS (SELECT 1 FROM ${staged} AS r WHERE r.${on} = ${target}.${on})`,
  ];
}

/**
 * A query giving `source`'s rows (all of `table`'s columns, in order) with the copied columns refreshed from
 * `staged`, ordered by the table's key: for the lake, which writes a new version rather than updating rows.
 */
export function refreshedSelect(plan: RefreshPlan, table: TableDef, source: string, staged: string): string {
  const on = quoteIdentifier(plan.on);
  const columns = table.columns.map((c) => {
    const name = quoteIdentifier(c.name);
    return plan.columns.includes(c.name) ? `r.${name} AS ${name}` : `t.${name}`;
  });
  const order = table.primaryKey.map((k) => `t.${quoteIdentifier(k)}`).join(', ');
  return `SELECT ${columns.join(', ')} FROM (${source}) AS t LEFT JOIN ${staged} AS r ON t.${on} = r.${on} ORDER BY ${order}`;
}
